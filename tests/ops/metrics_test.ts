/**
 * /metrics after real mounts through the socket, parsed with the Prometheus project's Python
 * parser: the Go provider's metric names, help texts, labels and buckets, and counts that match
 * the calls made.
 */
import assert from "node:assert/strict";
import type { ServiceError } from "@grpc/grpc-js";
import { providerClient } from "../harness/grpc_client.ts";
import { mountRequest } from "../harness/spc.ts";
import { SP, startWorld } from "../integration/fixtures.ts";
import { type Family, parseExposition, type Sample } from "./metrics_text.ts";
import { freePort } from "../harness/net.ts";

/** The Go provider's histogram buckets, in seconds. */
const BUCKETS = [0.1, 0.2, 0.3, 0.4, 0.5, 1, 1.5, 2, 2.5, 3, 5, 10, 15, 30];

const COMMON = {
  service_name: "csi-secrets-store-provider-azure",
  provider: "azure",
  os_type: "linux",
  otel_scope_name: "csi-secrets-store-provider-azure",
};

/** The series of a histogram family, keyed by their labels without `le`. */
function series(family: Family): Map<string, { labels: Record<string, string>; samples: Sample[] }> {
  const result = new Map<string, { labels: Record<string, string>; samples: Sample[] }>();
  for (const sample of family.samples) {
    const { le: _le, ...labels } = sample.labels;
    const key = JSON.stringify(Object.entries(labels).sort());
    if (!result.has(key)) result.set(key, { labels, samples: [] });
    result.get(key)!.samples.push(sample);
  }
  return result;
}

/** Checks one histogram series' shape and returns its count. */
function histogramCount(name: string, samples: Sample[]): number {
  const buckets = samples.filter((s) => s.name === `${name}_bucket`);
  // `le` as Go's client writes it (shortest float form: "1", "2.5", "+Inf").
  assert.deepEqual(buckets.map((b) => b.labels.le), [...BUCKETS.map(String), "+Inf"]);
  const values = buckets.map((b) => b.value as number);
  assert.deepEqual(values, [...values].sort((a, b) => a - b), "buckets are cumulative");
  const count = samples.find((s) => s.name === `${name}_count`)!.value as number;
  assert.equal(values.at(-1), count, "the +Inf bucket equals the count");
  const sum = samples.find((s) => s.name === `${name}_sum`)!.value as number;
  assert.ok(sum >= 0 && Number.isFinite(sum));
  return count;
}

