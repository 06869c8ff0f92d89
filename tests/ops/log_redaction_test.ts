/**
 * Nothing secret ever reaches the provider's output, at the highest verbosity: no secret value,
 * private key, client secret, access token or service-account token (the assertion), in text or
 * JSON logs, nor in /metrics. Two runs:
 *
 * 1. every identity mode, object type and failure path against one emulator at -v=10, scanned for
 *    every value the emulator holds, every file the provider returned, every token it issued;
 * 2. the integration tests themselves rerun with -v=10 added to every provider they start,
 *    scanned for their fixtures' values and for anything shaped like a token or a key.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parse } from "yaml";
import { type Emulator, startEmulator } from "../emulator/emulator.ts";
import { generateMaterial, materialSeed } from "../emulator/material.ts";
import { loadSeedFile } from "../emulator/seed.ts";
import { providerClient, type ProviderClientHandle } from "../harness/grpc_client.ts";
import { type ProviderProcess, startProviderProcess } from "../harness/provider_process.ts";
import { type MountInput, mountRequest } from "../harness/spc.ts";
import { SEEDED_VALUES } from "../integration/fixtures.ts";
import { SECRETS as IDENTITY_SECRETS } from "../integration/identity_fixtures.ts";
import { serviceAccountJwt, serviceAccountTokens } from "../harness/service_account.ts";
import { freePort } from "../harness/net.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Shapes that are secret wherever they appear: a JWT (tokens, assertions), a private key, a long base64 run (PFX, DER). */
const SECRET_SHAPES: [string, RegExp][] = [
  ["a JWT", /eyJ[A-Za-z0-9_-]{10,}\.[A-Za-z0-9_-]{10,}/],
  ["a PEM private key", /PRIVATE KEY-----/],
  ["a long base64 run", /[A-Za-z0-9+/]{80,}={0,2}/],
];

/** The secret strings found in `output`, by what they are. */
function leaks(output: string, secrets: Iterable<[string, string]>): string[] {
  const found: string[] = [];
  for (const [what, value] of secrets) {
    if (value.length >= 6 && output.includes(value)) {
      found.push(`${what}: ${JSON.stringify(value.slice(0, 12))}…`);
    }
  }
  for (const [what, shape] of SECRET_SHAPES) {
    const match = shape.exec(output);
    if (match) found.push(`${what}: ${JSON.stringify(match[0].slice(0, 24))}…`);
  }
  return found;
}

/** Every secret the emulator holds: secret and certificate values, client secrets. */
function seededSecrets(emulator: Emulator): [string, string][] {
  const secrets: [string, string][] = [];
  for (const identity of emulator.seed.identities) {
    if (identity.clientSecret) secrets.push([`client secret of ${identity.name}`, identity.clientSecret]);
  }
  for (const vault of emulator.seed.vaults) {
    for (const secret of vault.secrets) {
      for (const version of secret.versions) secrets.push([`secret ${secret.name}`, version.value]);
    }
    for (const certificate of vault.certificates) {
      for (const version of certificate.versions) {
        if (!version.value) continue;
        secrets.push([`certificate secret ${certificate.name}`, version.value]);
        // Each line of a PEM value or PFX base64 on its own, in case one is logged alone.
        for (
          const line of version.value.split("\n").filter((l) => l.length >= 40 && !l.startsWith("-----"))
        ) {
          secrets.push([`a line of certificate secret ${certificate.name}`, line]);
        }
      }
    }
  }
  return secrets;
}

interface Scenario {
  readonly name: string;
  readonly input: MountInput;
}

const SP = { clientid: "11111111-1111-1111-1111-111111111111", clientsecret: "s3cr3t-value~for.demo_only" };

