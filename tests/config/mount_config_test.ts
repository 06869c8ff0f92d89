import assert from "node:assert/strict";
import { readMountConfig } from "../../src/config/mount_config.ts";
import { objectsYaml } from "../harness/spc.ts";

const environment = {
  defaultCloudName: "AzurePublicCloud",
  readTextFile: (path: string) => {
    if (path === "/stack.json") {
      return JSON.stringify({
        name: "AzureStackCloud",
        activeDirectoryEndpoint: "https://login.local.azurestack.test/",
        keyVaultEndpoint: "https://vault.local.azurestack.test/",
        keyVaultDNSSuffix: "vault.local.azurestack.test",
      });
    }
    throw new Error(`No such file or directory (os error 2): ${path}`);
  },
};

function attributes(extra: Record<string, string> = {}): Record<string, string> {
  return {
    keyvaultName: "demo-vault",
    tenantID: "tenant-1",
    objects: objectsYaml([{ objectName: "s1", objectType: "secret" }]),
    "csi.storage.k8s.io/pod.name": "nginx",
    "csi.storage.k8s.io/pod.namespace": "default",
    ...extra,
  };
}

function read(extra: Record<string, string>, drop: string[] = []) {
  const attrs = attributes(extra);
  for (const key of drop) delete attrs[key];
  return readMountConfig({ attributes: attrs, secrets: null, permission: 0o644 }, environment);
}

function errors(extra: Record<string, string>, drop: string[] = []): string[] {
  return read(extra, drop).problems.filter((p) => p.severity === "error").map((p) => p.message);
}

Deno.test("a complete SecretProviderClass gives a MountConfig", () => {
  const { config, problems } = read({ keyvaultName: " demo-vault " });
  assert.deepEqual(problems, []);
  assert.deepEqual(config?.vaultUrl, "https://demo-vault.vault.azure.net");
  assert.deepEqual(config?.cloud.name, "AzurePublicCloud");
  assert.deepEqual(config?.objects[0].fileName, "s1");
  assert.deepEqual(config?.defaultFileMode, 0o644);
});

Deno.test("tenantID wins over tenantId; tenantId is the fallback", () => {
  assert.deepEqual(read({ tenantID: "a", tenantId: "b" }).config?.identity.tenantId, "a");
  assert.deepEqual(read({ tenantId: "b" }, ["tenantID"]).config?.identity.tenantId, "b");
});

const missing: [string, string, RegExp][] = [
  ["pod name", "csi.storage.k8s.io/pod.name", /^pod name is not provided$/],
  ["pod namespace", "csi.storage.k8s.io/pod.namespace", /^pod namespace is not provided$/],
  ["keyvaultName", "keyvaultName", /^keyvaultName is not provided$/],
  ["tenant", "tenantID", /^tenantId is not provided$/],
  ["objects", "objects", /^objects is not set$/],
];
for (const [name, key, message] of missing) {
  Deno.test(`a missing ${name} is an error`, () => {
    const found = errors({}, [key]);
    assert.deepEqual(found.length, 1);
    assert.match(found[0], message);
  });
}

const badValues: [string, Record<string, string>, RegExp][] = [
  ["a short vault name", { keyvaultName: "ab" }, /Invalid vault name: "ab", must be between 3 and 24 chars/],
  ["a long vault name", { keyvaultName: "a".repeat(25) }, /must be between 3 and 24 chars/],
  ["a vault name with a dot", { keyvaultName: "demo.vault" }, /must match \[-a-zA-Z0-9\]\{3,24\}/],
  ["an unknown cloud", { cloudName: "Mars" }, /cloudName Mars is not valid.*"MARS"/],
  [
    "a bad boolean",
    { usePodIdentity: "tru" },
    /failed to parse usePodIdentity flag.*parsing "tru": invalid syntax/,
  ],
  [
    "two identity modes",
    { usePodIdentity: "true", useVMManagedIdentity: "1" },
    /only one identity mode can be enabled at a time: usePodIdentity and useVMManagedIdentity/,
  ],
  ["AzureStack without a file", { cloudName: "AzureStackCloud" }, /cloudEnvFileName must name/],
  [
    "AzureStack with a missing file",
    { cloudName: "AzureStackCloud", cloudEnvFileName: "/nope.json" },
    /cannot read \/nope.json/,
  ],
  ["a tenant with a slash", { tenantID: "a/b" }, /may only contain letters/],
];
for (const [name, extra, message] of badValues) {
  Deno.test(`${name} is an error`, () => {
    const found = errors(extra);
    assert.ok(found.some((text) => message.test(text)), `expected ${message} in ${JSON.stringify(found)}`);
  });
}

Deno.test("every problem is reported at once", () => {
  assert.deepEqual(
    errors({ keyvaultName: "x", usePodIdentity: "maybe" }, ["csi.storage.k8s.io/pod.name"]).length,
    3,
  );
});

Deno.test("cloud names are case-insensitive and AzureStack reads its file", () => {
  assert.deepEqual(
    read({ cloudName: "azurechinacloud" }).config?.vaultUrl,
    "https://demo-vault.vault.azure.cn",
  );
  assert.deepEqual(
    read({ cloudName: "AzureUSGovernment" }).config?.cloud.keyVaultEndpoint,
    "https://vault.usgovcloudapi.net",
  );
  const stack = read({ cloudName: "AzureStackCloud", cloudEnvFileName: "/stack.json" }).config;
  assert.deepEqual(stack?.vaultUrl, "https://demo-vault.vault.local.azurestack.test");
  assert.deepEqual(stack?.cloud.activeDirectoryEndpoint, "https://login.local.azurestack.test");
});

Deno.test("mis-cased parameters are warned about with a suggestion", () => {
  const { problems, config } = read({ clientId: "abc", tenantid: "t" });
  assert.ok(config, "warnings alone do not fail a mount");
  assert.deepEqual(problems.map((p) => [p.severity, p.where, p.suggestion]), [
    ["warning", "clientId", "clientID"],
    ["warning", "tenantid", "tenantID"],
  ]);
  assert.match(problems[0].message, /did you mean "clientID"\?/);
});
