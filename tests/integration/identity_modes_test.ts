/**
 * Every identity mode end to end: the provider process (production permissions, only the
 * environment pointing at the emulator) mounts over its Unix socket, and the emulator's log
 * shows which endpoint issued the token, as whom Key Vault was read, and how often.
 */
import assert from "node:assert/strict";
import { text } from "../harness/bytes.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { pythonMount } from "../harness/python_client.ts";
import {
  CODE,
  MODES,
  POD_B,
  request,
  SECRETS,
  startIdentityWorld,
  TENANT,
  VM_USER_CLIENT,
  WI_CLIENT,
} from "./identity_fixtures.ts";
import { serviceAccountJwt, serviceAccountTokens } from "../harness/service_account.ts";

const ENTRA_TOKEN = { path: `/${TENANT}/oauth2/v2.0/token`, query: {} };

/**
 * Each mode: its parameters, the token endpoint it uses (and the request that endpoint must
 * see), and the identity Key Vault must see.
 */
const CASES = [
  {
    name: "service principal",
    mode: MODES.servicePrincipal,
    service: "entra",
    call: ENTRA_TOKEN,
    identity: "sp-app",
  },
  {
    name: "workload identity",
    mode: () => MODES.workloadIdentity(),
    service: "entra",
    call: ENTRA_TOKEN,
    identity: "wi-app",
  },
  {
    name: "VM system-assigned identity",
    mode: MODES.vmSystemAssigned,
    service: "imds",
    call: {
      path: "/metadata/identity/oauth2/token/",
      query: { "api-version": "2018-02-01", resource: "https://vault.azure.net" },
    },
    identity: "vm-system",
  },
  {
    name: "VM user-assigned identity",
    mode: MODES.vmUserAssigned,
    service: "imds",
    call: {
      path: "/metadata/identity/oauth2/token/",
      query: { "api-version": "2018-02-01", resource: "https://vault.azure.net", client_id: VM_USER_CLIENT },
    },
    identity: "vm-user",
  },
  {
    name: "pod identity",
    mode: () => MODES.podIdentity(),
    service: "nmi",
    call: { path: "/host/token/", query: { resource: "https://vault.azure.net" } },
    identity: "pod-a",
  },
] as const;

Deno.test("every identity mode mounts over the socket; a remount asks no token endpoint", async (t) => {
  // Without the object cache, so that each remount reads Key Vault (a pod-identity remount is the
  // same pod, which the cache would answer): what is checked here is that no token is asked for.
  const world = await startIdentityWorld(["--object-cache-ttl=0"]);
  const client = providerClient(world.provider.socketPath);
  const { emulator } = world;
  const tokenCalls = (service: string) =>
    emulator.requests((r) => r.service === service && !(r.service === "entra" && r.method === "GET"));
  try {
    for (const { name, mode, service, call, identity } of CASES) {
      await t.step(name, async () => {
        emulator.resetRequests();
        const objects: Record<string, string>[] = [{ objectName: "where", objectType: "secret" }, {
          objectName: "api-key",
          objectType: "secret",
          objectAlias: "nested/key",
          filePermission: "0400",
        }];
        const first = await client.mount(request(mode(), { objects }));
        assert.deepEqual(first.files.map((f) => [f.path, f.mode, text(f.contents)]), [
          ["where", 0o644, "public"],
          ["nested/key", 0o400, "ak_live_0123456789abcdef"],
        ]);
        assert.deepEqual(first.object_version, [
          { id: "secret/where", version: "0a1b2c3d" },
          { id: "secret/api-key", version: "5e8a1c3f" },
        ]);
        const calls = tokenCalls(service);
        assert.equal(calls.length, 1, `one ${service} token call`);
        assert.equal(calls[0].identity, identity);
        assert.equal(calls[0].status, 200);
        assert.equal(calls[0].path, call.path);
        if (service !== "entra") assert.deepEqual(calls[0].query, call.query);
        const others = ["entra", "imds", "nmi"].filter((s) => s !== service);
        for (const other of others) assert.equal(tokenCalls(other).length, 0, `no ${other} call`);
        const vault = emulator.requests({ service: "keyvault", status: 200 });
        assert.ok(
          vault.length === 2 && vault.every((r) => r.identity === identity),
          `Key Vault read as ${identity}`,
        );

        emulator.resetRequests();
        const second = await client.mount(request(mode(), { objects }));
        assert.deepEqual(second.files.map((f) => text(f.contents)), ["public", "ak_live_0123456789abcdef"]);
        assert.deepEqual(emulator.requests().map((r) => `${r.service} ${r.status} ${r.identity}`), [
          `keyvault 200 ${identity}`,
          `keyvault 200 ${identity}`,
        ], "a warm remount: one GET per object, no token call, no challenge");
      });
    }

    await t.step(
      "a client that is not grpc-js (python3-grpcio) mounts with pod and workload identity",
      async () => {
        for (const mode of [MODES.podIdentity(POD_B), MODES.workloadIdentity()]) {
          const response = await pythonMount(world.provider.socketPath, request(mode));
          if (mode.podName === POD_B.name) {
            assert.equal(response.error?.code, "PERMISSION_DENIED");
            assert.match(response.error!.details, /appid=77777777-7777-7777-7777-777777777777;/);
          } else {
            assert.equal(response.error, undefined);
            assert.deepEqual(response.files?.map((f) => [f.path, text(f.contents)]), [["where", "public"]]);
          }
        }
      },
    );
  } finally {
    client.close();
    await world.close();
  }
  const output = world.provider.output();
  for (const secret of [...SECRETS, ...emulator.issuedTokens()]) {
    assert.ok(!output.includes(secret), "no secret or token in the provider's logs");
  }
});