/** Every identity mode, object type and failure the default seed (plus generated material) allows. */
function scenarios(nmiPod: { podName: string; podNamespace: string }): Scenario[] {
  const objects = (...entries: Record<string, string>[]) => entries;
  const secretObjects = objects(
    { objectName: "db-password", objectType: "secret" },
    { objectName: "api-key", objectType: "secret", objectEncoding: "utf-8" },
    { objectName: "app-settings", objectType: "secret" },
    { objectName: "db-password", objectType: "secret", objectAlias: "history", objectVersionHistory: "2" },
  );
  const certObjects = objects(
    { objectName: "web-cert", objectType: "cert" },
    { objectName: "web-cert", objectType: "key", objectAlias: "web-cert.pub" },
    { objectName: "web-cert", objectType: "secret", objectAlias: "web-cert.pem" },
    { objectName: "self-rsa-3des", objectType: "secret", objectAlias: "rsa.pem" },
    {
      objectName: "self-rsa-3des",
      objectType: "secret",
      objectFormat: "pfx",
      objectEncoding: "base64",
      objectAlias: "rsa.pfx",
    },
    { objectName: "chain3-lir", objectType: "secret", objectAlias: "chain.pem" },
    { objectName: "self-ec-pem", objectType: "secret", objectAlias: "ec.pem" },
    { objectName: "signing-key", objectType: "key" },
  );
  const wi = (token: string): MountInput => ({
    parameters: {
      clientID: "44444444-4444-4444-4444-444444444444",
      "csi.storage.k8s.io/serviceAccount.tokens": serviceAccountTokens({
        "api://AzureADTokenExchange": token,
      }),
    },
  });
  const BINDING = "api://AKSIdentityBinding";
  const binding = (token: string): MountInput => ({
    parameters: {
      useAzureTokenProxy: "true",
      clientID: "88888888-8888-4888-8888-888888888888",
      "csi.storage.k8s.io/serviceAccount.tokens": serviceAccountTokens({ [BINDING]: token }),
    },
  });
  return [
    { name: "service principal: secrets", input: { secrets: SP, objects: secretObjects } },
    {
      name: "service principal: keys, certificates, PEM and PFX secrets",
      input: { secrets: SP, objects: certObjects },
    },
    {
      name: "wrong client secret",
      input: { secrets: { ...SP, clientsecret: "wrong-Secret-0123456789" }, objects: secretObjects },
    },
    {
      name: "client secret without a client id",
      input: { secrets: { clientsecret: SP.clientsecret }, objects: secretObjects },
    },
    {
      name: "an application without access",
      input: {
        secrets: { clientid: "22222222-2222-2222-2222-222222222222", clientsecret: "outsider-secret" },
        objects: secretObjects,
      },
    },
    {
      name: "missing object",
      input: { secrets: SP, objects: objects({ objectName: "nope", objectType: "secret" }) },
    },
    {
      name: "disabled latest version",
      input: { secrets: SP, objects: objects({ objectName: "retired-token", objectType: "secret" }) },
    },
    { name: "workload identity", input: { ...wi(serviceAccountJwt()), objects: secretObjects } },
    {
      name: "workload identity, unknown subject",
      input: {
        ...wi(serviceAccountJwt({ sub: "system:serviceaccount:default:other" })),
        objects: secretObjects,
      },
    },
    {
      name: "VM managed identity, system-assigned",
      input: { parameters: { useVMManagedIdentity: "true" }, objects: secretObjects },
    },
    {
      name: "VM managed identity, user-assigned",
      input: {
        parameters: {
          useVMManagedIdentity: "true",
          userAssignedIdentityID: "55555555-5555-5555-5555-555555555555",
        },
        objects: secretObjects,
      },
    },
    {
      name: "pod identity",
      input: { parameters: { usePodIdentity: "true" }, ...nmiPod, objects: secretObjects },
    },
    {
      name: "identity binding (server name computed from the API server)",
      input: {
        ...binding(serviceAccountJwt({ aud: BINDING, sub: "system:serviceaccount:default:bound-sa" })),
        objects: secretObjects,
      },
    },
    {
      name: "identity binding, a service account not bound",
      input: {
        ...binding(serviceAccountJwt({ aud: BINDING, sub: "system:serviceaccount:default:other" })),
        objects: secretObjects,
      },
    },
    {
      name: "pod identity, unbound pod",
      input: { parameters: { usePodIdentity: "true" }, podName: "stranger", objects: secretObjects },
    },
  ];
}

