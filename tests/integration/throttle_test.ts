/**
 * Throttling obeyed across mounts, read from the emulator's request log: after a 429 with
 * Retry-After no request from any mount reaches the vault until the time has passed; a 429
 * without Retry-After gets exponential backoff; a mount whose deadline ends first fails with
 * Unavailable naming the vault, the throttle and when it ends; requests in flight per vault are
 * bounded by --vault-concurrency; /metrics counts the 429s and the time spent waiting.
 */
import assert from "node:assert/strict";
import type { ServiceError } from "@grpc/grpc-js";
import type { RecordedRequest } from "../emulator/emulator.ts";
import { text } from "../harness/bytes.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { mountRequest } from "../harness/spc.ts";
import { freePort } from "../harness/net.ts";
import { until } from "../harness/wait.ts";
import { parseExposition } from "../ops/metrics_text.ts";
import { SEED, SP, startWorld, TENANT } from "./fixtures.ts";

const VAULT_HOST = "demo-vault.vault.azure.net";
const PODS = 12;
const SP2 = { clientid: "12345678-1234-4234-8234-123456789012", clientsecret: "sp-two-Secret.3" };

/** The fixtures' seed plus one secret per pod and a second identity with access. */
const THROTTLE_SEED = {
  ...SEED,
  identities: [
    ...SEED.identities,
    {
      name: "sp-two",
      kind: "servicePrincipal",
      tenant: TENANT,
      clientId: SP2.clientid,
      clientSecret: SP2.clientsecret,
    },
  ],
  vaults: [{
    ...SEED.vaults[0],
    readers: ["sp-app", "sp-two"],
    secrets: [
      ...SEED.vaults[0].secrets,
      ...Array.from(
        { length: PODS },
        (_, i) => ({ name: `app-${i}`, versions: [{ version: `v${i}`, value: `value-${i}` }] }),
      ),
    ],
  }],
};

/** Pod `i`'s mount: its own secret, as one of two identities. */
function podMount(i: number) {
  return mountRequest({
    objects: [{ objectName: `app-${i}`, objectType: "secret" }],
    secrets: i % 2 === 0 ? SP : SP2,
  });
}

function vaultRequests(requests: RecordedRequest[]): RecordedRequest[] {
  return requests.filter((r) => r.service === "keyvault").sort((a, b) => a.startedAt - b.startedAt);
}

Deno.test("throttle: a 429 with Retry-After holds back every mount of every identity until it has passed", async () => {
  const metricsPort = freePort();
  // One request at a time, so that none is already on its way when the 429 arrives: every
  // request the emulator sees after it was sent after the provider knew of the throttle.
  const world = await startWorld({
    seed: THROTTLE_SEED,
    args: [`--prometheus-port=${metricsPort}`, "--vault-concurrency=1"],
  });
  const client = providerClient(world.provider.socketPath);
  try {
    world.emulator.setFaults({ service: "keyvault", kind: "status", status: 429, retryAfter: 2, times: 1 });
    const results = await Promise.all(
      Array.from({ length: PODS }, (_, i) => client.mount(podMount(i), { deadlineMs: 60_000 })),
    );
    results.forEach((result, i) => assert.equal(text(result.files[0].contents), `value-${i}`));

    const requests = vaultRequests(world.emulator.requests());
    const throttled = requests.filter((r) => r.status === 429);
    assert.equal(throttled.length, 1);
    const answered = throttled[0].endedAt!;
    const during = requests.filter((r) => r.startedAt > answered && r.startedAt < answered + 2_000);
    assert.deepEqual(
      during.map((r) => [r.identity, r.path, r.startedAt - answered]),
      [],
      "nothing during the 2 s",
    );
    const after = requests.filter((r) => r.startedAt >= answered + 2_000);
    assert.ok(after.length >= PODS, `every pod's GET was sent after the throttle: ${after.length}`);

    const families = await parseExposition(
      await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    );
    const sample = (family: string, name: string) =>
      families.find((f) => f.name === family)!.samples.find((s) =>
        s.name === name && s.labels.vault === VAULT_HOST
      );
    assert.equal(sample("keyvault_throttled", "keyvault_throttled_total")?.value, 1);
    const waits = sample("keyvault_throttle_wait", "keyvault_throttle_wait_count")?.value as number;
    assert.ok(waits >= 1, `requests that waited for the throttle: ${waits}`);
    const waited = sample("keyvault_throttle_wait", "keyvault_throttle_wait_sum")?.value as number;
    assert.ok(waited >= 1.5, `time spent waiting: ${waited} s`);
  } finally {
    client.close();
    await world.close();
  }
});

