/**
 * The HTTP health endpoint behind the DaemonSet's liveness probe. Like the Go provider it does
 * not just answer: every request dials the provider's own gRPC socket and calls
 * `grpc.health.v1.Health/Check`, so a provider whose socket stopped answering is restarted.
 */
import * as grpc from "@grpc/grpc-js";
import { type Endpoint, grpcTarget } from "../transport/endpoint.ts";
import { healthCheckOverAfUnix } from "../transport/afunix/health_check.ts";
import { HealthClient } from "../transport/proto.ts";
import type { UnixListenerKind } from "../transport/unix_listener.ts";
import { goCodeName } from "./grpc_code_names.ts";
import type { Logger } from "../log/logger.ts";
import { type HttpEndpoint, serveHttp } from "./http_endpoint.ts";

/** Where the health endpoint listens and what it checks. */
export interface HealthServerOptions {
  readonly port: number;
  /** `--healthz-path`, e.g. `/healthz`. */
  readonly path: string;
  /** `--healthz-timeout`: the deadline of the gRPC check. */
  readonly timeoutMs: number;
  /** The provider's gRPC endpoint, dialed on every check. */
  readonly endpoint: Endpoint;
  /** How the endpoint is listened on; an `ffi` socket is dialed through FFI too. */
  readonly unixListener?: UnixListenerKind;
  readonly logger: Logger;
}

/** Thrown when the gRPC health check does not answer SERVING. */
export class HealthCheckError extends Error {
  override name = "HealthCheckError";
}

/**
 * Calls Health/Check on the endpoint over a fresh connection (as the Go provider does, so a
 * wedged listener is noticed) and resolves when it answers SERVING.
 */
function checkHealth(
  endpoint: Endpoint,
  timeoutMs: number,
  unixListener: UnixListenerKind = "native",
): Promise<void> {
  if (endpoint.kind === "unix" && unixListener === "ffi") return checkOverAfUnix(endpoint.path, timeoutMs);
  const client = new HealthClient(grpcTarget(endpoint), grpc.credentials.createInsecure(), {
    "grpc.default_authority": "localhost",
  });
  return new Promise<void>((resolve, reject) => {
    client.Check(
      { service: "" },
      { deadline: Date.now() + timeoutMs },
      (error: grpc.ServiceError | null, response?: { status?: unknown }) => {
        if (error) return reject(new HealthCheckError(grpcErrorText(error)));
        if (!SERVING.has(response?.status)) {
          return reject(new HealthCheckError("expected health check response serving"));
        }
        resolve();
      },
    );
  }).finally(() => client.close());
}

/** Serves `path`: 200 `ok` when the gRPC check passes, else 503 with the error text. */
export function serveHealth(options: HealthServerOptions): Promise<HttpEndpoint> {
  return serveHttp({
    name: "healthz",
    port: options.port,
    logger: options.logger,
    routes: {
      [options.path]: async () => {
        options.logger.debug(5, "started health check");
        try {
          await checkHealth(options.endpoint, options.timeoutMs, options.unixListener);
        } catch (error) {
          const text = (error as Error).message;
          options.logger.debug(5, "health check failed", { error: text });
          return new Response(text + "\n", { status: 503, headers: TEXT });
        }
        options.logger.debug(5, "completed health check");
        return new Response("ok", { status: 200, headers: TEXT });
      },
    },
  });
}

/** The same check where `node:net` cannot dial the socket (Windows): see health_check.ts. */
async function checkOverAfUnix(path: string, timeoutMs: number): Promise<void> {
  const answer = await healthCheckOverAfUnix(path, timeoutMs);
  if (answer.code !== 0) {
    throw new HealthCheckError(`rpc error: code = ${goCodeName(answer.code)} desc = ${answer.details}`);
  }
  if (!SERVING.has(answer.status)) throw new HealthCheckError("expected health check response serving");
}

/** SERVING as the enum decodes (a number; the name if the loader maps enums to strings). */
const SERVING = new Set<unknown>([1, "SERVING"]);

const TEXT = { "content-type": "text/plain; charset=utf-8" };

/** Go's status error text: `rpc error: code = <Code> desc = <message>`. */
function grpcErrorText(error: grpc.ServiceError): string {
  return `rpc error: code = ${goCodeName(error.code)} desc = ${error.details}`;
}
