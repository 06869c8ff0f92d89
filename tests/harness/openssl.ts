/** The openssl CLI: the independent implementation tests prove the provider's crypto against. */

/**
 * Runs `openssl <args>` with `stdin` (if given) on its standard input; returns its standard
 * output, or throws with the command line and its standard error.
 */
export async function openssl(args: string[], stdin?: Uint8Array | string): Promise<Uint8Array> {
  return (await run(args, stdin)).stdout;
}

/**
 * Runs `openssl <args>` for what it reports on standard error as well (`pkcs12 -info` writes
 * the MAC and encryption there); returns both outputs as text, or throws as {@link openssl}.
 */
export async function opensslReport(args: string[]): Promise<string> {
  const { stdout, stderr } = await run(args);
  const decoder = new TextDecoder();
  return decoder.decode(stderr) + decoder.decode(stdout);
}

async function run(args: string[], stdin?: Uint8Array | string) {
  const child = new Deno.Command("openssl", {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
    await writer.close();
  }
  const out = await child.output();
  if (!out.success) {
    throw new Error(`openssl ${args.join(" ")} failed: ${new TextDecoder().decode(out.stderr).trim()}`);
  }
  return out;
}