Deno.test("identity errors reach the driver with their cause and a fitting gRPC code", async (t) => {
  const world = await startIdentityWorld();
  const client = providerClient(world.provider.socketPath);
  const { emulator } = world;
  const failure = async (mount: ReturnType<typeof request>) => {
    const error = await client.mount(mount).then(
      () => assert.fail("the mount should fail"),
      (e) => e as { code: number; details: string },
    );
    for (const token of emulator.issuedTokens()) assert.ok(!error.details.includes(token));
    return error;
  };
  try {
    await t.step("input errors: InvalidArgument before any network call", async () => {
      emulator.resetRequests();
      const cases: [Record<string, string>, RegExp][] = [
        [
          { useAzureTokenProxy: "true" },
          /^failed to mount objects, error: clientID is required for identity binding/,
        ],
        [
          { usePodIdentity: "true", useVMManagedIdentity: "true" },
          /only one identity mode can be enabled at a time: usePodIdentity and useVMManagedIdentity are both enabled/,
        ],
        [
          { usePodIdentity: "Yes" },
          /failed to parse usePodIdentity flag, error: strconv.ParseBool: parsing "Yes"/,
        ],
        [
          { clientID: WI_CLIENT },
          /failed to parse workload identity tokens, error: service account tokens not found: .*add \{audience: api:\/\/AzureADTokenExchange\} to spec.tokenRequests/,
        ],
        [
          {
            clientID: WI_CLIENT,
            "csi.storage.k8s.io/serviceAccount.tokens": serviceAccountTokens({
              "api://AKSIdentityBinding": serviceAccountJwt({ aud: "api://AKSIdentityBinding" }),
            }),
          },
          /token for audience api:\/\/AzureADTokenExchange not found \(the driver sent tokens for: api:\/\/AKSIdentityBinding\)/,
        ],
      ];
      for (const [parameters, message] of cases) {
        const error = await failure(request({ parameters }));
        assert.equal(error.code, CODE.INVALID_ARGUMENT, error.details);
        assert.match(error.details, message);
      }
      assert.deepEqual(emulator.requests(), [], "no call to Key Vault, Entra, IMDS or NMI");
    });

    await t.step("NMI: no identity bound to the pod", async () => {
      const error = await failure(request(MODES.podIdentity({ namespace: "default", name: "unbound" })));
      assert.equal(error.code, CODE.UNAUTHENTICATED);
      assert.match(
        error.details,
        /objectName:where, objectVersion:: failed to get a token: nmi response failed with status code: 404, response body: no AzureAssignedIdentity found for pod:default\/unbound in assigned state$/,
      );
    });

    await t.step("NMI: an answer without token and clientid", async () => {
      emulator.setFaults({
        service: "nmi",
        kind: "status",
        status: 200,
        body: { token: { access_token: "" } },
        times: 1,
      });
      const error = await failure(request(MODES.podIdentity({ namespace: "default", name: "fresh-pod" })));
      assert.equal(error.code, CODE.UNAUTHENTICATED);
      assert.match(error.details, /nmi did not return expected values in response: token and clientid$/);
      emulator.clearFaults();
    });

    await t.step("IMDS: an unknown user-assigned identity", async () => {
      emulator.resetRequests();
      const error = await failure(request({
        parameters: {
          useVMManagedIdentity: "true",
          userAssignedIdentityID: "99999999-9999-9999-9999-999999999999",
        },
      }));
      assert.equal(error.code, CODE.UNAUTHENTICATED);
      assert.match(error.details, /failed to get a token: .*Identity not found/);
      const [imds] = emulator.requests({ service: "imds" });
      assert.equal(imds.query.client_id, "99999999-9999-9999-9999-999999999999");
      assert.equal(imds.status, 400);
    });

    await t.step("Entra: a service account without a federated credential", async () => {
      const token = serviceAccountJwt({ sub: "system:serviceaccount:default:not-federated" });
      const error = await failure(request(MODES.workloadIdentity(token)));
      assert.equal(error.code, CODE.UNAUTHENTICATED);
      assert.match(
        error.details,
        /AADSTS70021: No matching federated identity record found for presented assertion\. .*Assertion Subject: 'system:serviceaccount:default:not-federated'/,
      );
      assert.ok(!error.details.includes(token), "the assertion is never quoted");
    });
  } finally {
    client.close();
    await world.close();
  }
});
