/**
 * Identity mode selection and every input error, through the same planning the provider runs
 * before any network call (inspectMount), plus the cache keys that keep identities apart.
 */
import assert from "node:assert/strict";
import { ClientSecretCredential, ManagedIdentityCredential } from "@azure/identity";
import { wellKnownCloud } from "../../src/cloud/clouds.ts";
import { authorityOptions } from "../../src/identity/authority.ts";
import { pooledConnectionsPolicy } from "../../src/net/connection_pool.ts";
import { inspectMount } from "../../src/mount/plan.ts";
import { mountRequest, SP } from "../harness/spc.ts";
import {
  EXCHANGE_AUDIENCE,
  serviceAccountJwt,
  serviceAccountTokens,
  SIGNATURE,
  WORKLOAD_SUBJECT,
} from "../harness/service_account.ts";

const WI_CLIENT = "44444444-4444-4444-4444-444444444444";
const UAMI = "55555555-5555-5555-5555-555555555555";

const environment = {
  defaultCloudName: "AzurePublicCloud",
  nmiAddress: "localhost:2579",
  tokenProxyUrl: "https://kubernetes.default.svc.cluster.local/",
  sniName: "",
  readTextFile: (path: string): string => {
    if (path === "/tmp/stack.json") {
      return JSON.stringify({
        name: "AzureStackCloud",
        activeDirectoryEndpoint: "https://login.hub.test/",
        keyVaultEndpoint: "https://vault.hub.test/",
        keyVaultDNSSuffix: "vault.hub.test",
      });
    }
    throw new Error(`No such file or directory (os error 2): readfile '${path}'`);
  },
};

function saTokens(sub = WORKLOAD_SUBJECT, audience = EXCHANGE_AUDIENCE) {
  const token = serviceAccountJwt({ aud: audience, sub, iss: "https://issuer.test/", exp: 4102444800 });
  return serviceAccountTokens({ [audience]: token });
}

/** An identity-binding mount's parameters: the switch, clientID and a token for api://AKSIdentityBinding. */
function binding(sub?: string): Record<string, string> {
  return {
    useAzureTokenProxy: "true",
    clientID: WI_CLIENT,
    "csi.storage.k8s.io/serviceAccount.tokens": saTokens(sub, "api://AKSIdentityBinding"),
  };
}

function inspect(
  parameters: Record<string, string>,
  options: { secrets?: Record<string, string> | null; podName?: string; podUid?: string } = {},
) {
  const request = mountRequest({
    objects: [{ objectName: "s", objectType: "secret" }],
    secrets: options.secrets === undefined ? null : options.secrets,
    podName: options.podName,
    parameters: {
      ...parameters,
      ...(options.podUid ? { "csi.storage.k8s.io/pod.uid": options.podUid } : {}),
    },
  });
  return inspectMount(request, environment);
}

function errorsOf(result: ReturnType<typeof inspect>): string[] {
  return result.problems.filter((p) => p.severity === "error").map((p) => p.message);
}

function warningsOf(result: ReturnType<typeof inspect>): string[] {
  return result.problems.filter((p) => p.severity === "warning").map((p) => p.message);
}

function modeOf(parameters: Record<string, string>, secrets: Record<string, string> | null = null): string {
  const result = inspect(parameters, { secrets });
  assert.deepEqual(errorsOf(result), []);
  return result.plan!.identity.mode;
}

Deno.test("mode selection: explicit flags, then clientID with tokens, then the service principal", () => {
  assert.equal(modeOf({}, SP), "servicePrincipal");
  assert.equal(
    modeOf({ clientID: WI_CLIENT, "csi.storage.k8s.io/serviceAccount.tokens": saTokens() }, SP),
    "workloadIdentity",
  );
  assert.equal(modeOf({ usePodIdentity: "true" }, SP), "podIdentity");
  assert.equal(modeOf({ useVMManagedIdentity: "1" }, SP), "vmManagedIdentity");
  assert.equal(modeOf({ useVMManagedIdentity: "T", userAssignedIdentityID: UAMI }), "vmManagedIdentity");
  assert.equal(modeOf(binding(), SP), "identityBinding", "useAzureTokenProxy wins over the secret");
  // Booleans parse like Go's strconv.ParseBool: "False" and "0" are off.
  assert.equal(modeOf({ usePodIdentity: "False", useVMManagedIdentity: "0" }, SP), "servicePrincipal");
});

