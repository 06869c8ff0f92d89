import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type Emulator, startEmulator } from "../emulator/emulator.ts";
import { driverMountRequest } from "../../src/cli/driver_request.ts";
import { classInputs } from "../../src/cli/validate_class.ts";
import { readManifest } from "../../src/cli/manifest.ts";
import { readNodePublishSecret } from "../../src/cli/node_publish_secret.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { startProviderProcess } from "../harness/provider_process.ts";
import { SEED as BASE_SEED } from "../integration/fixtures.ts";
import { runCli, runTask, taskPermissions } from "./run_cli.ts";
import { SP, TENANT } from "../harness/spc.ts";

/** Writing --out needs symlinks, which Deno allows only with the mount task's unscoped grants. */
const MOUNT_TASK = taskPermissions("mount");

const WI_CLIENT = "33333333-3333-3333-3333-333333333333";
const VALUES = ["first-Passw0rd", "leaked-Passw0rd", "current-Passw0rd", "ak_live_0123456789abcdef"];

/** The integration seed, plus a workload identity federated with the `app` service account. */
const SEED = {
  ...BASE_SEED,
  identities: [
    ...BASE_SEED.identities,
    {
      name: "wi-app",
      kind: "workload",
      tenant: TENANT,
      clientId: WI_CLIENT,
      subjects: ["system:serviceaccount:default:app"],
    },
  ],
  vaults: BASE_SEED.vaults.map((vault) => ({ ...vault, readers: [...vault.readers, "wi-app"] })),
};

const OBJECTS = `
        - |
          objectName: db-password
          objectType: secret
        - |
          objectName: api-key
          objectType: secret
          objectAlias: keys/api
          filePermission: "0600"
        - |
          objectName: blob-b64
          objectType: secret
          objectEncoding: base64
          objectAlias: keys/blob.bin
        - |
          objectName: db-password
          objectType: secret
          objectAlias: history
          objectVersionHistory: 2`;

function spcYaml(objects: string, extra = ""): string {
  return `apiVersion: secrets-store.csi.x-k8s.io/v1
kind: SecretProviderClass
metadata:
  name: demo
  namespace: default
spec:
  provider: azure
  parameters:
    keyvaultName: demo-vault
    tenantID: ${TENANT}${extra}
    objects: |
      array:${objects}
`;
}

const SECRET_MANIFEST = `apiVersion: v1
kind: Secret
metadata:
  name: secrets-store-creds
type: Opaque
data:
  clientid: ${btoa(SP.clientid)}
stringData:
  clientsecret: ${SP.clientsecret}
`;

const TS_DIR = /^\.\.\d{4}_\d{2}_\d{2}_\d{2}_\d{2}_\d{2}\.\d+$/;

interface MountSummary {
  identity: string;
  files: { path: string; mode: string; size: number; object: string; version: string }[];
  objectVersions: { id: string; version: string }[];
  out?: { folder: string; written: boolean; dataDir: string };
}

function assertNoValues(text: string): void {
  for (const value of [...VALUES, SP.clientsecret]) assert.ok(!text.includes(value), `output shows ${value}`);
}

async function entries(dir: string): Promise<Record<string, string>> {
  const found: Record<string, string> = {};
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    const info = await Deno.lstat(path);
    found[entry.name] = info.isSymlink
      ? `-> ${await Deno.readLink(path)}`
      : `${info.isDirectory ? "d" : "f"} ${(info.mode! & 0o7777).toString(8)}`;
  }
  return found;
}

