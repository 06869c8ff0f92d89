/**
 * The Go provider's Prometheus metrics, same names, help texts, labels and buckets, so that
 * dashboards and alerts written for it keep working, served on `--prometheus-port` at `/metrics`.
 */
import client from "prom-client";
import type { MountObserver } from "../mount/mount_types.ts";
import { goCodeName } from "./grpc_code_names.ts";
import type { Logger } from "../log/logger.ts";
import { type HttpEndpoint, serveHttp } from "./http_endpoint.ts";

/** The histogram buckets of both metrics, in seconds (the Go provider's OpenTelemetry view). */
const BUCKETS: readonly number[] = [0.1, 0.2, 0.3, 0.4, 0.5, 1, 1.5, 2, 2.5, 3, 5, 10, 15, 30];

/** The value of the `service_name` label (the Go provider sets `service.name` on every point). */
const SERVICE_NAME = "csi-secrets-store-provider-azure";

/**
 * The OpenTelemetry instrumentation scope the Go provider's meter is named after; its Prometheus
 * exporter adds it to every series as `otel_scope_name`, so queries that select on it still match.
 */
const SCOPE_NAME = "csi-secrets-store-provider-azure";

const COMMON_LABELS = ["service_name", "provider", "os_type", "otel_scope_name"] as const;

/**
 * The provider's two histograms in their own registry (no process metrics: the Go provider
 * exports none, and reading /proc would need more permissions).
 */
export class ProviderMetrics implements MountObserver {
  /** The registry holding only this provider's metrics. */
  readonly registry: client.Registry = new client.Registry();
  readonly #common: Record<(typeof COMMON_LABELS)[number], string>;
  readonly #keyVault: client.Histogram<string>;
  readonly #grpc: client.Histogram<string>;
  readonly #cacheHits: client.Counter<string>;
  readonly #cacheMisses: client.Counter<string>;
  readonly #throttled: client.Counter<string>;
  readonly #throttleWait: client.Histogram<string>;
  readonly #entraThrottled: client.Counter<string>;
  readonly #entraThrottleWait: client.Histogram<string>;

  constructor() {
    this.#common = {
      service_name: SERVICE_NAME,
      provider: "azure",
      // Deno's OS names are Go's GOOS names (`linux`, `windows`).
      os_type: Deno.build.os,
      otel_scope_name: SCOPE_NAME,
    };
    this.#keyVault = new client.Histogram({
      name: "keyvault_request",
      help: "Distribution of how long it took to get from keyvault",
      labelNames: [...COMMON_LABELS, "object_type", "object_name", "error"],
      buckets: [...BUCKETS],
      registers: [this.registry],
    });
    this.#grpc = new client.Histogram({
      name: "grpc_request",
      help: "Distribution of how long it took for the gRPC requests",
      labelNames: [...COMMON_LABELS, "grpc_method", "grpc_code", "grpc_message"],
      buckets: [...BUCKETS],
      registers: [this.registry],
    });
    // Ours, not the Go provider's: named in its style (OpenTelemetry counters as Prometheus
    // exports them, with `_total`; histograms in seconds without a unit suffix).
    this.#cacheHits = new client.Counter({
      name: "object_cache_hit_total",
      help: "Number of objects of remounts answered from the object cache",
      labelNames: [...COMMON_LABELS, "object_type"],
      registers: [this.registry],
    });
    this.#cacheMisses = new client.Counter({
      name: "object_cache_miss_total",
      help: "Number of objects fetched from keyvault while the object cache is on",
      labelNames: [...COMMON_LABELS, "object_type"],
      registers: [this.registry],
    });
    this.#throttled = new client.Counter({
      name: "keyvault_throttled_total",
      help: "Number of throttled (429) responses from keyvault",
      labelNames: [...COMMON_LABELS, "vault"],
      registers: [this.registry],
    });
    this.#throttleWait = new client.Histogram({
      name: "keyvault_throttle_wait",
      help: "Distribution of how long requests waited for a keyvault throttle to end",
      labelNames: [...COMMON_LABELS, "vault"],
      buckets: [...BUCKETS],
      registers: [this.registry],
    });
    this.#entraThrottled = new client.Counter({
      name: "entra_throttled_total",
      help: "Number of throttled (429) responses from an Entra authority",
      labelNames: [...COMMON_LABELS, "authority"],
      registers: [this.registry],
    });
    this.#entraThrottleWait = new client.Histogram({
      name: "entra_throttle_wait",
      help: "Distribution of how long token requests waited for an Entra throttle to end",
      labelNames: [...COMMON_LABELS, "authority"],
      buckets: [...BUCKETS],
      registers: [this.registry],
    });
  }

  /** Records one object fetched from Key Vault (MountObserver); `error` is "" on success, as in Go. */
  keyVaultRequest(event: { objectType: string; objectName: string; seconds: number; error?: string }): void {
    this.#keyVault.observe({
      ...this.#common,
      object_type: event.objectType,
      object_name: event.objectName,
      error: event.error ?? "",
    }, event.seconds);
  }

  /** Records one object answered from the object cache or fetched (MountObserver). */
  objectCache(event: { objectType: string; hit: boolean }): void {
    (event.hit ? this.#cacheHits : this.#cacheMisses).inc({ ...this.#common, object_type: event.objectType });
  }

  /** Records a 429 from a vault (ThrottleObserver). */
  throttled(vault: string): void {
    this.#throttled.inc({ ...this.#common, vault });
  }

  /** Records how long a request waited for a vault's throttle (ThrottleObserver). */
  waited(vault: string, seconds: number): void {
    this.#throttleWait.observe({ ...this.#common, vault }, seconds);
  }

  /** Records a 429 from an Entra authority (MountObserver). */
  entraThrottled(authority: string): void {
    this.#entraThrottled.inc({ ...this.#common, authority });
  }

  /** Records how long a token request waited for an Entra authority's throttle (MountObserver). */
  entraWaited(authority: string, seconds: number): void {
    this.#entraThrottleWait.observe({ ...this.#common, authority }, seconds);
  }

  /** Records one finished gRPC call (`code` is a gRPC status code); pass as the server's `onRpc`. */
  readonly grpcRequest = (
    event: { method: string; code: number; message: string; seconds: number },
  ): void => {
    this.#grpc.observe({
      ...this.#common,
      grpc_method: event.method,
      grpc_code: goCodeName(event.code),
      grpc_message: event.message,
    }, event.seconds);
  };

  /** The Prometheus text exposition of every metric. */
  text(): Promise<string> {
    return this.registry.metrics();
  }
}

/** Where and how the metrics endpoint listens. */
export interface MetricsServerOptions {
  readonly port: number;
  readonly logger: Logger;
}

/** Serves `GET /metrics` on all interfaces (as the Go provider does); every other path is 404. */
export function serveMetrics(metrics: ProviderMetrics, options: MetricsServerOptions): Promise<HttpEndpoint> {
  return serveHttp({
    name: "metrics",
    port: options.port,
    logger: options.logger,
    routes: {
      "/metrics": async () =>
        new Response(await metrics.text(), {
          headers: { "content-type": metrics.registry.contentType },
        }),
    },
  });
}
