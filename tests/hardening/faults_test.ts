/**
 * Faults injected at the emulator, one step each: Key Vault throttling (429 + Retry-After),
 * 5xx bursts, connection resets and slowness past the call's deadline; the token endpoint,
 * IMDS and NMI failing or gone. During a fault a mount either survives it (the SDK's retries)
 * or fails whole, with a message naming the cause; once the fault clears the next mount
 * succeeds; no request is left running. Times are read from the emulator's records.
 */
import assert from "node:assert/strict";
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { Fault, RecordedRequest } from "../emulator/emulator.ts";
import { providerClient } from "../harness/grpc_client.ts";
import type { MountInput } from "../harness/spc.ts";
import {
  AS,
  filesOf,
  leakedInto,
  type Outcome,
  outcome,
  request,
  startHardeningWorld,
  valueOf,
} from "./world.ts";
import { until } from "../harness/wait.ts";

const ALPHA = { service: "keyvault" as const, pathPrefix: "/secrets/alpha" };
const BOTH = { alpha: valueOf("vault-a", "alpha"), beta: valueOf("vault-a", "beta") };

Deno.test("faults: each is survived or fails the whole mount naming its cause, and the next mount succeeds", async (t) => {
  const world = await startHardeningWorld();
  const { emulator } = world;
  const client = providerClient(world.provider.socketPath);
  const survived: string[] = [];
  const failedCleanly: string[] = [];

  /** Runs one mount of alpha and beta under `faults`, then one after they are cleared. */
  const underFault = async (
    identity: MountInput,
    faults: Fault[],
    options: { deadlineMs?: number } = {},
  ): Promise<{ during: Outcome; requests: RecordedRequest[]; answered: number }> => {
    emulator.resetRequests();
    emulator.setFaults(faults);
    const during = await outcome(client, request(identity, ["alpha", "beta"]), options);
    // When the answer reached the caller, on the emulator's clock (the same process): to order
    // events, never to measure them.
    const answered = Date.now();
    if (during.code === GrpcStatus.OK) assert.deepEqual(filesOf(during.response), BOTH);
    else assert.equal(during.response, undefined, "a failed mount returns no file");
    const requests = await settled();
    emulator.clearFaults();
    const after = await outcome(client, request(identity, ["alpha", "beta"]));
    assert.equal(after.code, GrpcStatus.OK, `after the fault cleared: ${after.details}`);
    assert.deepEqual(filesOf(after.response), BOTH);
    return { during, requests, answered };
  };

  /** The requests of the fault, once none is in flight any more (a bounded wait). */
  const settled = (): Promise<RecordedRequest[]> =>
    until(
      () => {
        const requests = emulator.requests();
        return requests.every((r) => r.endedAt !== undefined) && requests;
      },
      "every request of the fault to end",
      { timeoutMs: 2_000 },
    ).catch(() => emulator.requests());

  const alphaGets = (requests: RecordedRequest[]) =>
    requests.filter((r) => r.service === "keyvault" && r.path.startsWith("/secrets/alpha"));
  const gaps = (requests: RecordedRequest[]) =>
    requests.slice(1).map((r, i) => r.startedAt - requests[i].startedAt);

  try {
    await t.step("warm-up: sp-1's token and client are ready", async () => {
      const first = await outcome(client, request(AS.sp(1), ["alpha", "beta"]));
      assert.equal(first.code, GrpcStatus.OK, first.details);
    });

    await t.step("Key Vault 429 with Retry-After: 1, twice: honoured, then served", async () => {
      const { during, requests } = await underFault(AS.sp(1), [
        { kind: "status", status: 429, retryAfter: 1, times: 2, ...ALPHA },
      ]);
      assert.equal(during.code, GrpcStatus.OK, during.details);
      const gets = alphaGets(requests);
      assert.deepEqual(gets.map((r) => r.status), [429, 429, 200]);
      for (const gap of gaps(gets)) {
        // At least what Retry-After asked (a lower bound a slow machine cannot break; how long
        // beyond it is the bench's business, not a test's).
        assert.ok(gap >= 950, `waited ${gap} ms, Retry-After said 1 s`);
      }
      survived.push("429 + Retry-After");
    });

    await t.step(
      "Key Vault 429 that never ends: 3 retries, then Unavailable naming the throttling",
      async () => {
        const { during, requests } = await underFault(AS.sp(1), [
          { kind: "status", status: 429, retryAfter: 1, ...ALPHA },
        ]);
        assert.equal(during.code, GrpcStatus.UNAVAILABLE);
        assert.match(
          during.details,
          /^failed to mount objects, error: failed to get objectType:secret, objectName:alpha, objectVersion:: Key Vault answered 429 Throttled: /,
        );
        assert.equal(alphaGets(requests).length, 4, "the first try and 3 retries");
        failedCleanly.push("persistent 429");
      },
    );

    await t.step(
      "Key Vault 429 whose Retry-After outlasts the deadline: Unavailable at once, no retry",
      async () => {
        const { during, requests, answered } = await underFault(AS.sp(1), [
          { kind: "status", status: 429, retryAfter: 4, ...ALPHA },
        ], { deadlineMs: 1_500 });
        assert.equal(during.code, GrpcStatus.UNAVAILABLE, during.details);
        assert.match(
          during.details,
          /is throttling requests from this node \(429 Too Many Requests; its Retry-After ends at /,
        );
        const gets = alphaGets(requests);
        assert.deepEqual(gets.map((r) => r.status), [429], "the wait was given up with the mount");
        assert.ok(requests.every((r) => r.startedAt <= answered), "nothing sent after the answer");
        // (The mount after it, without a deadline, waits the 4 s out and succeeds.)
        failedCleanly.push("429 past the deadline");
      },
    );

    for (const status of [500, 503]) {
      await t.step(`Key Vault ${status} burst (twice): retried with backoff, then served`, async () => {
        const { during, requests } = await underFault(AS.sp(1), [{
          kind: "status",
          status,
          times: 2,
          ...ALPHA,
        }]);
        assert.equal(during.code, GrpcStatus.OK, during.details);
        const gets = alphaGets(requests);
        assert.deepEqual(gets.map((r) => r.status), [status, status, 200]);
        assert.ok(gaps(gets).every((gap) => gap >= 400), `backoff between tries: ${gaps(gets)}`);
        survived.push(`${status} burst`);
      });
    }

    await t.step("Key Vault 503 that never ends: Unavailable naming the status", async () => {
      const { during, requests } = await underFault(AS.sp(1), [
        { kind: "status", status: 503, retryAfter: 1, ...ALPHA },
      ]);
      assert.equal(during.code, GrpcStatus.UNAVAILABLE);
      assert.match(
        during.details,
        /objectName:alpha, objectVersion:: Key Vault answered 503 ServiceUnavailable: /,
      );
      assert.equal(alphaGets(requests).length, 4);
      failedCleanly.push("persistent 503");
    });

    await t.step("a connection reset once: retried, then served", async () => {
      const { during, requests } = await underFault(AS.sp(1), [{ kind: "reset", times: 1, ...ALPHA }]);
      assert.equal(during.code, GrpcStatus.OK, during.details);
      assert.deepEqual(alphaGets(requests).map((r) => r.fault ?? r.status), ["reset", 200]);
      survived.push("connection reset");
    });

    await t.step(
      "connections reset every time: Unavailable naming the network, a bounded number of tries",
      async () => {
        const { during, requests } = await underFault(AS.sp(1), [{ kind: "reset", ...ALPHA }]);
        assert.equal(during.code, GrpcStatus.UNAVAILABLE);
        assert.match(
          during.details,
          /objectName:alpha, objectVersion:: cannot reach Key Vault: socket hang up$/,
        );
        // The SDK's 3 retries; Deno may resend each once on a fresh connection (stale-socket retry).
        const tries = alphaGets(requests).length;
        assert.ok(tries >= 4 && tries <= 8, `${tries} tries`);
        failedCleanly.push("persistent resets");
      },
    );

    await t.step(
      "Key Vault slower than the deadline: DeadlineExceeded, and its request is cancelled",
      async () => {
        const { during, requests } = await underFault(AS.sp(1), [{ kind: "latency", ms: 5_000, ...ALPHA }], {
          deadlineMs: 1_500,
        });
        assert.equal(during.code, GrpcStatus.DEADLINE_EXCEEDED);
        const gets = alphaGets(requests);
        assert.equal(gets.length, 1, "no resend after the cancellation");
        assert.equal(gets[0].aborted, true);
        failedCleanly.push("Key Vault past the deadline");
      },
    );

    await t.step("the token endpoint answering 500 once: MSAL retries, then the mount succeeds", async () => {
      const { during, requests } = await underFault(AS.sp(10), [
        { kind: "status", status: 500, service: "entra", times: 1 },
      ]);
      assert.equal(during.code, GrpcStatus.OK, during.details);
      assert.deepEqual(requests.filter((r) => r.service === "entra").map((r) => r.status), [500, 200]);
      survived.push("token endpoint 500");
    });

    await t.step(
      "the token endpoint answering 503: Unauthenticated naming Entra's error; no 60 s lock-out after",
      async () => {
        const { during } = await underFault(AS.sp(11), [{ kind: "status", status: 503, service: "entra" }]);
        assert.equal(during.code, GrpcStatus.UNAUTHENTICATED);
        assert.match(
          during.details,
          /objectName:(alpha|beta), objectVersion:: failed to get a token: server_error: .*AADSTS90033/,
        );
        failedCleanly.push("token endpoint 503");
      },
    );

    await t.step(
      "the token endpoint unreachable (resets): Unauthenticated naming the network error",
      async () => {
        const { during, requests } = await underFault(AS.sp(12), [{ kind: "reset", service: "entra" }]);
        assert.equal(during.code, GrpcStatus.UNAUTHENTICATED);
        assert.match(during.details, /failed to get a token: network_error/);
        const exchanges = requests.filter((r) => r.service === "entra").length;
        assert.ok(
          exchanges <= 8,
          `one token request and its retries for the whole mount, not one per object: ${exchanges}`,
        );
        failedCleanly.push("token endpoint unreachable");
      },
    );

    for (
      const [name, identity, service, message] of [
        [
          "IMDS",
          AS.vm(0),
          "imds",
          /failed to get a token: ManagedIdentityCredential: Authentication failed\. .*HTTP 500/,
        ],
        ["NMI", AS.pod(0), "nmi", /failed to get a token: nmi response failed with status code: 500/],
      ] as const
    ) {
      await t.step(
        `${name} answering 500: Unauthenticated naming ${name}; served once it recovers`,
        async () => {
          const { during } = await underFault(identity, [{ kind: "status", status: 500, service }]);
          assert.equal(during.code, GrpcStatus.UNAUTHENTICATED, during.details);
          assert.match(during.details, message);
          failedCleanly.push(`${name} 500`);
        },
      );
    }

    for (
      const [name, identity, service] of [["IMDS", AS.vm(1), "imds"], ["NMI", AS.pod(1), "nmi"]] as const
    ) {
      await t.step(`${name} unreachable (resets): Unauthenticated; served once it is back`, async () => {
        const { during } = await underFault(identity, [{ kind: "reset", service }]);
        assert.equal(during.code, GrpcStatus.UNAUTHENTICATED, during.details);
        assert.match(during.details, /failed to get a token: /);
        failedCleanly.push(`${name} unreachable`);
      });
    }
  } finally {
    client.close();
    await world.close();
  }
  assert.deepEqual(
    leakedInto(world.provider.output(), emulator),
    [],
    "no secret or token in the provider's log",
  );
  console.log(
    `faults: ${survived.length} survived (${
      survived.join(", ")
    }); ${failedCleanly.length} failed whole with their cause named and recovered (${
      failedCleanly.join(", ")
    })`,
  );
});
