/** Loopback ports for the endpoints a test asks the provider (or a stub) to listen on. */

/**
 * `count` distinct loopback ports that were free a moment ago: all are bound at once (so none
 * repeats), then released for the process under test to bind.
 */
export function freePorts(count: number): number[] {
  const listeners = Array.from({ length: count }, () => Deno.listen({ hostname: "127.0.0.1", port: 0 }));
  const ports = listeners.map((listener) => (listener.addr as Deno.NetAddr).port);
  for (const listener of listeners) listener.close();
  return ports;
}

/** One loopback port that was free a moment ago (e.g. for `--healthz-port`, `--metrics-addr`). */
export function freePort(): number {
  return freePorts(1)[0];
}
