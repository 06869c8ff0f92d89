/**
 * Nothing in the object cache crosses identities. For every field of every identity mode's key,
 * an identity B that differs from A in that field alone remounts right after A fetched the
 * object: B must be judged by Azure again (a request at the emulator, and B's own failure), never
 * answered with A's value. If the cache key dropped the field, B's remount would find A's entry
 * and succeed without a request, and this test fails. (Pod identity's `nmiAddress` and identity
 * binding's `tokenProxyUrl` and `sniName` are the process's flags: the mounts of one provider never
 * differ in them.)
 */
import assert from "node:assert/strict";
import type { ServiceError } from "@grpc/grpc-js";
import { startEmulator } from "../emulator/emulator.ts";
import type { Fault } from "../emulator/emulator.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { startProviderProcess } from "../harness/provider_process.ts";
import { serviceAccountJwt } from "../harness/service_account.ts";
import type { MountInput } from "../harness/spc.ts";
import {
  BINDING_AUDIENCE,
  BOUND_SUBJECT,
  HUBS,
  MODES,
  POD_A,
  request,
  SEED,
  SP,
  stackCloudFile,
} from "./identity_fixtures.ts";

/** The service-account token issuer of the federated credential (serviceAccountJwt's default). */
const ISSUER = "https://oidc.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/";
const OTHER_TENANT = "0d0d0d0d-0000-4000-8000-00000000dead";

/** The identity fixtures' seed, with the workload identity's federated credential bound to its issuer. */
const ISOLATION_SEED = {
  ...SEED,
  identities: SEED.identities.map((identity) =>
    identity.name === "wi-app" || identity.name === "bound-mi" ? { ...identity, issuer: ISSUER } : identity
  ),
};

interface Variant {
  /** The identity mode and the key field B differs in. */
  readonly field: string;
  readonly a: MountInput;
  readonly b: MountInput;
  /** The gRPC code of B's mounts. */
  readonly code?: number;
  /** For a B that Azure would serve: a fault that fails B's first mount only. */
  readonly firstFault?: Fault;
  /** For such a B: the emulator identity its own Key Vault GET is made as. */
  readonly reads?: string;
}

const withUid = (input: MountInput, podUid: string): MountInput => ({ ...input, podUid });

/**
 * A cloud described by a file whose Entra authority is AzureStack hub 1's login host but whose
 * vaults are public Azure's: the same vault URL as A's, reached through another authority.
 */
const OTHER_AUTHORITY = await stackCloudFile({
  loginHost: HUBS.hub1.loginHost,
  vaultDnsSuffix: "vault.azure.net",
});
const viaOtherAuthority = (input: MountInput): MountInput => ({
  ...input,
  parameters: { ...input.parameters, cloudName: "AzureStackCloud", cloudEnvFileName: OTHER_AUTHORITY },
});
/** Public Azure's vaults with another Key Vault resource: the token pod identity asks NMI for changes. */
const OTHER_RESOURCE = await stackCloudFile({
  loginHost: "login.microsoftonline.com",
  vaultDnsSuffix: "vault.azure.net",
});
{
  const file = JSON.parse(await Deno.readTextFile(OTHER_RESOURCE));
  await Deno.writeTextFile(
    OTHER_RESOURCE,
    JSON.stringify({ ...file, keyVaultEndpoint: "https://vault-other.azure.net/" }),
  );
}
const failAtOtherAuthority: Fault = {
  service: "entra",
  host: HUBS.hub1.loginHost,
  method: "POST",
  kind: "status",
  status: 400,
  body: { error: "invalid_request", error_description: "AADSTS90002: failed on purpose" },
  times: 1,
};

