/**
 * Concurrency, as kubelet brings it: 1,000 Mount calls at once across 50 identities over one
 * connection, every response checked byte for byte; identical concurrent fetches by one identity
 * coalesced into one Key Vault request, and never across identities or vaults. (Memory and time
 * under this load are measured by `deno task bench`, not asserted here.)
 */
import assert from "node:assert/strict";
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { RecordedRequest } from "../emulator/emulator.ts";
import { providerClient } from "../harness/grpc_client.ts";
import {
  AS,
  filesOf,
  leakedInto,
  NAMES,
  outcome,
  request,
  SP_COUNT,
  startHardeningWorld,
  valueOf,
} from "./world.ts";

const MOUNTS = 1_000;

Deno.test("concurrency: 1,000 concurrent mounts across 50 identities, coalesced fetches, isolated identities", async (t) => {
  const world = await startHardeningWorld();
  const { emulator } = world;
  const client = providerClient(world.provider.socketPath);
  const gets = (filter: (r: RecordedRequest) => boolean = () => true) =>
    emulator.requests((r: RecordedRequest) => r.service === "keyvault" && r.status === 200 && filter(r));
  try {
    await t.step(
      `${MOUNTS} concurrent mounts, 50 identities: all correct, one token and one challenge per identity`,
      async () => {
        emulator.resetRequests();
        emulator.setLatency(20);
        const mounts = Array.from({ length: MOUNTS }, (_, i) => {
          const names = NAMES.slice(0, 1 + (i % NAMES.length));
          return { identity: i % SP_COUNT, names };
        });
        const results = await Promise.all(
          mounts.map(({ identity, names }) =>
            outcome(client, request(AS.sp(identity), names), { deadlineMs: 120_000 })
          ),
        );
        results.forEach((result, i) => {
          assert.equal(result.code, GrpcStatus.OK, `mount ${i}: ${result.details}`);
          const expected = Object.fromEntries(
            mounts[i].names.map((name) => [name, valueOf("vault-a", name)]),
          );
          assert.deepEqual(filesOf(result.response), expected, `mount ${i}`);
          assert.ok(result.response!.files.every((file) => file.mode === 0o644));
        });
        const entra = emulator.requests({ service: "entra" });
        assert.equal(entra.length, SP_COUNT, "one token exchange per identity");
        assert.equal(new Set(entra.map((r) => r.identity)).size, SP_COUNT);
        const challenges = emulator.requests({ service: "keyvault", status: 401 });
        assert.equal(challenges.length, SP_COUNT, "one challenge per identity's client");
        const objectsAsked = mounts.reduce((sum, mount) => sum + mount.names.length, 0);
        const fetched = gets().length;
        assert.ok(fetched <= objectsAsked, `${fetched} GETs for ${objectsAsked} objects`);
        for (const r of gets()) assert.match(r.identity ?? "", /^sp-\d+$/);
        console.log(
          `concurrency: ${MOUNTS} mounts (${objectsAsked} objects) by ${SP_COUNT} identities: ` +
            `${fetched} Key Vault GETs, ${entra.length} token exchanges, ${challenges.length} challenges`,
        );
        emulator.setLatency(0);
      },
    );

    await t.step(
      "a second wave of 1,000 mounts by the same identities: all served",
      async () => {
        const results = await Promise.all(
          Array.from({ length: MOUNTS }, (_, i) => outcome(client, request(AS.sp(i % SP_COUNT), NAMES))),
        );
        assert.ok(results.every((result) => result.code === GrpcStatus.OK));
      },
    );

    await t.step("identical concurrent fetches by one identity: one Key Vault GET per object", async () => {
      emulator.resetRequests();
      emulator.setFaults([{ kind: "latency", ms: 500, service: "keyvault" }]);
      const results = await Promise.all(
        Array.from({ length: 20 }, () => outcome(client, request(AS.sp(3), ["alpha", "beta"]))),
      );
      assert.ok(results.every((result) => result.code === GrpcStatus.OK));
      assert.deepEqual(
        gets().map((r) => r.path).sort(),
        ["/secrets/alpha/", "/secrets/beta/"],
        "20 mounts, 2 GETs",
      );
      emulator.clearFaults();
    });

    await t.step("same object name, same time, different identities and vaults: never shared", async () => {
      emulator.resetRequests();
      emulator.setFaults([{ kind: "latency", ms: 500, service: "keyvault" }]);
      const [a, b, c] = await Promise.all([
        outcome(client, request(AS.sp(0), ["alpha"], "vault-b")),
        outcome(client, request(AS.sp(1), ["alpha"], "vault-a")),
        outcome(client, request(AS.sp(0), ["alpha"], "vault-a")),
      ]);
      assert.deepEqual(filesOf(a.response), { alpha: valueOf("vault-b", "alpha") });
      assert.deepEqual(filesOf(b.response), { alpha: valueOf("vault-a", "alpha") });
      assert.deepEqual(filesOf(c.response), { alpha: valueOf("vault-a", "alpha") });
      const fetched = gets().map((r) => `${r.identity}@${r.host}`).sort();
      assert.deepEqual(fetched, [
        "sp-0@vault-a.vault.azure.net",
        "sp-0@vault-b.vault.azure.net",
        "sp-1@vault-a.vault.azure.net",
      ]);
      emulator.clearFaults();
    });

    await t.step(
      "same vault, same object, same time: the identity without access is refused, the other served",
      async () => {
        emulator.resetRequests();
        emulator.setFaults([{ kind: "latency", ms: 500, service: "keyvault" }]);
        const [allowed, denied] = await Promise.all([
          outcome(client, request(AS.sp(1), ["beta"], "vault-b")),
          outcome(client, request(AS.sp(2), ["beta"], "vault-b")),
        ]);
        assert.deepEqual(filesOf(allowed.response), { beta: valueOf("vault-b", "beta") });
        assert.equal(denied.code, GrpcStatus.PERMISSION_DENIED);
        assert.match(denied.details, /objectName:beta, objectVersion:: Key Vault answered 403 Forbidden: /);
        assert.ok(!denied.details.includes(valueOf("vault-b", "beta")));
        const beta = emulator.requests((r: RecordedRequest) =>
          r.path === "/secrets/beta/" && r.status !== 401
        );
        assert.deepEqual(beta.map((r) => `${r.identity}:${r.status}`).sort(), ["sp-1:200", "sp-2:403"]);
        emulator.clearFaults();
      },
    );
  } finally {
    client.close();
    await world.close();
  }
  assert.deepEqual(
    leakedInto(world.provider.output(), emulator),
    [],
    "no secret or token in the provider's log",
  );
});
