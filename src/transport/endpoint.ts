import { HOST_OS } from "./os_conventions.ts";

/** Where the provider listens: a Unix socket path, or a TCP address (for tests and tools). */
export type Endpoint =
  | { readonly kind: "unix"; readonly path: string }
  | { readonly kind: "tcp"; readonly address: string };

/** The Go provider's default endpoint. */
export const DEFAULT_ENDPOINT = "unix:///tmp/azure.sock";

/** Thrown when `--endpoint` names neither a Unix socket nor a TCP address. */
export class InvalidEndpointError extends Error {
  override name = "InvalidEndpointError";
}

/**
 * Parses `--endpoint` as the Go provider does: `unix:///abs/path.sock` (on Windows
 * `unix://C:\dir\azure.sock`) or `tcp://host:port`.
 */
export function parseEndpoint(endpoint: string): Endpoint {
  const match = /^(unix|tcp):\/\/(.+)$/i.exec(endpoint.trim());
  if (!match) {
    throw new InvalidEndpointError(
      `invalid endpoint: ${endpoint} (use unix:///path/to/azure.sock or tcp://host:port)`,
    );
  }
  const [, scheme, rest] = match;
  if (scheme.toLowerCase() === "tcp") return { kind: "tcp", address: rest };
  return { kind: "unix", path: HOST_OS.socketPath(rest) };
}

/** The gRPC target string grpc-js binds or dials for an endpoint. */
export function grpcTarget(endpoint: Endpoint): string {
  return endpoint.kind === "unix" ? `unix:${endpoint.path}` : endpoint.address;
}