Deno.test("throttle: a 429 without Retry-After gets exponential backoff with jitter, then the mount succeeds", async () => {
  const world = await startWorld({ seed: THROTTLE_SEED });
  const client = providerClient(world.provider.socketPath);
  try {
    await client.mount(podMount(0)); // the client's challenge and token first
    world.emulator.resetRequests();
    world.emulator.setFaults({
      service: "keyvault",
      pathPrefix: "/secrets/app-0",
      kind: "status",
      status: 429,
      times: 3,
    });
    const result = await client.mount(podMount(0), { deadlineMs: 60_000 });
    assert.equal(text(result.files[0].contents), "value-0");
    const gets = vaultRequests(world.emulator.requests());
    assert.deepEqual(gets.map((r) => r.status), [429, 429, 429, 200]);
    const gaps = gets.slice(1).map((r, i) => r.startedAt - gets[i].endedAt!);
    // 1 s, 2 s, 4 s, each half fixed and half random.
    [[500, 1_000], [1_000, 2_000], [2_000, 4_000]].forEach(([low, high], i) => {
      assert.ok(gaps[i] >= low - 20, `backoff ${i + 1}: ${gaps[i]} ms, at least ${low}`);
      assert.ok(gaps[i] <= high + 1_000, `backoff ${i + 1}: ${gaps[i]} ms, about ${high} at most`);
    });
  } finally {
    client.close();
    await world.close();
  }
});

