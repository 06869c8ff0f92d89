/**
 * How the provider listens on a Unix socket path (`--unix-listener`): `native` is grpc-js's own
 * listener on `node:net`; `ffi` is the AF_UNIX acceptor in `afunix/`, which calls the system's
 * socket library through `Deno.dlopen` and needs `--allow-ffi` for that library.
 */
export type UnixListenerKind = "native" | "ffi";

/** Every kind, in the order the flag's help lists them. */
export const UNIX_LISTENER_KINDS: readonly UnixListenerKind[] = ["native", "ffi"];

/** Whether `value` names a listener kind. */
export function isUnixListenerKind(value: string): value is UnixListenerKind {
  return (UNIX_LISTENER_KINDS as readonly string[]).includes(value);
}
