/**
 * A small HTTP listener for the operational endpoints (/healthz, /metrics): exact-path routes,
 * 404 for everything else, and a graceful close.
 */
import type { Logger } from "../log/logger.ts";

/** A running HTTP endpoint. */
export interface HttpEndpoint {
  /** The port actually bound (differs from the requested one only when that was 0). */
  readonly port: number;
  /** Stops accepting connections and waits for requests under way. */
  close(): Promise<void>;
}

/** Handles one request on an exact path. */
export type Route = (request: Request) => Response | Promise<Response>;

/** What to serve and where. */
export interface HttpEndpointOptions {
  /** Names the endpoint in logs, e.g. `healthz`. */
  readonly name: string;
  readonly port: number;
  readonly logger: Logger;
  /** Path → handler; paths match exactly, as in Go's ServeMux without a trailing slash. */
  readonly routes: Readonly<Record<string, Route>>;
}

/** Thrown when an endpoint cannot listen, e.g. its port is taken on the host network. */
export class EndpointBindError extends Error {
  override name = "EndpointBindError";
}

/**
 * Starts listening on all interfaces, IPv6 and IPv4 like the Go provider's `:port` (falling back
 * to IPv4 only where the node has no IPv6); rejects with {@link EndpointBindError} when the port
 * cannot be bound.
 */
export function serveHttp(options: HttpEndpointOptions): Promise<HttpEndpoint> {
  return listen(options, "::").catch((error) =>
    error instanceof EndpointBindError && error.cause instanceof Deno.errors.AddrInUse
      ? Promise.reject(error)
      : listen(options, "0.0.0.0")
  );
}

function listen(options: HttpEndpointOptions, hostname: string): Promise<HttpEndpoint> {
  const listening = Promise.withResolvers<HttpEndpoint>();
  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    server = Deno.serve({
      port: options.port,
      hostname,
      onListen: ({ port }) => {
        options.logger.info(`${options.name} endpoint listening`, {
          port,
          paths: Object.keys(options.routes).join(","),
        });
        listening.resolve({ port, close: () => server.shutdown() });
      },
      onError: (error) => {
        options.logger.error(`${options.name} endpoint failed`, { error: (error as Error).message });
        return new Response("internal error\n", { status: 500 });
      },
    }, (request) => {
      const route = options.routes[new URL(request.url).pathname];
      return route ? route(request) : new Response("404 page not found\n", { status: 404 });
    });
  } catch (error) {
    return Promise.reject(
      new EndpointBindError(
        `cannot serve ${options.name} on port ${options.port}: ${(error as Error).message}`,
        {
          cause: error,
        },
      ),
    );
  }
  return listening.promise;
}
