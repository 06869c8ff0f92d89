/**
 * The cache keys of src/cache/keys.ts: unambiguous, nested, and — through the real planning of a
 * mount — different whenever any field that tells one identity from another differs. A mode whose
 * key dropped a field would let two identities share a credential, clients and fetched objects.
 */
import assert from "node:assert/strict";
import { identityKey, objectKey, vaultKey, versionListKey } from "../../src/cache/keys.ts";
import { inspectMount } from "../../src/mount/plan.ts";
import { mountRequest, SP } from "../harness/spc.ts";
import {
  EXCHANGE_AUDIENCE,
  serviceAccountJwt,
  serviceAccountTokens,
  SIGNATURE,
} from "../harness/service_account.ts";

const WI_CLIENT = "44444444-4444-4444-4444-444444444444";
const UAMI = "55555555-5555-5555-5555-555555555555";
const TOKENS = "csi.storage.k8s.io/serviceAccount.tokens";

function saTokens(claims: { sub?: string; iss?: string } = {}, audience = EXCHANGE_AUDIENCE): string {
  const token = serviceAccountJwt({ aud: audience, iss: "https://issuer.test/", exp: 4102444800, ...claims });
  return serviceAccountTokens({ [audience]: token });
}

const BINDING = "api://AKSIdentityBinding";

/** One mount's inputs: parameters, nodePublishSecretRef data, pod, and the identity flags. */
interface Inputs {
  parameters: Record<string, string>;
  secrets?: Record<string, string>;
  podName?: string;
  podNamespace?: string;
  nmiAddress?: string;
  tokenProxyUrl?: string;
  sniName?: string;
}

function keyOf(inputs: Inputs): string {
  const request = mountRequest({
    objects: [{ objectName: "s", objectType: "secret" }],
    secrets: inputs.secrets ?? null,
    podName: inputs.podName,
    podNamespace: inputs.podNamespace,
    parameters: inputs.parameters,
  });
  const result = inspectMount(request, {
    defaultCloudName: "AzurePublicCloud",
    nmiAddress: inputs.nmiAddress ?? "localhost:2579",
    tokenProxyUrl: inputs.tokenProxyUrl ?? "https://kubernetes.default.svc.cluster.local/",
    sniName: inputs.sniName ?? "",
    readTextFile: () => {
      throw new Error("no cloud file");
    },
  });
  const errors = result.problems.filter((problem) => problem.severity === "error");
  assert.deepEqual(errors, []);
  return result.plan!.identity.key;
}

