/**
 * A grpc-js client for the provider's socket, dialing `unix:` with `:authority` localhost and
 * the driver's 4 MiB receive limit, as the Secrets Store CSI Driver does.
 */
import * as grpc from "@grpc/grpc-js";
import { loadSync } from "@grpc/proto-loader";

/**
 * A client constructor for one service of a .proto file in proto/, loaded from the file itself
 * (not through the provider's embedded copy), with the options the provider's server uses.
 */
function clientOf(file: string, service: string): grpc.ServiceClientConstructor {
  const path = new URL(`../../proto/${file}`, import.meta.url).pathname;
  const definition = loadSync(path, { keepCase: true, defaults: true, longs: Number });
  let found: unknown = grpc.loadPackageDefinition(definition);
  for (const name of service.split(".")) found = (found as Record<string, unknown>)[name];
  return found as grpc.ServiceClientConstructor;
}

/** `v1alpha1.CSIDriverProvider`, the driver's side of proto/provider.proto. */
export const ProviderClient = clientOf("provider.proto", "v1alpha1.CSIDriverProvider");
/** `grpc.health.v1.Health`, from proto/health.proto. */
export const HealthClient = clientOf("health.proto", "grpc.health.v1.Health");

/** A MountRequest as the driver builds it. */
export interface MountRequestJson {
  attributes: string;
  secrets: string;
  permission: string;
  target_path?: string;
}

/** A decoded MountResponse. */
export interface MountResponseJson {
  object_version: { id: string; version: string }[];
  files: { path: string; mode: number; contents: Uint8Array }[];
  error?: { code: string } | null;
}

/** A gRPC failure: its status code and the message users would see. */
export interface CallError extends Error {
  code: grpc.status;
  details: string;
}

/** The calls the driver makes, as promises. */
export interface ProviderClientHandle {
  mount(
    request: MountRequestJson,
    options?: { deadlineMs?: number; signal?: AbortSignal },
  ): Promise<MountResponseJson>;
  version(): Promise<{ version: string; runtime_name: string; runtime_version: string }>;
  /** grpc.health.v1 Check; status 1 is SERVING. */
  health(): Promise<{ status: number }>;
  close(): void;
}

/** Opens a client on the provider's Unix socket. */
export function providerClient(socketPath: string): ProviderClientHandle {
  const target = `unix:${socketPath}`;
  const options = {
    "grpc.max_receive_message_length": 4 * 1024 * 1024,
    "grpc.default_authority": "localhost",
  };
  const provider = new ProviderClient(target, grpc.credentials.createInsecure(), options);
  const health = new HealthClient(target, grpc.credentials.createInsecure(), options);
  const call = <T>(
    client: grpc.Client,
    method: string,
    request: unknown,
    deadlineMs?: number,
    signal?: AbortSignal,
  ) =>
    new Promise<T>((resolve, reject) => {
      const callOptions = deadlineMs ? { deadline: Date.now() + deadlineMs } : {};
      // deno-lint-ignore no-explicit-any
      const pending = (client as any)[method](
        request,
        callOptions,
        (error: grpc.ServiceError | null, response: T) => error ? reject(error) : resolve(response),
      );
      signal?.addEventListener("abort", () => pending.cancel(), { once: true });
    });
  return {
    mount: (request, options = {}) =>
      call(
        provider,
        "Mount",
        { target_path: "/var/lib/kubelet/pods/x/volumes/mount", ...request },
        options.deadlineMs,
        options.signal,
      ),
    version: () => call(provider, "Version", { version: "v1alpha1" }),
    health: () => call(health, "Check", { service: "" }),
    close: () => {
      provider.close();
      health.close();
    },
  };
}
