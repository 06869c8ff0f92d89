import assert from "node:assert/strict";
import { cloudFromEnvironmentFile, wellKnownCloud } from "../../src/cloud/clouds.ts";

Deno.test("every cloud name, any case, gives its vault suffix, resource and authority", () => {
  const cases: [string, string, string][] = [
    ["AzurePublicCloud", "vault.azure.net", "https://login.microsoftonline.com"],
    ["AZURECLOUD", "vault.azure.net", "https://login.microsoftonline.com"],
    ["AzureUSGovernmentCloud", "vault.usgovcloudapi.net", "https://login.microsoftonline.us"],
    ["azureusgovernment", "vault.usgovcloudapi.net", "https://login.microsoftonline.us"],
    ["AzureChinaCloud", "vault.azure.cn", "https://login.chinacloudapi.cn"],
    ["azureGermanCloud", "vault.microsoftazure.de", "https://login.microsoftonline.de"],
  ];
  for (const [name, suffix, authority] of cases) {
    const cloud = wellKnownCloud(name);
    assert.deepEqual(
      [cloud.keyVaultDnsSuffix, cloud.keyVaultEndpoint, cloud.activeDirectoryEndpoint],
      [suffix, `https://${suffix}`, authority],
      name,
    );
  }
});

Deno.test("a cloud file must hold https endpoints and a DNS suffix", () => {
  const file = (fields: Record<string, unknown>) =>
    JSON.stringify({
      activeDirectoryEndpoint: "https://login.hub.test/",
      keyVaultEndpoint: "https://vault.hub.test/",
      keyVaultDNSSuffix: "vault.hub.test",
      ...fields,
    });
  assert.throws(
    () => cloudFromEnvironmentFile("/tmp/c.json", file({ activeDirectoryEndpoint: "http://login.hub.test" })),
    /activeDirectoryEndpoint in \/tmp\/c.json must be an https:\/\/ URL, not "http:\/\/login.hub.test"/,
  );
  assert.throws(
    () => cloudFromEnvironmentFile("/tmp/c.json", file({ keyVaultDNSSuffix: "vault hub" })),
    /keyVaultDNSSuffix in \/tmp\/c.json must be a DNS name/,
  );
  assert.throws(() => cloudFromEnvironmentFile("/tmp/c.json", "[]"), /must hold a JSON object/);
  assert.throws(
    () => cloudFromEnvironmentFile("/tmp/c.json", file({ keyVaultEndpoint: undefined })),
    /has no keyVaultEndpoint/,
  );
  assert.equal(
    cloudFromEnvironmentFile("/tmp/c.json", file({ keyVaultDNSSuffix: ".vault.hub.test" })).keyVaultDnsSuffix,
    "vault.hub.test",
  );
});
