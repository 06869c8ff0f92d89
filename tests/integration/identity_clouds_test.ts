/**
 * Every Azure cloud end to end through the emulator's proxy: the vault host, the Key Vault
 * resource (token audience) and the Entra authority follow `cloudName` (or `--cloud-name`),
 * AzureStack reads its cloud file per mount, and two mounts with different cloud files at the
 * same time never see each other's endpoints.
 */
import assert from "node:assert/strict";
import type { MountInput } from "../harness/spc.ts";
import { text } from "../harness/bytes.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { HUBS, type IdentityWorld, MODES, request, startIdentityWorld } from "./identity_fixtures.ts";
import { TENANT } from "../harness/spc.ts";

/** A cloud: its parameters, the vault it holds, its value, and where its tokens come from. */
interface CloudCase {
  readonly name: string;
  readonly parameters: Record<string, string>;
  readonly vault: string;
  readonly value: string;
  readonly vaultHost: string;
  /** The Entra host MSAL calls (Azure China's preferred alias, per MSAL's metadata). */
  readonly loginHost: string;
}

async function cloudCases(world: IdentityWorld): Promise<CloudCase[]> {
  const hub1 = await world.cloudFile(HUBS.hub1);
  const hub2 = await world.cloudFile(HUBS.hub2);
  return [
    {
      name: "AzurePublicCloud",
      parameters: {},
      vault: "demo-vault",
      value: "public",
      vaultHost: "demo-vault.vault.azure.net",
      loginHost: "login.microsoftonline.com",
    },
    {
      name: "AzureUSGovernmentCloud",
      parameters: { cloudName: "AzureUSGovernmentCloud" },
      vault: "gov-vault",
      value: "usgov",
      vaultHost: "gov-vault.vault.usgovcloudapi.net",
      loginHost: "login.microsoftonline.us",
    },
    {
      name: "AzureChinaCloud",
      parameters: { cloudName: "azurechinacloud" },
      vault: "cn-vault",
      value: "china",
      vaultHost: "cn-vault.vault.azure.cn",
      loginHost: "login.partner.microsoftonline.cn",
    },
    {
      name: "AzureGermanCloud",
      parameters: { cloudName: "AZUREGERMANCLOUD" },
      vault: "de-vault",
      value: "germany",
      vaultHost: "de-vault.vault.microsoftazure.de",
      loginHost: "login.microsoftonline.de",
    },
    {
      name: "AzureStackCloud (hub 1)",
      parameters: { cloudName: "AzureStackCloud", cloudEnvFileName: hub1 },
      vault: "stack-vault",
      value: "hub1",
      vaultHost: "stack-vault.vault.hub1.azurestack.test",
      loginHost: "login.hub1.azurestack.test",
    },
    {
      name: "AzureStackCloud (hub 2)",
      parameters: { cloudName: "azurestackcloud", cloudEnvFileName: hub2 },
      vault: "stack-vault",
      value: "hub2",
      vaultHost: "stack-vault.vault.hub2.azurestack.test",
      loginHost: "login.hub2.azurestack.test",
    },
  ];
}

const MODE_CASES: [string, () => MountInput, string][] = [
  ["service principal", MODES.servicePrincipal, "entra"],
  ["workload identity", () => MODES.workloadIdentity(), "entra"],
  ["VM managed identity", MODES.vmUserAssigned, "imds"],
  ["pod identity", () => MODES.podIdentity(), "nmi"],
];

