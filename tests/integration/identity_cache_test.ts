/**
 * The token cache across mounts, seen from the emulator: a remount by the same identity asks
 * no token endpoint until the token nears expiry, and no identity ever gets a token cached for
 * another (another pod, service account, managed identity, or a wrong client secret).
 */
import assert from "node:assert/strict";
import { text } from "../harness/bytes.ts";
import { providerClient } from "../harness/grpc_client.ts";
import type { MountInput } from "../harness/spc.ts";
import type { RecordedRequest } from "../emulator/emulator.ts";
import {
  CODE,
  MODES,
  POD_A,
  POD_B,
  POD_B_CLIENT,
  request,
  SP,
  startIdentityWorld,
} from "./identity_fixtures.ts";
import { serviceAccountJwt } from "../harness/service_account.ts";
import { until } from "../harness/wait.ts";

/** Token calls: Entra exchanges (not its discovery documents), IMDS and NMI requests. */
function isTokenCall(r: RecordedRequest): boolean {
  return r.service === "imds" || r.service === "nmi" || (r.service === "entra" && r.method === "POST");
}

type Failure = { code: number; details: string };

Deno.test("no identity ever receives a token cached for another", async (t) => {
  const world = await startIdentityWorld();
  const client = providerClient(world.provider.socketPath);
  const { emulator } = world;
  const tokenCalls = () => emulator.requests(isTokenCall);
  const fail = (mode: MountInput) =>
    client.mount(request(mode)).then(() => assert.fail("the mount should fail"), (e) => e as Failure);
  try {
    await t.step("pod identity: pod B gets its own token from NMI, never pod A's", async () => {
      await client.mount(request(MODES.podIdentity(POD_A)));
      emulator.resetRequests();
      const error = await fail(MODES.podIdentity(POD_B));
      assert.equal(error.code, CODE.PERMISSION_DENIED);
      assert.match(
        error.details,
        new RegExp(`'appid=${POD_B_CLIENT};.*does not have secrets get permission`),
      );
      assert.deepEqual(tokenCalls().map((r) => [r.service, r.identity]), [["nmi", "pod-b"]]);
      assert.ok(emulator.requests({ service: "keyvault" }).every((r) => r.identity !== "pod-a"));

      emulator.resetRequests();
      await client.mount(request(MODES.podIdentity(POD_A)));
      assert.deepEqual(tokenCalls(), [], "pod A still has its own token");
    });

    await t.step("pod identity: a later pod of the same name (new uid) asks NMI again", async () => {
      emulator.resetRequests();
      const uid = { "csi.storage.k8s.io/pod.uid": "recreated-uid" };
      await client.mount(request(MODES.podIdentity(POD_A), { parameters: uid }));
      assert.deepEqual(tokenCalls().map((r) => r.identity), ["pod-a"]);
    });

    await t.step(
      "workload identity: another service account is judged by Entra, not served from cache",
      async () => {
        await client.mount(request(MODES.workloadIdentity()));
        emulator.resetRequests();
        const other = serviceAccountJwt({ sub: "system:serviceaccount:default:intruder" });
        const error = await fail(MODES.workloadIdentity(other));
        assert.equal(error.code, CODE.UNAUTHENTICATED);
        assert.match(
          error.details,
          /AADSTS70021.*Assertion Subject: 'system:serviceaccount:default:intruder'/,
        );
        assert.deepEqual(tokenCalls().map((r) => [r.status, r.identity]), [[400, undefined]]);
        assert.deepEqual(emulator.requests({ service: "keyvault", status: 200 }), []);

        emulator.resetRequests();
        await client.mount(request(MODES.workloadIdentity(serviceAccountJwt())));
        assert.deepEqual(
          tokenCalls(),
          [],
          "the federated service account, with a new token, is still cached",
        );
      },
    );

    await t.step("VM managed identity: system- and user-assigned tokens are separate", async () => {
      emulator.resetRequests();
      await client.mount(request(MODES.vmSystemAssigned()));
      await client.mount(request(MODES.vmUserAssigned()));
      assert.deepEqual(tokenCalls().map((r) => [r.identity, r.query.client_id]), [
        ["vm-system", undefined],
        ["vm-user", "55555555-5555-5555-5555-555555555555"],
      ]);
      assert.deepEqual(
        emulator.requests({ service: "keyvault", status: 200 }).map((r) => r.identity),
        ["vm-system", "vm-user"],
      );
      emulator.resetRequests();
      await client.mount(request(MODES.vmSystemAssigned()));
      await client.mount(request(MODES.vmUserAssigned()));
      assert.deepEqual(tokenCalls(), []);
    });

    await t.step("service principal: a wrong secret after a right one fails, it does not reuse", async () => {
      await client.mount(request(MODES.servicePrincipal()));
      emulator.resetRequests();
      const error = await fail({ secrets: { ...SP, clientsecret: "wrong-secret" } });
      assert.equal(error.code, CODE.UNAUTHENTICATED);
      assert.match(error.details, /AADSTS7000215: Invalid client secret provided/);
      assert.deepEqual(tokenCalls().map((r) => r.status), [401]);
      assert.deepEqual(emulator.requests({ service: "keyvault", status: 200 }), []);

      emulator.resetRequests();
      await client.mount(request(MODES.servicePrincipal()));
      assert.deepEqual(tokenCalls(), [], "the right secret's token is still cached");
    });

    await t.step("one bounded cache: every identity above is still warm", async () => {
      emulator.resetRequests();
      for (const mode of [MODES.podIdentity(POD_A), MODES.workloadIdentity(), MODES.servicePrincipal()]) {
        await client.mount(request(mode));
      }
      assert.deepEqual(tokenCalls(), []);
    });
  } finally {
    client.close();
    await world.close();
  }
});

