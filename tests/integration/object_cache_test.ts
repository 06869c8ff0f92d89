/**
 * The object cache, seen from the emulator: remounts of a pod by the same identity share the
 * objects fetched within the time to live (counted at the emulator), a pod's first mount always
 * reads Key Vault, entries expire (pinned versions too, so a disabled version fails within the
 * TTL), the bytes bound evicts the least recently used, and the cache is visible in /metrics and
 * at -v=5 without any value.
 */
import assert from "node:assert/strict";
import type { ServiceError } from "@grpc/grpc-js";
import { text } from "../harness/bytes.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { mountRequest, type ObjectEntry } from "../harness/spc.ts";
import { freePort } from "../harness/net.ts";
import { until } from "../harness/wait.ts";
import { parseExposition } from "../ops/metrics_text.ts";
import { SEED, SEEDED_VALUES, SP, startWorld } from "./fixtures.ts";

const OBJECTS: ObjectEntry[] = [
  { objectName: "db-password", objectType: "secret" },
  { objectName: "api-key", objectType: "secret" },
];

/** Successful Key Vault GETs of secrets (the challenge round trip answers 401 and is not one). */
function secretGets(world: Awaited<ReturnType<typeof startWorld>>): number {
  return world.emulator.requests({ service: "keyvault", status: 200, pathPrefix: "/secrets/" }).length;
}

/** Key Vault's answer for a disabled secret version, as the service sends it. */
const DISABLED = {
  error: {
    code: "Forbidden",
    message: "Operation get is not allowed on a disabled secret.",
    innererror: { code: "SecretDisabled" },
  },
};

Deno.test("object cache: remounts share one GET per object, first mounts of new pods always read Key Vault", async () => {
  const metricsPort = freePort();
  const world = await startWorld({
    args: ["--object-cache-ttl=1m", "-v=5", `--prometheus-port=${metricsPort}`],
  });
  const client = providerClient(world.provider.socketPath);
  const mount = (podUid: string) => client.mount(mountRequest({ objects: OBJECTS, secrets: SP, podUid }));
  try {
    const first = await mount("pod-1");
    assert.equal(secretGets(world), 2);
    const again = await mount("pod-1");
    assert.equal(secretGets(world), 2, "the remount was answered from the cache");
    assert.deepEqual(
      again.files.map((f) => [f.path, text(f.contents)]),
      first.files.map((f) => [f.path, text(f.contents)]),
    );
    assert.deepEqual(again.object_version, first.object_version);

    await mount("pod-2");
    assert.equal(secretGets(world), 4, "a new pod's first mount reads Key Vault, cache or not");
    await mount("pod-2");
    await mount("pod-1");
    assert.equal(secretGets(world), 4, "both pods' remounts come from the cache");

    const families = await parseExposition(
      await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text(),
    );
    const total = (name: string) =>
      families.find((f) => f.name === name)!.samples
        .filter((s) => s.name === `${name}_total` && s.labels.object_type === "secret")
        .reduce((sum, s) => sum + (s.value as number), 0);
    assert.equal(total("object_cache_hit"), 6, "3 remounts × 2 objects");
    assert.equal(total("object_cache_miss"), 4, "2 first mounts × 2 objects");

    const output = world.provider.output();
    const logged = output.split("\n").filter((line) => line.includes("mount answered from the object cache"));
    assert.equal(logged.length, 3, "one -v=5 line per remount answered from the cache");
    assert.match(logged[0], /cached=2/);
    assert.ok(!SEEDED_VALUES.some((value) => output.includes(value)), "no secret value in the logs");
  } finally {
    client.close();
    await world.close();
  }
});

