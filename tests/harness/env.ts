/** The environment a test gives the processes it starts. */

/** What Deno needs to find its cache and a temporary folder; nothing else is passed on. */
const KEPT = ["PATH", "HOME", "DENO_DIR", "XDG_CACHE_HOME", "TMPDIR"];

/**
 * The environment of a child process (the provider, the CLI, the SDK probe), to be used with
 * `clearEnv: true`: only what Deno needs from the developer's shell, so that nothing there (e.g.
 * `AZURE_CLIENT_ID`, `HTTPS_PROXY`) changes which credential or route the child picks; plain
 * output and no update check. A test adds what it means to set (the emulator's proxy and CA).
 */
export function baseEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" };
  for (const key of KEPT) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  return env;
}