Deno.test("a flag wins over clientID, which is then ignored with a warning (not parsed, unlike Go)", () => {
  const pod = inspect({ usePodIdentity: "true", clientID: WI_CLIENT });
  assert.deepEqual(errorsOf(pod), []);
  assert.equal(pod.plan?.identity.mode, "podIdentity");
  assert.deepEqual(warningsOf(pod), [
    "clientID is ignored with usePodIdentity: NMI picks the identity bound to the pod (AzureIdentityBinding)",
  ]);
  const vm = inspect({ useVMManagedIdentity: "true", clientID: WI_CLIENT });
  assert.deepEqual(errorsOf(vm), [], "no service account tokens needed, as the Go provider would demand");
  assert.equal(vm.plan?.identity.mode, "vmManagedIdentity");
  assert.deepEqual(warningsOf(vm), [
    "clientID is ignored with useVMManagedIdentity (the system-assigned identity is used): name a user-assigned identity with userAssignedIdentityID",
  ]);
  const wi = inspect({
    clientID: WI_CLIENT,
    userAssignedIdentityID: UAMI,
    "csi.storage.k8s.io/serviceAccount.tokens": saTokens(),
  });
  assert.deepEqual(warningsOf(wi), [
    "userAssignedIdentityID is ignored: it only applies with useVMManagedIdentity (workload identity uses clientID)",
  ]);
});