const VARIANTS: Variant[] = [
  {
    field: "servicePrincipal.clientId",
    a: MODES.servicePrincipal(),
    b: { secrets: { ...SP, clientid: "12121212-1212-4121-8121-121212121212" } },
    code: 16,
  },
  {
    field: "servicePrincipal.secretHash",
    a: MODES.servicePrincipal(),
    b: { secrets: { ...SP, clientsecret: "not-the-secret" } },
    code: 16,
  },
  {
    field: "servicePrincipal.tenantId",
    a: MODES.servicePrincipal(),
    b: { ...MODES.servicePrincipal(), tenantID: OTHER_TENANT },
    code: 16,
  },
  {
    // Entra would serve it: the first mount is failed by a fault at that authority.
    field: "servicePrincipal.authorityHost",
    a: MODES.servicePrincipal(),
    b: viaOtherAuthority(MODES.servicePrincipal()),
    firstFault: failAtOtherAuthority,
    reads: "sp-app",
  },
  {
    field: "workloadIdentity.authorityHost",
    a: MODES.workloadIdentity(),
    b: viaOtherAuthority(MODES.workloadIdentity()),
    firstFault: failAtOtherAuthority,
    reads: "wi-app",
  },
  {
    field: "workloadIdentity.clientId",
    a: MODES.workloadIdentity(),
    b: {
      parameters: {
        ...MODES.workloadIdentity().parameters,
        clientID: "45454545-4545-4545-8545-454545454545",
      },
    },
    code: 16,
  },
  {
    field: "workloadIdentity.tenantId",
    a: MODES.workloadIdentity(),
    b: { ...MODES.workloadIdentity(), tenantID: OTHER_TENANT },
    code: 16,
  },
  {
    field: "workloadIdentity.issuer",
    a: MODES.workloadIdentity(),
    b: MODES.workloadIdentity(serviceAccountJwt({ iss: "https://oidc.example.test/other/" })),
    code: 16,
  },
  {
    field: "workloadIdentity.subject",
    a: MODES.workloadIdentity(),
    b: MODES.workloadIdentity(serviceAccountJwt({ sub: "system:serviceaccount:default:intruder" })),
    code: 16,
  },
  {
    field: "identityBinding.clientId",
    a: MODES.identityBinding(),
    b: {
      parameters: { ...MODES.identityBinding().parameters, clientID: "89898989-8989-4898-8898-898989898989" },
    },
    code: 16,
  },
  {
    field: "identityBinding.tenantId",
    a: MODES.identityBinding(),
    b: { ...MODES.identityBinding(), tenantID: OTHER_TENANT },
    code: 16,
  },
  {
    field: "identityBinding.issuer",
    a: MODES.identityBinding(),
    b: MODES.identityBinding(
      serviceAccountJwt({
        aud: BINDING_AUDIENCE,
        sub: BOUND_SUBJECT,
        iss: "https://oidc.example.test/other/",
      }),
    ),
    code: 16,
  },
  {
    field: "identityBinding.subject",
    a: MODES.identityBinding(),
    b: MODES.identityBinding(
      serviceAccountJwt({ aud: BINDING_AUDIENCE, sub: "system:serviceaccount:default:intruder" }),
    ),
    code: 16,
  },
  {
    field: "vmManagedIdentity.clientId",
    a: MODES.vmUserAssigned(),
    b: {
      parameters: {
        useVMManagedIdentity: "true",
        userAssignedIdentityID: "56565656-5656-4565-8565-565656565656",
      },
    },
    code: 16,
  },
  {
    field: "podIdentity.podName",
    a: MODES.podIdentity(POD_A),
    b: MODES.podIdentity({ namespace: POD_A.namespace, name: "not-bound" }),
    code: 16,
  },
  {
    field: "podIdentity.podNamespace",
    a: MODES.podIdentity(POD_A),
    b: MODES.podIdentity({ namespace: "elsewhere", name: POD_A.name }),
    code: 16,
  },
  {
    // NMI serves a token for the other resource, which Key Vault refuses (wrong audience).
    field: "podIdentity.resource",
    a: MODES.podIdentity(POD_A),
    b: {
      ...MODES.podIdentity(POD_A),
      parameters: { usePodIdentity: "true", cloudName: "AzureStackCloud", cloudEnvFileName: OTHER_RESOURCE },
    },
    code: 16,
  },
  {
    // Another pod of the same name (a new uid): NMI would serve it, so its first mount is
    // failed by a fault; its remount must still ask NMI and Key Vault itself.
    field: "podIdentity.podUid",
    a: MODES.podIdentity(POD_A),
    b: MODES.podIdentity(POD_A),
    firstFault: { service: "nmi", kind: "status", status: 404, body: "no such pod", times: 1 },
    reads: "pod-a",
  },
];

Deno.test("object cache: an identity differing in any one key field is never answered with another's object", async (t) => {
  const emulator = await startEmulator({ seed: ISOLATION_SEED });
  const provider = await startProviderProcess({
    env: emulator.env(),
    args: [
      `--nmi-address=${emulator.nmiAddress}`,
      `--token-proxy-url=${emulator.aksCluster.tokenProxyUrl}`,
      `--sni-name=${emulator.aksCluster.sniName}`,
      "--object-cache-ttl=1m",
    ],
  });
  const client = providerClient(provider.socketPath);
  const mount = (input: MountInput) => client.mount(request(input));
  const failure = (input: MountInput) => mount(input).then(() => undefined, (error: ServiceError) => error);
  try {
    for (const [i, variant] of VARIANTS.entries()) {
      await t.step(variant.field, async () => {
        const podA = `a-${i}`;
        const podB = variant.field === "podIdentity.podUid" ? `b-${i}` : podA;
        // B's first mount fails, so B has nothing of its own in the cache…
        if (variant.firstFault) emulator.setFaults(variant.firstFault);
        const first = await failure(withUid(variant.b, podB));
        emulator.clearFaults();
        assert.ok(first, "B's first mount fails");
        if (variant.code !== undefined) assert.equal(first.code, variant.code, first.details);
        // …A fetches the object and the cache holds it under A's key…
        emulator.resetRequests();
        await mount(withUid(variant.a, podA));
        // …and B's remount, right after, is judged by Azure again.
        emulator.resetRequests();
        const again = await failure(withUid(variant.b, podB));
        const asked = emulator.requests().filter((r) => r.service !== "entra" || r.method === "POST");
        assert.ok(asked.length > 0, "B's remount reached Azure: it was not answered from A's cache entry");
        if (variant.code !== undefined) {
          assert.ok(again, "B still cannot read the object");
          assert.equal(again.code, variant.code, again.details);
        } else {
          assert.equal(again, undefined, "B, now served by Azure, reads the object itself");
          assert.ok(
            asked.some((r) => r.service === "keyvault" && r.status === 200 && r.identity === variant.reads),
            "with its own Key Vault GET",
          );
        }
      });
    }
  } finally {
    client.close();
    await provider.stop();
    await emulator.close();
    for (const file of [OTHER_AUTHORITY, OTHER_RESOURCE]) {
      await Deno.remove(file.replace(/\/[^/]+$/, ""), { recursive: true });
    }
  }
});