Deno.test("mount: one Mount as the driver makes it, against the emulated Key Vault", async (t) => {
  const emulator: Emulator = await startEmulator({ seed: SEED });
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "mount-cli-" });
  const env = emulator.env();
  const spc = `${dir}/spc.yaml`;
  const secret = `${dir}/creds.yaml`;
  const out = `${dir}/out`;
  await Deno.writeTextFile(spc, spcYaml(OBJECTS));
  await Deno.writeTextFile(secret, SECRET_MANIFEST);
  const mountArgs = [
    "mount",
    "--spc",
    spc,
    "--pod",
    "nginx",
    "--secret-file",
    secret,
    "--out",
    out,
    "--json",
  ];
  try {
    let firstDataDir = "";

    await t.step("files in the driver's layout, modes and bytes; a summary without values", async () => {
      emulator.resetRequests();
      const result = await runCli(mountArgs, { env, permissions: MOUNT_TASK });
      assert.equal(result.code, 0, result.stderr);
      assertNoValues(result.stdout + result.stderr);
      const summary: MountSummary = JSON.parse(result.stdout);
      assert.equal(summary.identity, `service principal ${SP.clientid} in tenant ${TENANT}`);
      assert.deepEqual(summary.files, [
        {
          path: "db-password",
          mode: "0644",
          size: 16,
          object: "secret/db-password",
          version: "c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63",
        },
        {
          path: "keys/api",
          mode: "0600",
          size: 24,
          object: "secret/api-key",
          version: "5e8a1c3f7b9d4e2a6c0f8b1d3e5a7c92",
        },
        { path: "keys/blob.bin", mode: "0644", size: 6, object: "secret/blob-b64", version: "aa01" },
        {
          path: "history/0",
          mode: "0644",
          size: 16,
          object: "secret/db-password/0",
          version: "c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63",
        },
        {
          path: "history/1",
          mode: "0644",
          size: 14,
          object: "secret/db-password/1",
          version: "0b1c8a7e2f9d4c6b8e1a3d5f7c9b2e40",
        },
      ]);
      assert.deepEqual(summary.objectVersions, [
        { id: "secret/db-password", version: "c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63" },
        { id: "secret/api-key", version: "5e8a1c3f7b9d4e2a6c0f8b1d3e5a7c92" },
        { id: "secret/blob-b64", version: "aa01" },
        { id: "secret/db-password/0", version: "c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63" },
        { id: "secret/db-password/1", version: "0b1c8a7e2f9d4c6b8e1a3d5f7c9b2e40" },
      ]);
      assert.equal(summary.out?.written, true);
      firstDataDir = summary.out!.dataDir;
      assert.match(firstDataDir, TS_DIR);

      assert.equal((await Deno.stat(out)).mode! & 0o777, 0o700);
      assert.deepEqual(await entries(out), {
        [firstDataDir]: "d 755",
        "..data": `-> ${firstDataDir}`,
        "db-password": "-> ..data/db-password",
        "keys": "-> ..data/keys",
        "history": "-> ..data/history",
      });
      const data = `${out}/${firstDataDir}`;
      assert.deepEqual(await entries(data), { "db-password": "f 644", "keys": "d 755", "history": "d 755" });
      assert.deepEqual(await entries(`${data}/keys`), { "api": "f 600", "blob.bin": "f 644" });
      assert.deepEqual(await entries(`${data}/history`), { "0": "f 644", "1": "f 644" });
      assert.equal(await Deno.readTextFile(`${out}/db-password`), "current-Passw0rd");
      assert.equal(await Deno.readTextFile(`${out}/keys/api`), "ak_live_0123456789abcdef");
      assert.deepEqual([...await Deno.readFile(`${out}/keys/blob.bin`)], [0, 1, 2, 253, 254, 255]);
      assert.equal(await Deno.readTextFile(`${out}/history/0`), "current-Passw0rd");
      assert.equal(await Deno.readTextFile(`${out}/history/1`), "first-Passw0rd");

      assert.equal(emulator.requests({ service: "entra" }).length, 1, "one token exchange");
      const vault = emulator.requests({ service: "keyvault" });
      assert.ok(vault.every((request) => request.status === 401 || request.identity === "sp-app"));
      assert.equal(vault.filter((request) => request.status === 401).length, 1, "one challenge");
    });

    await t.step("the same mount again rewrites nothing", async () => {
      const result = await runCli(mountArgs, { env, permissions: MOUNT_TASK });
      assert.equal(result.code, 0, result.stderr);
      const summary: MountSummary = JSON.parse(result.stdout);
      assert.deepEqual(summary.out, { folder: out, written: false, dataDir: firstDataDir });
    });

    await t.step("a changed class swaps ..data, prunes links and the old folder", async () => {
      await Deno.writeTextFile(spc, spcYaml(OBJECTS.split("        - |").slice(0, 3).join("        - |")));
      const result = await runCli(mountArgs, { env, permissions: MOUNT_TASK });
      assert.equal(result.code, 0, result.stderr);
      const summary: MountSummary = JSON.parse(result.stdout);
      assert.deepEqual(summary.files.map((file) => file.path), ["db-password", "keys/api"]);
      const dataDir = summary.out!.dataDir;
      assert.notEqual(dataDir, firstDataDir);
      assert.deepEqual(await entries(out), {
        [dataDir]: "d 755",
        "..data": `-> ${dataDir}`,
        "db-password": "-> ..data/db-password",
        "keys": "-> ..data/keys",
      });
      assert.deepEqual(await entries(`${out}/keys`), { api: "f 600" });
      await Deno.writeTextFile(spc, spcYaml(OBJECTS));
    });

    await t.step(
      "without --out: a table of path, mode, size, object and version; nothing written",
      async () => {
        const result = await runCli(["mount", "--spc", spc, "--pod", "nginx", "--secret-file", secret], {
          env,
        });
        assert.equal(result.code, 0, result.stderr);
        assertNoValues(result.stdout + result.stderr);
        assert.equal(
          result.stdout,
          [
            `mounted SecretProviderClass demo for pod default/nginx as service principal ${SP.clientid} in tenant ${TENANT}`,
            "PATH           MODE  SIZE  OBJECT                VERSION",
            "db-password    0644    16  secret/db-password    c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63",
            "keys/api       0600    24  secret/api-key        5e8a1c3f7b9d4e2a6c0f8b1d3e5a7c92",
            "keys/blob.bin  0644     6  secret/blob-b64       aa01",
            "history/0      0644    16  secret/db-password/0  c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63",
            "history/1      0644    14  secret/db-password/1  0b1c8a7e2f9d4c6b8e1a3d5f7c9b2e40",
            "not written (no --out): the files were fetched and formatted, then dropped",
            "",
          ].join("\n"),
        );
      },
    );

    await t.step("workload identity from --service-account-token-file", async () => {
      const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
      const claims = {
        aud: ["api://AzureADTokenExchange"],
        iss: "https://oidc.example.test/cluster",
        sub: "system:serviceaccount:default:app",
        exp: Math.floor(Date.now() / 1000) + 3600,
      };
      const token = `${encode({ alg: "RS256", kid: "k1" })}.${encode(claims)}.c2lnbmF0dXJl`;
      await Deno.writeTextFile(`${dir}/token.jwt`, token);
      await Deno.writeTextFile(
        `${dir}/wi.yaml`,
        spcYaml(
          "\n        - |\n          objectName: api-key\n          objectType: secret",
          `\n    clientID: ${WI_CLIENT}`,
        ),
      );
      emulator.resetRequests();
      const result = await runCli([
        "mount",
        "--spc",
        `${dir}/wi.yaml`,
        "--pod",
        "web",
        "--service-account",
        "app",
        "--service-account-token-file",
        `${dir}/token.jwt`,
        "--json",
      ], { env });
      assert.equal(result.code, 0, result.stderr);
      assert.ok(!(result.stdout + result.stderr).includes(token), "the token is never printed");
      const summary: MountSummary = JSON.parse(result.stdout);
      assert.match(summary.identity, new RegExp(`^workload identity ${WI_CLIENT} in tenant ${TENANT}`));
      assert.deepEqual(summary.files.map((file) => [file.path, file.version]), [
        ["api-key", "5e8a1c3f7b9d4e2a6c0f8b1d3e5a7c92"],
      ]);
      const token_exchanges = emulator.requests({ service: "entra" });
      assert.equal(token_exchanges.length, 1);
      assert.equal(token_exchanges[0].identity, "wi-app");
    });

    await t.step("a failing mount prints what the driver would report, and writes nothing", async () => {
      await Deno.writeTextFile(
        `${dir}/missing.yaml`,
        spcYaml("\n        - |\n          objectName: no-such-secret\n          objectType: secret"),
      );
      const failed = `${dir}/failed-out`;
      const result = await runCli(
        ["mount", "--spc", `${dir}/missing.yaml`, "--pod", "nginx", "--secret-file", secret, "--out", failed],
        { env, permissions: MOUNT_TASK },
      );
      assert.equal(result.code, 1);
      assert.equal(result.stdout, "");
      assert.match(
        result.stderr,
        /^mount failed: rpc error: code = NotFound desc = failed to mount objects, error: failed to get objectType:secret, objectName:no-such-secret, objectVersion:: Key Vault answered 404 SecretNotFound: /m,
      );
      await assert.rejects(() => Deno.lstat(failed), Deno.errors.NotFound);

      emulator.resetRequests();
      const noSecret = await runCli(["mount", "--spc", spc, "--pod", "nginx"], { env });
      assert.equal(noSecret.code, 1);
      assert.match(
        noSecret.stderr,
        /^mount failed: rpc error: code = InvalidArgument desc = failed to mount objects, error: failed to get credentials, nodePublishSecretRef secret is not set/m,
      );
      assert.match(
        noSecret.stderr,
        /\n\(validate .*spc\.yaml shows the line of each problem in the SecretProviderClass\)\n$/,
      );
      assert.equal(emulator.requests().length, 0, "no network call for a request that cannot succeed");
    });

    await t.step("the provider logs, at mount time, the warnings validate reports", async () => {
      const warned = `${dir}/warned.yaml`;
      await Deno.writeTextFile(
        warned,
        spcYaml(
          '\n        - |\n          objectName: api-key\n          objectType: secret\n          filePermission: "420"' +
            "\n          objectAllias: renamed",
          "\n    clientId: 5b2a7f36-8c4e-4e2d-9c61-0f5d3a8b9e11\n    resourceGroup: rg\n    tenantId: other",
        ),
      );
      const validate = await runCli(["validate", "--json", warned]);
      assert.equal(validate.code, 0, validate.stdout);
      const reported = (JSON.parse(validate.stdout).problems as { where: string; message: string }[])
        .map((problem) => [problem.where.replace(/^spec\.parameters\./, ""), problem.message]);
      assert.equal(reported.length, 5);

      const mount = await runCli(
        ["mount", "--spc", warned, "--pod", "nginx", "--secret-file", secret, "--log-format-json"],
        { env },
      );
      assert.equal(mount.code, 0, mount.stderr);
      const logged = mount.stderr.split("\n").filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line))
        .filter((line) => line.level === "warning")
        .map((line) => [line.where, line.msg]);
      assert.deepEqual(
        [...logged].sort(),
        [...reported].sort(),
      );
    });

    await t.step("with the binary's permissions, --out is refused before any call", async () => {
      emulator.resetRequests();
      const args = [
        "mount",
        "--spc",
        spc,
        "--pod",
        "nginx",
        "--secret-file",
        secret,
        "--out",
        `${dir}/scoped-out`,
      ];
      const result = await runCli(args, { env });
      assert.equal(result.code, 2);
      assert.match(
        result.stderr,
        /^error: --out writes the driver's layout .* use deno task mount, or leave out --out/,
      );
      assert.equal(emulator.requests().length, 0);
      await assert.rejects(() => Deno.lstat(`${dir}/scoped-out`), Deno.errors.NotFound);
    });

    await t.step(
      "the provider behind its socket: same files for the same request, same warnings",
      async () => {
        const provider = await startProviderProcess({ env, args: ["--log-format-json"] });
        const client = providerClient(provider.socketPath);
        try {
          const request = (file: string) => {
            const spc = readManifest(Deno.readTextFileSync(file)).classes[0];
            return driverMountRequest({
              secretProviderClass: spc.name,
              parameters: classInputs(spc).parameters!,
              pod: {
                name: "nginx",
                namespace: "default",
                uid: crypto.randomUUID(),
                serviceAccountName: "default",
              },
              secrets: readNodePublishSecret(Deno.readTextFileSync(secret)),
              permission: 0o644,
            });
          };
          const response = await client.mount(request(spc));
          const cli: MountSummary = JSON.parse(
            (await runCli(["mount", "--spc", spc, "--pod", "nginx", "--secret-file", secret, "--json"], {
              env,
            })).stdout,
          );
          assert.deepEqual(
            response.files.map((file) => [file.path, `0${file.mode.toString(8)}`, file.contents.length]),
            cli.files.map((file) => [file.path, file.mode, file.size]),
          );
          assert.deepEqual(response.object_version, cli.objectVersions);
          assert.deepEqual([...response.files[2].contents], [0, 1, 2, 253, 254, 255]);

          const warned = `${dir}/warned.yaml`;
          await client.mount(request(warned));
          const validate = await runCli(["validate", "--json", warned]);
          const reported = (JSON.parse(validate.stdout).problems as { where: string; message: string }[])
            .map((problem) => [problem.where.replace(/^spec\.parameters\./, ""), problem.message]);
          const logged = provider.output().split("\n").filter((line) => line.startsWith("{"))
            .map((line) => JSON.parse(line))
            .filter((line) => line.level === "warning")
            .map((line) => [line.where, line.msg]);
          assert.equal(reported.length, 5);
          assert.deepEqual([...logged].sort(), [...reported].sort());
        } finally {
          client.close();
          await provider.stop();
        }
      },
    );

    await t.step("a class for another provider is refused before any call", async () => {
      await Deno.writeTextFile(
        `${dir}/vault.yaml`,
        spcYaml(OBJECTS).replace("provider: azure", "provider: vault"),
      );
      emulator.resetRequests();
      const result = await runCli(["mount", "--spc", `${dir}/vault.yaml`, "--pod", "nginx"], { env });
      assert.equal(result.code, 1);
      assert.equal(
        result.stderr,
        `${dir}/vault.yaml:7: error: spec.provider: spec.provider is "vault": this SecretProviderClass is for another provider, not azure\n`,
      );
      assert.equal(emulator.requests().length, 0);
    });

    await t.step("usage errors exit 2", async () => {
      const cases: [string[], RegExp][] = [
        [["mount", "--spc", spc], /^error: --pod names the pod to mount for/],
        [["mount", "--pod", "p"], /^error: --spc names the SecretProviderClass manifest/],
        [
          ["mount", "--spc", spc, "--pod", "p", "--permission", "644x"],
          /--permission must be an octal file mode/,
        ],
        [
          ["mount", "--spc", spc, "--pod", "p", "--name", "other"],
          /has no SecretProviderClass named other \(it has demo\)/,
        ],
        [["mount", "--spc", spc, "--pod", "p", "--endpoint", "unix:///x"], /Unknown option '--endpoint'/],
        [["mount", "--spc", `${dir}/absent.yaml`, "--pod", "p"], /cannot read .*absent\.yaml/],
        [["mount", "--spc", spc, "--pod", "p", "--service-account-token-file", secret], /one JWT/],
      ];
      for (const [args, message] of cases) {
        const result = await runCli(args, { env });
        assert.equal(result.code, 2, args.join(" "));
        assert.match(result.stderr, message);
      }
    });

    await t.step("deno task mount has the permissions it needs", async () => {
      const result = await runTask("mount", [
        "--spc",
        spc,
        "--pod",
        "nginx",
        "--secret-file",
        secret,
        "--json",
      ], {
        env,
      });
      assert.equal(result.code, 0, result.stderr);
      assert.equal((JSON.parse(result.stdout) as MountSummary).files.length, 5);
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
    await emulator.close();
  }
});