const ERRORS: [string, Record<string, string>, Record<string, string> | null, RegExp][] = [
  [
    "two modes",
    { usePodIdentity: "true", useVMManagedIdentity: "true" },
    null,
    /^only one identity mode can be enabled at a time: usePodIdentity and useVMManagedIdentity are both enabled \(choose one of usePodIdentity, useVMManagedIdentity, or useAzureTokenProxy\)$/,
  ],
  [
    "three modes",
    { usePodIdentity: "1", useVMManagedIdentity: "t", useAzureTokenProxy: "TRUE" },
    null,
    /^only one identity mode can be enabled at a time: usePodIdentity and useVMManagedIdentity and useAzureTokenProxy are all enabled/,
  ],
  [
    "a bad usePodIdentity",
    { usePodIdentity: "yes" },
    SP,
    /^failed to parse usePodIdentity flag, error: strconv.ParseBool: parsing "yes": invalid syntax \(use true or false\)$/,
  ],
  [
    "a bad useVMManagedIdentity",
    { useVMManagedIdentity: "tRUE" },
    SP,
    /^failed to parse useVMManagedIdentity flag, error: strconv.ParseBool: parsing "tRUE": invalid syntax/,
  ],
  [
    "a bad useAzureTokenProxy",
    { useAzureTokenProxy: "on" },
    SP,
    /^failed to parse useAzureTokenProxy flag, error: strconv.ParseBool: parsing "on": invalid syntax/,
  ],
  [
    "useAzureTokenProxy without clientID",
    { useAzureTokenProxy: "true", "csi.storage.k8s.io/serviceAccount.tokens": saTokens() },
    SP,
    /^clientID is required for identity binding: set clientID to the client ID of the managed identity bound to the pod's service account$/,
  ],
  [
    "useAzureTokenProxy without tokens",
    { useAzureTokenProxy: "true", clientID: WI_CLIENT },
    null,
    /^service account tokens are required for identity binding: .*add \{audience: api:\/\/AKSIdentityBinding\} to spec.tokenRequests/,
  ],
  [
    "useAzureTokenProxy with workload identity's token only",
    {
      useAzureTokenProxy: "true",
      clientID: WI_CLIENT,
      "csi.storage.k8s.io/serviceAccount.tokens": saTokens(),
    },
    null,
    /^failed to parse service account token for identity binding, error: token for audience api:\/\/AKSIdentityBinding not found \(the driver sent tokens for: api:\/\/AzureADTokenExchange\)/,
  ],
  [
    "useAzureTokenProxy with a clientID that is not a GUID",
    { ...binding(), clientID: "my-identity" },
    null,
    /^clientID "my-identity" is not a client id: expected a GUID/,
  ],
  [
    "clientID without tokens",
    { clientID: WI_CLIENT },
    SP,
    /^failed to parse workload identity tokens, error: service account tokens not found: the driver sends service account tokens only for the audiences listed in its CSIDriver: add \{audience: api:\/\/AzureADTokenExchange\} to spec.tokenRequests of the secrets-store.csi.k8s.io CSIDriver/,
  ],
  [
    "clientID with another audience only",
    {
      clientID: WI_CLIENT,
      "csi.storage.k8s.io/serviceAccount.tokens": saTokens(undefined, "api://AKSIdentityBinding"),
    },
    null,
    /^failed to parse workload identity tokens, error: token for audience api:\/\/AzureADTokenExchange not found \(the driver sent tokens for: api:\/\/AKSIdentityBinding\): .*spec.tokenRequests/,
  ],
  [
    "clientID with an empty token map",
    { clientID: WI_CLIENT, "csi.storage.k8s.io/serviceAccount.tokens": "{}" },
    null,
    /token for audience api:\/\/AzureADTokenExchange not found \(the driver sent tokens for: none\)/,
  ],
  [
    "clientID with broken tokens",
    { clientID: WI_CLIENT, "csi.storage.k8s.io/serviceAccount.tokens": "{not json" },
    null,
    /^failed to parse workload identity tokens, error: failed to unmarshal service account tokens, error: /,
  ],
  [
    "a token that is not a JWT",
    {
      clientID: WI_CLIENT,
      "csi.storage.k8s.io/serviceAccount.tokens": JSON.stringify({
        "api://AzureADTokenExchange": { token: "opaque", expirationTimestamp: "2100-01-01T00:00:00Z" },
      }),
    },
    null,
    /the service account token for audience api:\/\/AzureADTokenExchange is not a JWT with a subject \(sub\)$/,
  ],
  [
    "a clientID that is not a GUID",
    { clientID: "my-app", "csi.storage.k8s.io/serviceAccount.tokens": saTokens() },
    null,
    /^clientID "my-app" is not a client id: expected a GUID/,
  ],
  [
    "a resource id as userAssignedIdentityID",
    {
      useVMManagedIdentity: "true",
      userAssignedIdentityID:
        "/subscriptions/0/resourceGroups/rg/providers/Microsoft.ManagedIdentity/userAssignedIdentities/x",
    },
    null,
    /^userAssignedIdentityID ".*" is not a client id: it looks like a resource id; use the identity's client id instead$/,
  ],
  [
    "no secret and no other mode",
    {},
    null,
    /^failed to get credentials, nodePublishSecretRef secret is not set/,
  ],
  ["a secret without clientid", {}, { clientsecret: "x" }, /^could not find clientid in secrets/],
  ["a secret without clientsecret", {}, { ClientID: SP.clientid }, /^could not find clientsecret in secrets/],
];
for (const [name, parameters, secrets, message] of ERRORS) {
  Deno.test(`identity error: ${name}`, () => {
    const result = inspect(parameters, { secrets });
    const errors = errorsOf(result);
    assert.equal(result.plan, undefined);
    assert.ok(errors.some((text) => message.test(text)), `expected ${message} in ${JSON.stringify(errors)}`);
    for (const text of errors) assert.ok(!text.includes(SIGNATURE), "a token never appears in a message");
  });
}

function keyOf(parameters: Record<string, string>, options: Parameters<typeof inspect>[1] = {}): string {
  const result = inspect(parameters, options);
  assert.deepEqual(errorsOf(result), []);
  return result.plan!.identity.key;
}

