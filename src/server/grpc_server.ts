import * as grpc from "@grpc/grpc-js";
import { rememberDeadline } from "../concurrency/deadline.ts";
import type { Mounter } from "../mount/mount.ts";
import type { MountResult } from "../mount/mount_types.ts";
import type { Logger } from "../log/logger.ts";
import { PROVIDER_NAME, PROVIDER_VERSION } from "../version.ts";
import { Endpoint, grpcTarget } from "../transport/endpoint.ts";
import { healthService, providerService } from "../transport/proto.ts";
import { mountStatus } from "./status.ts";
import { bindPrivateSocket, removeStaleSocket } from "../transport/socket.ts";
import type { UnixAcceptor } from "../transport/afunix/acceptor.ts";
import { serveWithFfiListener } from "../transport/afunix/grpc_listener.ts";
import type { UnixListenerKind } from "../transport/unix_listener.ts";

/** The API version of the driver contract this provider implements. */
const API_VERSION = "v1alpha1";
/** How long shutdown waits for the FFI listener's sockets to be released after the grace period. */
const SOCKET_RELEASE_MS = 2000;

/** Observes every finished RPC (metrics and logs). */
export type RpcObserver = (
  event: { method: string; code: grpc.status; message: string; seconds: number },
) => void;

/** What the gRPC server is built from. */
export interface ProviderServerOptions {
  readonly endpoint: Endpoint;
  readonly mounter: Pick<Mounter, "mount">;
  readonly logger: Logger;
  readonly onRpc?: RpcObserver;
  /** How a Unix socket is listened on (`--unix-listener`); `native` by default. */
  readonly unixListener?: UnixListenerKind;
}

interface MountRequestMessage {
  attributes: string;
  secrets: string;
  target_path: string;
  permission: string;
}

/**
 * A thin gRPC server: decodes calls, hands them to the Mounter with a signal carrying the
 * call's deadline and cancellation, and maps errors to statuses. No business logic here.
 */
export class ProviderServer {
  readonly #server = new grpc.Server();
  readonly #inFlight = new Set<Promise<unknown>>();
  #acceptor?: UnixAcceptor;

  constructor(private readonly options: ProviderServerOptions) {
    this.#server.addService(providerService, {
      Version: this.#unary(
        "/v1alpha1.CSIDriverProvider/Version",
        () =>
          Promise.resolve({
            version: API_VERSION,
            runtime_name: PROVIDER_NAME,
            runtime_version: PROVIDER_VERSION,
          }),
      ),
      Mount: this.#unary(
        "/v1alpha1.CSIDriverProvider/Mount",
        (request: MountRequestMessage, signal) => this.#mount(request, signal),
      ),
    });
    this.#server.addService(healthService, {
      Check: this.#unary("/grpc.health.v1.Health/Check", () => Promise.resolve({ status: "SERVING" })),
      List: unimplemented("List is not supported"),
      Watch: (call: grpc.ServerWritableStream<unknown, unknown>) =>
        call.emit("error", { code: grpc.status.UNIMPLEMENTED, details: "Watch is not supported" }),
    });
  }

  /** Binds the endpoint (removing a stale socket first) and starts serving. */
  async listen(): Promise<void> {
    const { endpoint } = this.options;
    if (endpoint.kind === "tcp") return void await this.#bind(grpcTarget(endpoint));
    await removeStaleSocket(endpoint.path);
    if (this.options.unixListener === "ffi") {
      this.#acceptor = await serveWithFfiListener(this.#server, endpoint.path, this.options.logger);
      return;
    }
    await bindPrivateSocket(endpoint.path, (path) => this.#bind(grpcTarget({ kind: "unix", path })));
  }

  #bind(target: string): Promise<number> {
    return new Promise<number>((resolve, reject) =>
      this.#server.bindAsync(
        target,
        grpc.ServerCredentials.createInsecure(),
        (error, port) => error ? reject(error) : resolve(port),
      )
    );
  }

  /**
   * Stops accepting calls, waits up to `graceMs` for mounts under way, then closes every
   * connection and removes the socket file.
   */
  async shutdown(graceMs: number): Promise<void> {
    await this.#acceptor?.stopAccepting();
    const drained = new Promise<void>((resolve) => this.#server.tryShutdown(() => resolve()));
    const timer = new Promise<"timeout">((resolve) => setTimeout(() => resolve("timeout"), graceMs));
    const outcome = await Promise.race([drained.then(() => "drained" as const), timer]);
    if (outcome === "timeout") {
      this.options.logger.warn("mounts still running after the shutdown grace period; closing", {
        inFlight: this.#inFlight.size,
      });
      this.#server.forceShutdown();
    }
    await this.#acceptor?.close(SOCKET_RELEASE_MS);
    const { endpoint } = this.options;
    if (endpoint.kind === "unix") await Deno.remove(endpoint.path).catch(() => {});
  }

  async #mount(request: MountRequestMessage, signal: AbortSignal) {
    const result: MountResult = await this.options.mounter.mount(request, signal);
    return {
      object_version: result.objectVersions.map(({ id, version }) => ({ id, version })),
      files: result.files.map(({ path, mode, contents }) => ({ path, mode, contents })),
    };
  }

  #unary<Req, Res>(method: string, handle: (request: Req, signal: AbortSignal) => Promise<Res>) {
    return (call: grpc.ServerUnaryCall<Req, Res>, callback: grpc.sendUnaryData<Res>) => {
      const started = performance.now();
      const signal = callSignal(call);
      const work = handle(call.request, signal).then(
        (response) => {
          this.#finish(method, started, grpc.status.OK, "");
          callback(null, response);
        },
        (error) => {
          const status = mountStatus(error);
          this.#finish(method, started, status.code, status.details);
          callback({ code: status.code, details: status.details });
        },
      );
      this.#inFlight.add(work);
      work.finally(() => this.#inFlight.delete(work));
    };
  }

  #finish(method: string, started: number, code: grpc.status, message: string): void {
    const seconds = (performance.now() - started) / 1000;
    this.options.logger.debug(5, "grpc request", {
      method,
      code: grpc.status[code],
      seconds: round(seconds),
      message,
    });
    this.options.onRpc?.({ method, code, message, seconds });
  }
}

/** An AbortSignal that fires when the caller cancels or the call's deadline passes. */
function callSignal(call: grpc.ServerUnaryCall<unknown, unknown>): AbortSignal {
  const controller = new AbortController();
  const deadline = call.getDeadline();
  const deadlineMs = deadline instanceof Date ? deadline.getTime() : deadline;
  let timer: ReturnType<typeof setTimeout> | undefined;
  if (Number.isFinite(deadlineMs)) {
    rememberDeadline(controller.signal, deadlineMs);
    timer = setTimeout(
      () => controller.abort(new DOMException("the call's deadline passed", "TimeoutError")),
      Math.max(0, deadlineMs - Date.now()),
    );
  }
  call.on("cancelled", () => {
    const expired = Number.isFinite(deadlineMs) && Date.now() >= deadlineMs;
    controller.abort(
      expired
        ? new DOMException("the call's deadline passed", "TimeoutError")
        : new DOMException("the caller cancelled the call", "AbortError"),
    );
  });
  controller.signal.addEventListener("abort", () => clearTimeout(timer), { once: true });
  call.on("finish", () => clearTimeout(timer));
  return controller.signal;
}

function unimplemented(details: string) {
  return (_call: unknown, callback: grpc.sendUnaryData<unknown>) =>
    callback({ code: grpc.status.UNIMPLEMENTED, details });
}

function round(seconds: number): number {
  return Math.round(seconds * 1000) / 1000;
}