Deno.test("throttle: a deadline shorter than the throttle fails with Unavailable naming the vault and when it ends", async () => {
  const world = await startWorld({ seed: THROTTLE_SEED });
  const client = providerClient(world.provider.socketPath);
  try {
    await client.mount(podMount(0));
    world.emulator.resetRequests();
    world.emulator.setFaults({ service: "keyvault", kind: "status", status: 429, retryAfter: 30, times: 1 });
    const started = Date.now();
    const error = await client.mount(podMount(0), { deadlineMs: 3_000 }).then(
      () => assert.fail("the mount should fail"),
      (e: ServiceError) => e,
    );
    assert.equal(error.code, 14, error.details);
    const until = /ends at (\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)/.exec(error.details);
    assert.ok(until, error.details);
    const ends = Date.parse(until[1]) - started;
    assert.ok(ends > 25_000 && ends < 32_000, `the throttle ends ${ends} ms after the mount started`);
    assert.match(
      error.details,
      /^failed to mount objects, error: failed to get objectType:secret, objectName:app-0, objectVersion:: Key Vault demo-vault\.vault\.azure\.net is throttling requests from this node \(429 Too Many Requests; its Retry-After ends at /,
    );
    assert.ok(Date.now() - started < 2_500, "failed as soon as the throttle was known, before the deadline");
    // A second pod, while the throttle lasts: it sends nothing and fails the same way at once.
    const secondStarted = Date.now();
    const other = await client.mount(podMount(1), { deadlineMs: 5_000 }).then(
      () => assert.fail("the mount should fail"),
      (e: ServiceError) => e,
    );
    assert.equal(other.code, 14, other.details);
    assert.match(other.details, /objectName:app-1, .*demo-vault\.vault\.azure\.net is throttling/);
    assert.ok(Date.now() - secondStarted < 4_000, "it did not wait for its deadline");
    assert.equal(
      vaultRequests(world.emulator.requests()).length,
      1,
      "only the throttled request reached the vault",
    );
  } finally {
    client.close();
    await world.close();
  }
});

Deno.test("throttle: --vault-concurrency bounds the requests in flight to one vault across mounts", async () => {
  const world = await startWorld({ seed: THROTTLE_SEED, args: ["--vault-concurrency=3"] });
  const client = providerClient(world.provider.socketPath);
  try {
    await Promise.all([client.mount(podMount(0)), client.mount(podMount(1))]); // tokens and challenges
    world.emulator.resetRequests();
    world.emulator.setFaults({ service: "keyvault", kind: "latency", ms: 300 });
    await Promise.all(
      Array.from({ length: PODS }, (_, i) => client.mount(podMount(i), { deadlineMs: 60_000 })),
    );
    const requests = vaultRequests(world.emulator.requests());
    assert.equal(requests.length, PODS);
    const most = Math.max(
      ...requests.map((r) =>
        requests.filter((o) => o.startedAt <= r.startedAt && o.endedAt! > r.startedAt).length
      ),
    );
    assert.equal(most, 3, "at most 3 requests in flight, and the bound was reached");
  } finally {
    client.close();
    await world.close();
  }
});

Deno.test("throttle: a 429 from Entra with Retry-After holds back every token request to that authority", async () => {
  const metricsPort = freePort();
  const world = await startWorld({ seed: THROTTLE_SEED, args: [`--prometheus-port=${metricsPort}`] });
  const client = providerClient(world.provider.socketPath);
  const tokenRequests = () =>
    world.emulator.requests((r) => r.service === "entra" && r.method === "POST")
      .sort((a, b) => a.startedAt - b.startedAt);
  try {
    world.emulator.setFaults({
      service: "entra",
      method: "POST",
      kind: "status",
      status: 429,
      retryAfter: 2,
      times: 1,
    });
    const first = client.mount(podMount(0), { deadlineMs: 60_000 });
    await until(
      () => tokenRequests().some((r) => r.endedAt !== undefined),
      "the answer to the first token request",
      { intervalMs: 25 },
    );
    // Another identity of the same tenant, while the authority throttles: it waits too.
    const second = client.mount(podMount(1), { deadlineMs: 60_000 });
    const results = await Promise.all([first, second]);
    assert.deepEqual(results.map((r) => text(r.files[0].contents)), ["value-0", "value-1"]);
    const requests = tokenRequests();
    assert.equal(requests[0].status, 429);
    const answered = requests[0].endedAt!;
    const during = requests.filter((r) => r.startedAt > answered && r.startedAt < answered + 2_000);
    assert.deepEqual(during.map((r) => r.startedAt - answered), [], "no token request during the 2 s");
    assert.deepEqual(
      requests.slice(1).map((r) => r.status),
      [200, 200],
      "both identities got their token after it",
    );

    const families = await parseExposition(
      await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    );
    const throttled = families.find((f) => f.name === "entra_throttled")!.samples
      .find((s) => s.name === "entra_throttled_total");
    assert.equal(throttled?.value, 1);
    assert.equal(throttled?.labels.authority, `login.microsoftonline.com/${TENANT}`);
  } finally {
    client.close();
    await world.close();
  }
});

Deno.test("throttle: a deadline shorter than Entra's throttle fails with Unavailable naming the authority", async () => {
  const world = await startWorld({ seed: THROTTLE_SEED });
  const client = providerClient(world.provider.socketPath);
  try {
    world.emulator.setFaults({
      service: "entra",
      method: "POST",
      kind: "status",
      status: 429,
      retryAfter: 30,
      times: 1,
    });
    const started = Date.now();
    const error = await client.mount(podMount(0), { deadlineMs: 5_000 }).then(
      () => assert.fail("the mount should fail"),
      (e: ServiceError) => e,
    );
    assert.equal(error.code, 14, error.details);
    assert.match(
      error.details,
      new RegExp(
        `objectName:app-0, .*: Entra ID login\\.microsoftonline\\.com/${TENANT} is throttling requests from this node \\(429 Too Many Requests; its Retry-After ends at `,
      ),
    );
    assert.ok(Date.now() - started < 4_500, "failed as soon as the throttle was known, before the deadline");
    // Another identity of the tenant fails the same way at once, without asking Entra.
    const other = await client.mount(podMount(1), { deadlineMs: 5_000 }).then(
      () => assert.fail("the mount should fail"),
      (e: ServiceError) => e,
    );
    assert.equal(other.code, 14, other.details);
    const posts = world.emulator.requests((r) => r.service === "entra" && r.method === "POST");
    assert.deepEqual(posts.map((r) => r.status), [429]);
  } finally {
    client.close();
    await world.close();
  }
});