Deno.test("cache keys: the same identity shares one, any other identity never does", () => {
  const sp = keyOf({}, { secrets: SP });
  assert.equal(keyOf({}, { secrets: { CLIENTID: SP.clientid, ClientSecret: SP.clientsecret } }), sp);
  assert.notEqual(keyOf({}, { secrets: { ...SP, clientsecret: "another-secret" } }), sp, "a wrong secret");
  assert.ok(!sp.includes(SP.clientsecret), "the key holds no secret");

  const wi = (sub?: string) =>
    keyOf({ clientID: WI_CLIENT, "csi.storage.k8s.io/serviceAccount.tokens": saTokens(sub) });
  assert.equal(wi(), wi(), "a new token of the same service account");
  assert.notEqual(wi("system:serviceaccount:other:workload-sa"), wi());
  assert.ok(!wi().includes(SIGNATURE), "the key holds no token");

  const pod = (name: string, uid = "uid-1") =>
    keyOf({ usePodIdentity: "true" }, { podName: name, podUid: uid });
  assert.equal(pod("nginx"), pod("nginx"));
  assert.notEqual(pod("nginx"), pod("reader-b"));
  assert.notEqual(pod("nginx", "uid-2"), pod("nginx"), "a later pod of the same name");

  const system = keyOf({ useVMManagedIdentity: "true" });
  const user = keyOf({ useVMManagedIdentity: "true", userAssignedIdentityID: UAMI });
  assert.notEqual(system, user);
  assert.equal(keyOf({ useVMManagedIdentity: "true", userAssignedIdentityID: UAMI.toUpperCase() }), user);

  const bound = (sub?: string, context: Partial<typeof environment> = {}) => {
    const result = inspectMount(
      mountRequest({
        objects: [{ objectName: "s", objectType: "secret" }],
        secrets: null,
        parameters: binding(sub),
      }),
      { ...environment, ...context },
    );
    assert.deepEqual(errorsOf(result), []);
    return result.plan!.identity.key;
  };
  assert.equal(bound(), bound(), "a new token of the same service account");
  assert.notEqual(bound("system:serviceaccount:other:workload-sa"), bound());
  assert.notEqual(bound(undefined, { tokenProxyUrl: "https://proxy.other.test/" }), bound(), "another proxy");
  assert.notEqual(bound(undefined, { sniName: "a1.ests.aks" }), bound(), "another server name");
  assert.notEqual(bound(), wi(), "the same client id and service account as workload identity");
  assert.ok(!bound().includes("c2ln"), "the key holds no token");

  const all = [sp, wi(), pod("nginx"), system, user, bound()];
  assert.equal(new Set(all).size, all.length);
});

Deno.test("each mode builds its own credential kind", () => {
  const credential = (parameters: Record<string, string>, secrets: Record<string, string> | null = null) =>
    inspect(parameters, { secrets }).plan!.identity.createCredential();
  assert.ok(credential({}, SP) instanceof ClientSecretCredential);
  // The provider's own credentials, by their class names (the classes are not exported).
  assert.equal(
    credential({ clientID: WI_CLIENT, "csi.storage.k8s.io/serviceAccount.tokens": saTokens() }).constructor
      .name,
    "FederatedTokenCredential",
  );
  assert.equal(credential({ usePodIdentity: "true" }).constructor.name, "NmiCredential");
  assert.ok(credential({ useVMManagedIdentity: "true" }) instanceof ManagedIdentityCredential);
  assert.equal(credential(binding()).constructor.name, "IdentityBindingCredential");
});

Deno.test("authority: well-known clouds use instance discovery, a cloud file does not", () => {
  assert.deepEqual(authorityOptions(wellKnownCloud("azureusgovernment")), {
    authorityHost: "https://login.microsoftonline.us",
    disableInstanceDiscovery: false,
    additionalPolicies: [pooledConnectionsPolicy],
  });
  const stack = inspect({ cloudName: "AzureStackCloud", cloudEnvFileName: "/tmp/stack.json" }, {
    secrets: SP,
  });
  assert.deepEqual(stack.plan?.config.vaultUrl, "https://demo-vault.vault.hub.test");
  assert.deepEqual(authorityOptions(stack.plan!.config.cloud), {
    authorityHost: "https://login.hub.test",
    disableInstanceDiscovery: true,
    additionalPolicies: [pooledConnectionsPolicy],
  });
});
