/** The openssl CLI: the independent implementation tests prove the provider's crypto against. */
import { runCommand } from "./child_process.ts";

/**
 * Runs `openssl <args>` with `stdin` (if given) on its standard input; returns its standard
 * output, or throws with the command line and its standard error.
 */
export async function openssl(args: string[], stdin?: Uint8Array | string): Promise<Uint8Array> {
  return (await runCommand("openssl", args, stdin)).stdout;
}

/**
 * Runs `openssl <args>` for what it reports on standard error as well (`pkcs12 -info` writes
 * the MAC and encryption there); returns both outputs as text, or throws as {@link openssl}.
 */
export async function opensslReport(args: string[]): Promise<string> {
  const { stdout, stderr } = await runCommand("openssl", args);
  const decoder = new TextDecoder();
  return decoder.decode(stderr) + decoder.decode(stdout);
}