Deno.test("object cache: entries expire after the TTL, pinned versions too; a version disabled between polls fails within it", async () => {
  const world = await startWorld({ args: ["--object-cache-ttl=1s"] });
  const client = providerClient(world.provider.socketPath);
  const objects: ObjectEntry[] = [
    { objectName: "db-password", objectType: "secret", objectVersion: "c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63" },
    { objectName: "api-key", objectType: "secret" },
  ];
  const mount = () => client.mount(mountRequest({ objects, secrets: SP, podUid: "pod-1" }));
  try {
    await mount();
    const fetched = world.emulator.requests({ service: "keyvault", status: 200 });
    assert.equal(fetched.length, 2);
    // Disabled from now on: within the TTL the remount may still come from the cache…
    world.emulator.setFaults({
      service: "keyvault",
      pathPrefix: "/secrets/",
      kind: "status",
      status: 403,
      body: DISABLED,
    });
    const error = await until(
      () => mount().then(() => undefined, (e: ServiceError) => e),
      "a remount that asks Key Vault again",
      { intervalMs: 100 },
    );
    // …but once the TTL has passed, Key Vault is asked again and the mount fails as it should.
    assert.equal(error.code, 7, error.details);
    assert.match(error.details, /Operation get is not allowed on a disabled secret/);
    const refused = world.emulator.requests({ service: "keyvault", status: 403 });
    assert.ok(refused.length >= 1);
    const age = refused[0].startedAt - Math.max(...fetched.map((r) => r.endedAt!));
    assert.ok(age >= 900, `asked again ${age} ms after the fetch, not before the TTL of 1 s`);
    assert.ok(age < 30_000, `asked again ${age} ms after the fetch`);
    assert.ok(
      refused.some((r) => r.path.includes("c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63")) ||
        refused.some((r) => r.path.includes("api-key")),
    );

    // The pinned version alone, disabled: it is not kept past the TTL either.
    world.emulator.clearFaults();
    const pinned = [objects[0]];
    await client.mount(mountRequest({ objects: pinned, secrets: SP, podUid: "pod-2" }));
    world.emulator.resetRequests();
    world.emulator.setFaults({
      service: "keyvault",
      pathPrefix: "/secrets/db-password/",
      kind: "status",
      status: 403,
      body: DISABLED,
    });
    const pinnedError = await until(
      () =>
        client.mount(mountRequest({ objects: pinned, secrets: SP, podUid: "pod-2" }))
          .then(() => undefined, (e: ServiceError) => e),
      "a remount of the pinned version that asks Key Vault again",
      { intervalMs: 100 },
    );
    assert.equal(pinnedError.code, 7, pinnedError.details);
    assert.match(
      pinnedError.details,
      /objectName:db-password, objectVersion:c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63/,
    );
  } finally {
    client.close();
    await world.close();
  }
});

Deno.test("object cache: --object-cache-ttl=0 turns it off: every remount reads Key Vault", async () => {
  const world = await startWorld({ args: ["--object-cache-ttl=0"] });
  const client = providerClient(world.provider.socketPath);
  try {
    for (let i = 0; i < 3; i++) {
      await client.mount(mountRequest({ objects: OBJECTS, secrets: SP, podUid: "pod-1" }));
    }
    assert.equal(secretGets(world), 6);
  } finally {
    client.close();
    await world.close();
  }
});

Deno.test("object cache: bounded in bytes, the least recently used value goes first", async () => {
  // Nine values of 1 MiB against the 8 MiB bound: the first pod's value is evicted.
  const big = Array.from({ length: 9 }, (_, i) => ({
    name: `big-${i}`,
    versions: [{ version: `b${i}`, value: String(i).repeat(1024 * 1024) }],
  }));
  const seed = { ...SEED, vaults: [{ ...SEED.vaults[0], secrets: [...SEED.vaults[0].secrets, ...big] }] };
  const world = await startWorld({ args: ["--object-cache-ttl=1m"], seed });
  const client = providerClient(world.provider.socketPath);
  const mount = (i: number) =>
    client.mount(
      mountRequest({
        objects: [{ objectName: `big-${i}`, objectType: "secret" }],
        secrets: SP,
        podUid: `pod-${i}`,
      }),
      { deadlineMs: 60_000 },
    );
  try {
    for (let i = 0; i < 9; i++) await mount(i);
    assert.equal(secretGets(world), 9);
    await mount(8);
    assert.equal(secretGets(world), 9, "the most recent value is still cached");
    await mount(0);
    assert.equal(secretGets(world), 10, "the least recently used value was evicted");
    const last = world.emulator.requests({ service: "keyvault", status: 200 }).at(-1)!;
    assert.match(last.path, /^\/secrets\/big-0\/?$/);
  } finally {
    client.close();
    await world.close();
  }
});