const RENEWING: [string, () => MountInput, string][] = [
  ["service principal", MODES.servicePrincipal, "sp-app"],
  ["workload identity", () => MODES.workloadIdentity(), "wi-app"],
  ["VM managed identity", MODES.vmUserAssigned, "vm-user"],
  ["pod identity", () => MODES.podIdentity(), "pod-a"],
];

Deno.test("a token near expiry is renewed; a renewed one is reused again", async (t) => {
  // Pod identity remounts one pod (its uid is part of the identity): without the object cache,
  // so that each remount needs a token.
  const world = await startIdentityWorld(["--object-cache-ttl=0"]);
  const client = providerClient(world.provider.socketPath);
  const { emulator } = world;
  const settledCalls = () => emulator.requests((r) => isTokenCall(r) && r.endedAt !== undefined);
  try {
    for (const [name, mode, identity] of RENEWING) {
      await t.step(name, async () => {
        // Tokens that live 90 s are within every renewal margin (the SDKs' 2 and 5 minutes).
        emulator.setTokenLifetime(90);
        emulator.resetRequests();
        await client.mount(request(mode()));
        assert.equal(settledCalls().length, 1, "the first mount gets a token");

        emulator.resetRequests();
        const near = await client.mount(request(mode()));
        assert.equal(text(near.files[0].contents), "public", "the still-valid token serves this mount");
        // The Key Vault client renews a token in its last two minutes in the background.
        await until(() => settledCalls().length === 1, `${name}: a renewal`);
        assert.deepEqual(settledCalls().map((r) => [r.status, r.identity]), [[200, identity]]);

        emulator.setTokenLifetime(undefined);
        emulator.resetRequests();
        // The renewal above may still be settling in the client (a renewal under way is never
        // doubled), so mount until one renews to a long-lived token.
        for (let i = 0; i < 100 && emulator.requests(isTokenCall).length === 0; i++) {
          await client.mount(request(mode()));
        }
        await until(() => settledCalls().length === 1, `${name}: a renewal to a long-lived token`);

        emulator.resetRequests();
        await client.mount(request(mode()));
        await client.mount(request(mode()));
        assert.deepEqual(emulator.requests(isTokenCall), [], "a long-lived token is reused");
      });
    }

    await t.step("workload identity renews with the newest service-account token", async () => {
      // A federation of its own (another issuer), whose first token expires in two seconds.
      const issuer = "https://oidc.renewal.test/";
      const expires = Math.floor(Date.now() / 1000) + 2;
      emulator.setTokenLifetime(90);
      emulator.resetRequests();
      await client.mount(request(MODES.workloadIdentity(serviceAccountJwt({ iss: issuer, exp: expires }))));
      assert.deepEqual(settledCalls().map((r) => r.status), [200]);
      while (Date.now() / 1000 <= expires + 1) await new Promise((resolve) => setTimeout(resolve, 100));

      emulator.resetRequests();
      await client.mount(request(MODES.workloadIdentity(serviceAccountJwt({ iss: issuer }))));
      await until(() => settledCalls().length === 1, "a renewal");
      assert.deepEqual(
        settledCalls().map((r) => [r.status, r.identity]),
        [[200, "wi-app"]],
        "exchanged with the later mount's token; the first one had expired",
      );
      emulator.setTokenLifetime(undefined);
    });
  } finally {
    client.close();
    await world.close();
  }
});