/** The pod the seed's pod identity is bound to. */
const POD = { podName: "nginx", podNamespace: "default" };

async function runScenarios(
  emulator: Emulator,
  client: ProviderClientHandle,
  tokens: string[],
): Promise<Uint8Array[]> {
  const returned: Uint8Array[] = [];
  const all = scenarios(POD);
  for (const scenario of all) {
    for (const token of JSON.stringify(scenario.input).match(/eyJ[\w-]+\.[\w-]+\.[\w-]*/g) ?? []) {
      tokens.push(token);
    }
    const response = await client.mount(mountRequest(scenario.input)).catch(() => undefined);
    for (const file of response?.files ?? []) returned.push(file.contents);
  }
  // Faults: throttling answered after a retry, a dropped connection, a Key Vault outage.
  const sp = mountRequest({ secrets: SP, objects: [{ objectName: "api-key", objectType: "secret" }] });
  emulator.setFaults({ kind: "status", service: "keyvault", status: 429, retryAfter: 0, times: 1 });
  await client.mount(sp).catch(() => undefined);
  emulator.setFaults({ kind: "reset", service: "keyvault", times: 4 });
  await client.mount(sp).catch(() => undefined);
  emulator.setFaults({ kind: "status", service: "keyvault", status: 503, retryAfter: 0 });
  await client.mount(sp).catch(() => undefined);
  emulator.clearFaults();
  return returned;
}

Deno.test("logs at -v=10, text and JSON, and /metrics hold no secret, key, client secret or token", async (t) => {
  const material = await generateMaterial();
  const { keys, certificates } = await materialSeed(material);
  // The default seed as written (every identity kind), with generated keys and certificates added.
  const seed = parse(await Deno.readTextFile(`${ROOT}tests/emulator/seed.yaml`));
  const demo = seed.vaults[0];
  demo.keys = [...demo.keys, ...keys];
  demo.certificates = [...demo.certificates, ...certificates];
  const emulator = await startEmulator({ seed });
  try {
    for (const json of [false, true]) {
      await t.step(json ? "JSON logs" : "text logs", async () => {
        const metricsPort = freePort();
        const healthPort = freePort();
        const provider: ProviderProcess = await startProviderProcess({
          env: emulator.env(),
          args: [
            "-v=10",
            `--log-format-json=${json}`,
            `--nmi-address=${emulator.nmiAddress}`,
            `--token-proxy-url=${emulator.aksCluster.tokenProxyUrl}`,
            `--prometheus-port=${metricsPort}`,
            `--healthz-port=${healthPort}`,
          ],
        });
        const client = providerClient(provider.socketPath);
        const sent: string[] = [];
        let returned: Uint8Array[] = [];
        let metrics = "";
        try {
          returned = await runScenarios(emulator, client, sent);
          await (await fetch(`http://127.0.0.1:${healthPort}/healthz`)).text();
          metrics = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
        } finally {
          client.close();
          await provider.stop();
        }
        const output = provider.output();
        // The scan is not vacuous: every scenario was logged, failures with their reasons.
        assert.ok(returned.length >= 15, `files returned: ${returned.length}`);
        const mountLines = output.match(/grpc request.*CSIDriverProvider\/Mount/g) ?? [];
        assert.equal(mountLines.length, scenarios(POD).length + 3, "every mount was logged");
        assert.match(output, /grpc request/);
        assert.match(output, /objectName:nope/);
        assert.match(metrics, /keyvault_request_count\{[^}]*object_name="nope"/);
        if (json) {
          for (const line of output.trim().split("\n")) {
            const entry = JSON.parse(line);
            assert.ok(entry.ts && entry.level && entry.msg, line);
          }
        }
        const secrets: [string, string][] = [
          ...seededSecrets(emulator),
          ...emulator.issuedTokens().map((token): [string, string] => ["an issued access token", token]),
          ...sent.map((token): [string, string] => ["a service-account token", token]),
          ["the wrong client secret sent", "wrong-Secret-0123456789"],
          ...returned.map((
            bytes,
          ): [string, string] => ["a file returned to the driver", new TextDecoder().decode(bytes)])
            .filter(([, value]) =>
              !value.includes("PUBLIC KEY") && !value.startsWith("-----BEGIN CERTIFICATE")
            ),
        ];
        assert.ok(
          emulator.issuedTokens().length >= 5,
          "tokens from Entra, IMDS, NMI and the token proxy were issued",
        );
        assert.ok(
          emulator.requests({ service: "tokenProxy", status: 200 }).length > 0,
          "identity binding ran",
        );
        assert.deepEqual(leaks(output, secrets), [], "provider output");
        assert.deepEqual(leaks(metrics, secrets), [], "/metrics");
      });
    }
  } finally {
    await emulator.close();
  }
});

