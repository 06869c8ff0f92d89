/**
 * Builds the Go provider (Azure/secrets-store-csi-driver-provider-azure, package ./cmd) from
 * the Go module proxy at bench time and caches the binary outside the repository. Nothing of
 * it is committed.
 *
 * `go install <module>/cmd@v1.8.2` would be the one-liner, but it first asks the proxy for
 * the module's version list to look for a deprecation notice, and the proxy answers that
 * list with 403 here. So the module is downloaded at its exact version (`go mod download`,
 * checked against the checksum database) and built in its own module folder with its own
 * go.sum, which pins every dependency as upstream released it.
 */

export const GO_MODULE = "github.com/Azure/secrets-store-csi-driver-provider-azure";

/** A usable Go provider binary. */
export interface GoBuild {
  readonly binary: string;
  readonly version: string;
  readonly goVersion: string;
}

/** Builds (or finds in the cache) the Go provider at `version`. */
export async function goProviderBinary(version: string, log: (line: string) => void): Promise<GoBuild> {
  const go = await findGo();
  const goVersion = (await run(go, ["env", "GOVERSION"])).stdout.trim();
  const binary = `${cacheDir()}/${version}/secrets-store-csi-driver-provider-azure`;
  if (!await isFile(binary)) {
    log(`building the Go provider ${version} with ${goVersion} (cached in ${cacheDir()}) …`);
    await build(go, version, binary);
  }
  return { binary, version, goVersion };
}

async function build(go: string, version: string, binary: string): Promise<void> {
  const downloaded = await run(go, ["mod", "download", "-json", `${GO_MODULE}@${version}`], {
    GOFLAGS: "-mod=mod",
  });
  const dir = JSON.parse(downloaded.stdout) as { Dir?: string; Error?: string };
  if (!dir.Dir) throw new Error(dir.Error ?? "go mod download gave no folder");
  const staging = await Deno.makeTempDir({ prefix: "go-provider-build-" });
  try {
    await run(
      go,
      [
        "build",
        "-trimpath",
        "-ldflags",
        `-s -w -X ${GO_MODULE}/pkg/version.BuildVersion=${version}`,
        "-o",
        `${staging}/provider`,
        "./cmd",
      ],
      { CGO_ENABLED: "0" },
      dir.Dir,
    );
    await Deno.mkdir(binary.slice(0, binary.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${staging}/provider`, binary);
    await Deno.chmod(binary, 0o755);
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/** Where built binaries are kept between runs. */
export function cacheDir(): string {
  const base = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  return `${base}/akv-provider-bench/go-provider`;
}

/** `go` from PATH or /usr/local/go. */
async function findGo(): Promise<string> {
  for (const candidate of ["go", "/usr/local/go/bin/go"]) {
    if (await run(candidate, ["version"]).then(() => true, () => false)) return candidate;
  }
  throw new Error("no Go toolchain (go on PATH or /usr/local/go)");
}

async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<{ stdout: string }> {
  // GOTOOLCHAIN=auto lets an older Go fetch the toolchain the module asks for (itself a Go module).
  const output = await new Deno.Command(command, {
    args,
    cwd,
    env: { GOTOOLCHAIN: "auto", ...env },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(`${command} ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
  return { stdout };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}