Deno.test("metrics: keyvault_request and grpc_request after real mounts, as the Go provider exports them", async () => {
  const metricsPort = freePort();
  const healthPort = freePort();
  const world = await startWorld({
    args: [`--prometheus-port=${metricsPort}`, `--healthz-port=${healthPort}`],
  });
  const client = providerClient(world.provider.socketPath);
  try {
    const objects = [
      { objectName: "db-password", objectType: "secret" },
      { objectName: "api-key", objectType: "secret" },
    ];
    for (let i = 0; i < 3; i++) await client.mount(mountRequest({ objects, secrets: SP }));
    const failure = await client.mount(mountRequest({
      objects: [{ objectName: "no-such-secret", objectType: "secret" }],
      secrets: SP,
    })).then(() => assert.fail("the mount should fail"), (error: ServiceError) => error);
    assert.equal(failure.code, 5, failure.details);
    await client.version();
    await client.health();
    assert.equal(await (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).text(), "ok");

    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const families = await parseExposition(await response.text());
    assert.deepEqual(families.map((f) => [f.name, f.type]), [
      ["keyvault_request", "histogram"],
      ["grpc_request", "histogram"],
      // Ours (the object cache and throttling): tests/integration/object_cache_test.ts and throttle_test.ts.
      ["object_cache_hit", "counter"],
      ["object_cache_miss", "counter"],
      ["keyvault_throttled", "counter"],
      ["keyvault_throttle_wait", "histogram"],
      ["entra_throttled", "counter"],
      ["entra_throttle_wait", "histogram"],
    ]);
    const [keyVault, grpc] = families;
    assert.equal(keyVault.documentation, "Distribution of how long it took to get from keyvault");
    assert.equal(grpc.documentation, "Distribution of how long it took for the gRPC requests");

    const vaultSeries = [...series(keyVault).values()].map(({ labels, samples }) => ({
      labels,
      count: histogramCount("keyvault_request", samples),
    }));
    const objectError = failure.details.replace(/^failed to mount objects, error: /, "");
    assert.match(objectError, /^failed to get objectType:secret, objectName:no-such-secret, objectVersion:/);
    assert.deepEqual(
      vaultSeries.sort((a, b) => a.labels.object_name.localeCompare(b.labels.object_name)),
      [
        { labels: { ...COMMON, object_type: "secret", object_name: "api-key", error: "" }, count: 3 },
        { labels: { ...COMMON, object_type: "secret", object_name: "db-password", error: "" }, count: 3 },
        {
          labels: { ...COMMON, object_type: "secret", object_name: "no-such-secret", error: objectError },
          count: 1,
        },
      ],
    );

    const rpcSeries = [...series(grpc).values()].map(({ labels, samples }) => ({
      labels,
      count: histogramCount("grpc_request", samples),
    }));
    const mount = "/v1alpha1.CSIDriverProvider/Mount";
    assert.deepEqual(
      rpcSeries.sort((a, b) =>
        `${a.labels.grpc_method}${a.labels.grpc_code}`.localeCompare(
          `${b.labels.grpc_method}${b.labels.grpc_code}`,
        )
      ),
      [
        {
          labels: {
            ...COMMON,
            grpc_method: "/grpc.health.v1.Health/Check",
            grpc_code: "OK",
            grpc_message: "",
          },
          count: 2,
        },
        {
          labels: { ...COMMON, grpc_method: mount, grpc_code: "NotFound", grpc_message: failure.details },
          count: 1,
        },
        { labels: { ...COMMON, grpc_method: mount, grpc_code: "OK", grpc_message: "" }, count: 3 },
        {
          labels: {
            ...COMMON,
            grpc_method: "/v1alpha1.CSIDriverProvider/Version",
            grpc_code: "OK",
            grpc_message: "",
          },
          count: 1,
        },
      ],
    );

    const other = await fetch(`http://127.0.0.1:${metricsPort}/metrics/extra`);
    assert.equal(other.status, 404);
    await other.body?.cancel();
  } finally {
    client.close();
    await world.close();
  }
});

Deno.test("metrics: label values with quotes, backslashes and newlines survive the text format", async () => {
  const { ProviderMetrics } = await import("../../src/ops/metrics.ts");
  const metrics = new ProviderMetrics();
  const message = 'failed to mount objects, error: a "quoted" \\ path\nsecond line';
  metrics.grpcRequest({ method: "/v1alpha1.CSIDriverProvider/Mount", code: 2, message, seconds: 0.25 });
  metrics.keyVaultRequest({ objectType: "secret", objectName: "x", seconds: 31 });
  const [keyVault, grpc] = await parseExposition(await metrics.text());
  const count = grpc.samples.find((s) => s.name === "grpc_request_count")!;
  assert.equal(count.labels.grpc_message, message);
  assert.equal(count.labels.grpc_code, "Unknown");
  const bucket = (le: string) =>
    grpc.samples.find((s) => s.name === "grpc_request_bucket" && s.labels.le === le)!;
  assert.equal(bucket("0.2").value, 0);
  assert.equal(bucket("0.3").value, 1);
  const slow = keyVault.samples.filter((s) => s.name === "keyvault_request_bucket");
  assert.deepEqual(slow.map((s) => s.value), [...BUCKETS.map(() => 0), 1], "31 s falls in +Inf only");
});