Deno.test("the integration tests rerun at -v=10 print no secret, key or token", async () => {
  const logs = await Deno.makeTempDir({ prefix: "provider-logs-" });
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: ["test", "-A", "--quiet", "tests/integration/"],
      cwd: ROOT,
      env: {
        PROVIDER_TEST_EXTRA_ARGS: JSON.stringify(["-v=10"]),
        PROVIDER_TEST_OUTPUT_DIR: logs,
        NO_COLOR: "1",
      },
      stdout: "piped",
      stderr: "piped",
    }).output();
    const files = [...Deno.readDirSync(logs)].map((entry) => `${logs}/${entry.name}`);
    // The scan needs the scenarios to have run; their own pass/fail is the integration suite's business.
    assert.ok(files.length >= 10, `providers started: ${files.length}; exit ${run.code}`);
    const defaults = await loadSeedFile(`${ROOT}tests/emulator/seed.yaml`);
    const known: [string, string][] = [
      ...[...SEEDED_VALUES, ...IDENTITY_SECRETS].map((
        value,
      ): [string, string] => ["a fixture secret", value]),
      ...defaults.identities.flatMap((i): [string, string][] =>
        i.clientSecret ? [["a client secret", i.clientSecret]] : []
      ),
      ...defaults.vaults.flatMap((v) =>
        v.secrets.flatMap((s) => s.versions.map((x): [string, string] => ["a secret", x.value]))
      ),
    ];
    let verbose = 0;
    for (const file of files) {
      const output = await Deno.readTextFile(file);
      if (/ v=10 |"v":10|grpc request/.test(output)) verbose++;
      assert.deepEqual(leaks(output, known), [], file);
    }
    assert.ok(verbose > 0, "the providers ran at -v=10");
  } finally {
    await Deno.remove(logs, { recursive: true });
  }
});

Deno.test("the leak scanner finds each kind of secret it looks for", () => {
  const jwt = serviceAccountJwt();
  const samples: [string, string][] = [
    [`token=${jwt}`, "a JWT"],
    ["-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49", "a PEM private key"],
    [
      `pfx ${"MIIKYQIBAzCCCicGCSqGSIb3DQEHAaCCChgEggoUMIIKEDCCBMcGCSqGSIb3DQEH".repeat(2)}`,
      "a long base64 run",
    ],
    ["clientsecret=s3cr3t-value~for.demo_only", "a client secret"],
  ];
  for (const [output, what] of samples) {
    assert.ok(
      leaks(output, [["a client secret", "s3cr3t-value~for.demo_only"]]).some((l) => l.startsWith(what)),
      what,
    );
  }
  assert.deepEqual(leaks("INFO provider listening endpoint=unix:///provider/azure.sock", []), []);
});
