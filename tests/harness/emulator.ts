/** Raw HTTPS to the emulated Azure hosts (no SDK), for tests of the emulator's protocols. */
import { type Emulator, startEmulator } from "../emulator/emulator.ts";

/** A `fetch` whose requests reach the emulated hosts. */
export type EmulatedFetch = (url: string, init?: RequestInit) => Promise<Response>;

/** A fetch that reaches emulated hosts through the emulator's proxy, trusting the emulator's CA. */
export async function proxiedFetch(emulator: Emulator): Promise<{ fetch: EmulatedFetch; close: () => void }> {
  const client = Deno.createHttpClient({
    proxy: { url: emulator.proxyUrl },
    caCerts: [await Deno.readTextFile(emulator.caPath)],
    // HTTP/1.1 like node:https, so a client abort closes the connection.
    http2: false,
    http1: true,
  });
  return {
    fetch: (url, init = {}) => fetch(url, { ...init, client }),
    close: () => client.close(),
  };
}

/**
 * Runs `fn` against a fresh emulator (started with `options`) and a proxied fetch to it; both
 * are closed afterwards, whatever `fn` did.
 */
export async function withEmulator(
  fn: (emulator: Emulator, fetch: EmulatedFetch) => Promise<void>,
  options: Parameters<typeof startEmulator>[0] = {},
): Promise<void> {
  await using emulator = await startEmulator(options);
  const http = await proxiedFetch(emulator);
  try {
    await fn(emulator, http.fetch);
  } finally {
    http.close();
  }
}
