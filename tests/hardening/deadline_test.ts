/**
 * Deadlines and cancellation, counted at the emulator: a Mount's Key Vault work stops when the
 * caller cancels or the call's deadline passes (the request is seen `aborted`, nothing is sent
 * after), including the SDK's own retry waits; a fetch shared by concurrent mounts is cancelled
 * only when the last of them gives up.
 */
import assert from "node:assert/strict";
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { RecordedRequest } from "../emulator/emulator.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { AS, filesOf, leakedInto, outcome, request, startHardeningWorld, valueOf } from "./world.ts";
import { until } from "../harness/wait.ts";

const ALPHA = { service: "keyvault" as const, pathPrefix: "/secrets/alpha" };

Deno.test("deadlines and cancellation stop the work they belong to", async (t) => {
  const world = await startHardeningWorld();
  const { emulator } = world;
  const client = providerClient(world.provider.socketPath);
  const alphaGets = () =>
    emulator.requests((r: RecordedRequest) =>
      r.service === "keyvault" && r.path.startsWith("/secrets/alpha")
    );
  const inFlight = () => emulator.requests().filter((r) => r.endedAt === undefined);
  let keyVaultOrphans = 0;
  let tokenOrphans = 0;

  try {
    await t.step("warm-up", async () => {
      assert.equal((await outcome(client, request(AS.sp(2), ["alpha", "beta"]))).code, GrpcStatus.OK);
    });

    await t.step("the caller cancels: Cancelled, and the Key Vault request is cancelled too", async () => {
      emulator.resetRequests();
      emulator.setFaults([{ kind: "hang", ...ALPHA }]);
      const caller = new AbortController();
      const pending = outcome(client, request(AS.sp(2), ["alpha"]), { signal: caller.signal });
      await until(() => alphaGets().length === 1, "the GET reached Key Vault");
      caller.abort();
      assert.equal((await pending).code, GrpcStatus.CANCELLED);
      await until(() => alphaGets()[0].aborted, "the GET was cancelled");
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(alphaGets().length, 1, "nothing resent");
      keyVaultOrphans += inFlight().length;
      assert.equal(inFlight().length, 0);
      emulator.clearFaults();
    });

    await t.step("a shared fetch lives while one mount still waits for it, and no longer", async () => {
      emulator.resetRequests();
      emulator.setFaults([{ kind: "hang", ...ALPHA }]);
      const first = new AbortController();
      const second = new AbortController();
      const a = outcome(client, request(AS.sp(2), ["alpha"]), { signal: first.signal });
      await until(() => alphaGets().length === 1, "the GET reached Key Vault");
      const b = outcome(client, request(AS.sp(2), ["alpha"]), { signal: second.signal });
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(alphaGets().length, 1, "the second mount joined the first one's GET");
      first.abort();
      assert.equal((await a).code, GrpcStatus.CANCELLED);
      await new Promise((resolve) => setTimeout(resolve, 300));
      assert.equal(alphaGets()[0].endedAt, undefined, "still running for the second mount");
      second.abort();
      assert.equal((await b).code, GrpcStatus.CANCELLED);
      await until(() => alphaGets()[0].aborted, "cancelled once nobody waits");
      keyVaultOrphans += inFlight().length;
      emulator.clearFaults();
    });

    await t.step("a shared fetch one mount gave up on still serves the other", async () => {
      emulator.resetRequests();
      emulator.setFaults([{ kind: "latency", ms: 1_500, times: 1, ...ALPHA }]);
      const first = new AbortController();
      const a = outcome(client, request(AS.sp(2), ["alpha"]), { signal: first.signal });
      await until(() => alphaGets().length === 1, "the GET reached Key Vault");
      const b = outcome(client, request(AS.sp(2), ["alpha"]));
      await new Promise((resolve) => setTimeout(resolve, 200));
      first.abort();
      assert.equal((await a).code, GrpcStatus.CANCELLED);
      const served = await b;
      assert.equal(served.code, GrpcStatus.OK, served.details);
      assert.deepEqual(filesOf(served.response), { alpha: valueOf("vault-a", "alpha") });
      assert.deepEqual(alphaGets().map((r) => r.status), [200], "one GET for both");
      emulator.clearFaults();
    });

    await t.step(
      "the SDK's backoff between retries ends at the deadline: nothing is sent after it",
      async () => {
        emulator.resetRequests();
        // 503 without Retry-After: exponential backoff, 0.8 s then 1.6 s then 3.2 s (with jitter).
        emulator.setFaults([{ kind: "status", status: 503, ...ALPHA }]);
        const result = await outcome(client, request(AS.sp(2), ["alpha"]), { deadlineMs: 2_000 });
        assert.equal(result.code, GrpcStatus.DEADLINE_EXCEEDED);
        // On the emulator's clock (this process): orders events, measures nothing.
        const answered = Date.now();
        // Absence cannot be polled for: give a retry the SDK would still send (its next backoff
        // step) the time to show up.
        await new Promise((resolve) => setTimeout(resolve, 4_000));
        const gets = alphaGets();
        assert.ok(gets.length >= 1 && gets.length <= 3, `${gets.length} tries`);
        assert.ok(gets.every((r) => r.startedAt <= answered), "no retry after the deadline");
        emulator.clearFaults();
      },
    );

    await t.step(
      "a mount whose deadline passed while its token was being fetched: the next one starts afresh",
      async () => {
        emulator.resetRequests();
        emulator.setFaults([{ kind: "hang", service: "entra" }]);
        const result = await outcome(client, request(AS.sp(20), ["alpha"]), { deadlineMs: 1_500 });
        assert.equal(result.code, GrpcStatus.DEADLINE_EXCEEDED);
        emulator.clearFaults();
        const next = await outcome(client, request(AS.sp(20), ["alpha"]), { deadlineMs: 10_000 });
        assert.equal(next.code, GrpcStatus.OK, next.details);
        // @azure/identity's client-secret flow (MSAL) cannot be cancelled: the hung exchange is
        // abandoned, not shared with the next mount, and ends when its connection does.
        const hung = inFlight().filter((r) => r.service === "entra");
        assert.ok(hung.length <= 1, `${hung.length} token requests left hanging`);
        tokenOrphans += hung.length;
      },
    );
  } finally {
    client.close();
    await world.close();
  }
  console.log(
    `deadlines: Key Vault requests left running after a cancellation: ${keyVaultOrphans}; token exchanges: ${tokenOrphans}`,
  );
  assert.deepEqual(
    leakedInto(world.provider.output(), emulator),
    [],
    "no secret or token in the provider's log",
  );
  assert.equal(keyVaultOrphans, 0);
});
