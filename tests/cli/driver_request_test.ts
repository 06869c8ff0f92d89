import assert from "node:assert/strict";
import { driverMountRequest } from "../../src/cli/driver_request.ts";

Deno.test("driver request: parameters, then the volume context over them, as three JSON strings", () => {
  const request = driverMountRequest({
    secretProviderClass: "azure-spc",
    parameters: { keyvaultName: "kv", "csi.storage.k8s.io/pod.name": "spoofed" },
    pod: { name: "nginx", namespace: "default", uid: "u-1", serviceAccountName: "app" },
    serviceAccountTokens: {
      "api://AzureADTokenExchange": { token: "t", expirationTimestamp: "2026-06-11T11:00:00Z" },
    },
    secrets: null,
    permission: 0o644,
  });
  assert.equal(request.secrets, "null");
  assert.equal(request.permission, "420");
  assert.deepEqual(JSON.parse(request.attributes), {
    keyvaultName: "kv",
    "csi.storage.k8s.io/pod.name": "nginx",
    secretProviderClass: "azure-spc",
    "csi.storage.k8s.io/pod.namespace": "default",
    "csi.storage.k8s.io/pod.uid": "u-1",
    "csi.storage.k8s.io/serviceAccount.name": "app",
    "csi.storage.k8s.io/ephemeral": "true",
    "csi.storage.k8s.io/serviceAccount.tokens":
      '{"api://AzureADTokenExchange":{"token":"t","expirationTimestamp":"2026-06-11T11:00:00Z"}}',
  });
  const withoutTokens = driverMountRequest({
    secretProviderClass: "s",
    parameters: {},
    pod: { name: "p", namespace: "n", uid: "u", serviceAccountName: "default" },
    secrets: { clientid: "id", clientsecret: "secret" },
    permission: 0o600,
  });
  assert.equal("csi.storage.k8s.io/serviceAccount.tokens" in JSON.parse(withoutTokens.attributes), false);
  assert.equal(withoutTokens.secrets, '{"clientid":"id","clientsecret":"secret"}');
  assert.equal(withoutTokens.permission, "384");
});