Deno.test("every cloud mounts end to end with every identity mode", async (t) => {
  const world = await startIdentityWorld();
  const client = providerClient(world.provider.socketPath);
  const { emulator } = world;
  const clouds = await cloudCases(world);
  try {
    for (const cloud of clouds) {
      await t.step(cloud.name, async () => {
        const resource = `https://${cloud.vaultHost.slice(cloud.vault.length + 1)}`;
        for (const [modeName, mode, service] of MODE_CASES) {
          emulator.resetRequests();
          const response = await client.mount(
            request(mode(), { vault: cloud.vault, parameters: cloud.parameters }),
          )
            .catch((error) => assert.fail(`${modeName}: ${error.details}`));
          assert.deepEqual(response.files.map((f) => text(f.contents)), [cloud.value], modeName);
          const vault = emulator.requests({ service: "keyvault" });
          assert.ok(vault.every((r) => r.host === cloud.vaultHost), `${modeName}: only ${cloud.vaultHost}`);
          assert.deepEqual(vault.map((r) => r.status), [401, 200], `${modeName}: challenge, then the read`);
          const token = service === "entra"
            ? emulator.requests({ service: "entra", method: "POST" })
            : emulator.requests({ service: service as "imds" | "nmi" });
          assert.equal(token.length, 1, `${modeName}: one token call`);
          if (service === "entra") {
            assert.equal(token[0].host, cloud.loginHost, `${modeName}: the cloud's authority`);
            assert.equal(token[0].path, `/${TENANT}/oauth2/v2.0/token`);
            const discovery = emulator.requests({ service: "entra", method: "GET" });
            assert.ok(
              discovery.every((r) => r.host === cloud.loginHost),
              `${modeName}: discovery stays in the cloud`,
            );
          } else {
            assert.equal(token[0].query.resource, resource, `${modeName}: the cloud's Key Vault resource`);
          }
        }
      });
    }
  } finally {
    client.close();
    await world.close();
  }
});

Deno.test("--cloud-name sets the cloud of SecretProviderClasses that name none", async () => {
  const world = await startIdentityWorld(["--cloud-name=AzureUSGovernment"]);
  const client = providerClient(world.provider.socketPath);
  try {
    const gov = await client.mount(request(MODES.servicePrincipal(), { vault: "gov-vault" }));
    assert.equal(text(gov.files[0].contents), "usgov");
    const named = await client.mount(request(MODES.servicePrincipal(), {
      vault: "demo-vault",
      parameters: { cloudName: "AzureCloud" },
    }));
    assert.equal(text(named.files[0].contents), "public", "cloudName still wins");
    assert.deepEqual(
      world.emulator.requests({ service: "entra" }).map((r) => r.host),
      ["login.microsoftonline.us", "login.microsoftonline.com"],
    );
  } finally {
    client.close();
    await world.close();
  }
});

Deno.test("concurrent mounts with different AzureStack cloud files never see each other's endpoints", async () => {
  const world = await startIdentityWorld();
  const client = providerClient(world.provider.socketPath);
  const { emulator } = world;
  const [hub1, hub2] = [await world.cloudFile(HUBS.hub1), await world.cloudFile(HUBS.hub2)];
  const mount = (file: string, mode: MountInput) =>
    client.mount(request(mode, {
      vault: "stack-vault",
      parameters: { cloudName: "AzureStackCloud", cloudEnvFileName: file },
    }));
  try {
    // Interleaved first mounts (challenge, discovery, token) and warm ones, both hubs at once,
    // with two identities: a process-wide cloud setting would mix them up.
    const rounds = Array.from({ length: 12 }, (_, i) => i);
    const results = await Promise.all(rounds.flatMap((i) => {
      const mode = i % 2 === 0 ? MODES.servicePrincipal() : MODES.workloadIdentity();
      return [mount(hub1, mode), mount(hub2, mode)];
    }));
    assert.deepEqual(
      results.map((r) => text(r.files[0].contents)),
      rounds.flatMap(() => ["hub1", "hub2"]),
    );
    for (const hub of ["hub1", "hub2"]) {
      const seen = emulator.requests((r) => r.host.includes(`.${hub}.`));
      assert.ok(seen.length > 0);
      assert.ok(seen.every((r) => r.status === 200 || r.status === 401), `${hub}: no request was refused`);
      const vault = seen.filter((r) => r.service === "keyvault" && r.status === 200);
      // Concurrent identical reads are coalesced, so count identities rather than reads.
      assert.deepEqual([...new Set(vault.map((r) => r.identity))].sort(), ["sp-app", "wi-app"], hub);
      const exchanges = seen.filter((r) => r.service === "entra" && r.method === "POST");
      assert.deepEqual(
        exchanges.map((r) => r.identity).sort(),
        ["sp-app", "wi-app"],
        `${hub}: one per identity`,
      );
    }
    const refused = emulator.requests((r) => r.service === "keyvault" && r.status === 401);
    assert.equal(refused.length, 4, "one challenge per hub and identity, never a token for the wrong hub");
  } finally {
    client.close();
    await world.close();
  }
});