/** Each mode's inputs, and one change per field that names another identity. */
const MODES: [string, Inputs, [string, (inputs: Inputs) => Inputs][]][] = [
  ["service principal", { parameters: {}, secrets: SP }, [
    ["cloud", (i) => ({ ...i, parameters: { ...i.parameters, cloudName: "AzureChinaCloud" } })],
    ["tenant", (i) => ({ ...i, parameters: { ...i.parameters, tenantID: "another-tenant" } })],
    ["client id", (i) => ({ ...i, secrets: { ...SP, clientid: WI_CLIENT } })],
    ["client secret", (i) => ({ ...i, secrets: { ...SP, clientsecret: "another-secret" } })],
  ]],
  ["workload identity", { parameters: { clientID: WI_CLIENT, [TOKENS]: saTokens() } }, [
    ["cloud", (i) => ({ ...i, parameters: { ...i.parameters, cloudName: "AzureUSGovernmentCloud" } })],
    ["tenant", (i) => ({ ...i, parameters: { ...i.parameters, tenantID: "another-tenant" } })],
    ["client id", (i) => ({ ...i, parameters: { ...i.parameters, clientID: UAMI } })],
    [
      "issuer",
      (i) => ({ ...i, parameters: { ...i.parameters, [TOKENS]: saTokens({ iss: "https://other/" }) } }),
    ],
    [
      "subject",
      (i) => ({ ...i, parameters: { ...i.parameters, [TOKENS]: saTokens({ sub: "system:sa:x:y" }) } }),
    ],
  ]],
  ["VM managed identity", { parameters: { useVMManagedIdentity: "true", userAssignedIdentityID: UAMI } }, [
    [
      "user-assigned client id",
      (i) => ({ ...i, parameters: { ...i.parameters, userAssignedIdentityID: WI_CLIENT } }),
    ],
    ["system-assigned", (i) => ({ ...i, parameters: { useVMManagedIdentity: "true" } })],
  ]],
  ["pod identity", { parameters: { usePodIdentity: "true", "csi.storage.k8s.io/pod.uid": "uid-1" } }, [
    ["NMI address", (i) => ({ ...i, nmiAddress: "localhost:2580" })],
    ["cloud", (i) => ({ ...i, parameters: { ...i.parameters, cloudName: "AzureChinaCloud" } })],
    ["pod namespace", (i) => ({ ...i, podNamespace: "other" })],
    ["pod name", (i) => ({ ...i, podName: "other" })],
    ["pod uid", (i) => ({ ...i, parameters: { ...i.parameters, "csi.storage.k8s.io/pod.uid": "uid-2" } })],
  ]],
  [
    "identity binding",
    { parameters: { useAzureTokenProxy: "true", clientID: WI_CLIENT, [TOKENS]: saTokens({}, BINDING) } },
    [
      ["cloud", (i) => ({ ...i, parameters: { ...i.parameters, cloudName: "AzureUSGovernmentCloud" } })],
      ["tenant", (i) => ({ ...i, parameters: { ...i.parameters, tenantID: "another-tenant" } })],
      ["client id", (i) => ({ ...i, parameters: { ...i.parameters, clientID: UAMI } })],
      [
        "issuer",
        (i) => ({
          ...i,
          parameters: { ...i.parameters, [TOKENS]: saTokens({ iss: "https://other/" }, BINDING) },
        }),
      ],
      [
        "subject",
        (i) => ({
          ...i,
          parameters: { ...i.parameters, [TOKENS]: saTokens({ sub: "system:sa:x:y" }, BINDING) },
        }),
      ],
      [
        "token proxy URL",
        (i) => ({ ...i, tokenProxyUrl: "https://kubernetes.default.svc.cluster.local/p/" }),
      ],
      ["TLS server name", (i) => ({ ...i, sniName: "a0.ests.aks" })],
      [
        "mode (workload identity with the same client id and service account)",
        (i) => ({ ...i, parameters: { clientID: WI_CLIENT, [TOKENS]: saTokens() } }),
      ],
    ],
  ],
];

for (const [mode, base, changes] of MODES) {
  Deno.test(`identity key of ${mode}: stable for the same identity, new for any other`, () => {
    const key = keyOf(base);
    assert.equal(keyOf(structuredClone(base)), key, "the same inputs give the same key");
    for (const [field, change] of changes) {
      assert.notEqual(
        keyOf(change(structuredClone(base))),
        key,
        `${mode}: another ${field} is another identity`,
      );
    }
  });
}

Deno.test("identity keys hold no secret or token", () => {
  const sp = keyOf({ parameters: {}, secrets: SP });
  assert.ok(!sp.includes(SP.clientsecret));
  const wi = keyOf({ parameters: { clientID: WI_CLIENT, [TOKENS]: saTokens() } });
  assert.ok(!wi.includes(SIGNATURE) && !wi.includes("eyJ"), wi);
});

Deno.test("keys cannot be confused by separators in their fields", () => {
  const identity = identityKey("m", { a: "1" });
  const vault = vaultKey(identity, "https://v.vault.azure.net");
  const split = (name: string, version: string) =>
    objectKey(vault, { objectType: "secret", objectName: name, objectVersion: version });
  assert.notEqual(split("a|x", "y"), split("a", "x|y"));
  assert.notEqual(split('a","x', "y"), split("a", 'x","y'));
  assert.notEqual(identityKey("m", { a: "1", b: "2" }), identityKey("m", { a: "1|b", b: "" }));
  assert.notEqual(identityKey("m", { a: "x" }), identityKey("m", { b: "x" }), "field names count");
});

Deno.test("each key holds the one below it: identity ⊂ vault ⊂ object and version listing", () => {
  const vault = (identity: string, url: string) => vaultKey(identityKey(identity, {}), url);
  const object = (v: ReturnType<typeof vaultKey>) =>
    objectKey(v, { objectType: "secret", objectName: "n", objectVersion: "" });
  const url = "https://v.vault.azure.net";
  assert.notEqual(object(vault("a", url)), object(vault("b", url)), "another identity");
  assert.notEqual(object(vault("a", url)), object(vault("a", "https://w.vault.azure.net")), "another vault");
  const list = versionListKey(vault("a", url), { objectType: "secret", objectName: "n" });
  assert.notEqual(list, versionListKey(vault("b", url), { objectType: "secret", objectName: "n" }));
  assert.notEqual(list, versionListKey(vault("a", url), { objectType: "key", objectName: "n" }));
});
