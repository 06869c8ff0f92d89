/**
 * End to end with the real Secrets Store CSI Driver and a real API server, both built from the Go
 * module proxy (build.ts): a pod's volume is filled by the driver from our provider, started as
 * production starts it, against the emulated Key Vault and Entra ID. kubelet is played by
 * kubelet.ts. See docs/e2e.md.
 *
 * Without Go the suite is skipped with a message naming what is missing; with CI=true it fails
 * instead.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createPublicKey } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { defaultSeedPath } from "../emulator/emulator.ts";
import { objectsYaml } from "../harness/spc.ts";
import { buildBinaries, missingTools } from "./build.ts";
import { mountsUnder, mountType, NODE_NAME } from "./cluster.ts";
import { type Environment, startEnvironment } from "./environment.ts";
import type { KubeObject } from "./kube.ts";
import type { PodVolume } from "./kubelet.ts";
import { waitFor } from "../harness/child_process.ts";
import { checkManifests } from "./manifests.ts";

const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
const SP = { clientid: "11111111-1111-1111-1111-111111111111", clientsecret: "s3cr3t-value~for.demo_only" };
const WI_CLIENT_ID = "44444444-4444-4444-4444-444444444444";
const NS = "default";

const missing = await missingTools();
const inCI = Deno.env.get("CI") === "true";
const skipped = missing !== undefined && !inCI;
// `deno test --quiet` hides everything a test module prints, so the reason is in the test's name.
const SKIP_NOTE = skipped
  ? ` — SKIPPED: needs ${missing}; install Go 1.26+ to run it (with CI=true its absence is a failure)`
  : "";
if (skipped) console.log(`tests/e2e${SKIP_NOTE}`);

/** The seed's objects, as files: what the provider must write for them. */
async function seedObject(kind: "secret" | "key" | "cert", name: string): Promise<string> {
  const seed = parseYaml(await Deno.readTextFile(defaultSeedPath()));
  const vault = seed.vaults[0];
  if (kind === "secret") {
    const secret = vault.secrets.find((s: KubeObject) => s.name === name) ??
      vault.certificates.find((c: KubeObject) => c.name === name);
    return secret.versions.at(-1).value;
  }
  if (kind === "key") {
    const jwk = vault.keys.find((k: KubeObject) => k.name === name).versions.at(-1).key;
    return createPublicKey({ key: jwk, format: "jwk" }).export({ type: "spki", format: "pem" }).toString();
  }
  const der = vault.certificates.find((c: KubeObject) => c.name === name).versions.at(-1).cer;
  return `-----BEGIN CERTIFICATE-----\n${der.match(/.{1,64}/g).join("\n")}\n-----END CERTIFICATE-----\n`;
}

const VERSIONS = {
  dbPassword: "c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63",
  apiKey: "5e8a1c3f7b9d4e2a6c0f8b1d3e5a7c92",
  signingKey: "9f7e5d3c1b0a48e6a2c4e6f8091b3d5f",
  webCert: "3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e1b",
};

function secretProviderClass(
  name: string,
  parameters: Record<string, string>,
  extra: KubeObject = {},
): KubeObject {
  return {
    apiVersion: "secrets-store.csi.x-k8s.io/v1",
    kind: "SecretProviderClass",
    metadata: { name, namespace: NS },
    spec: {
      provider: "azure",
      parameters: { keyvaultName: "demo-vault", tenantID: TENANT, ...parameters },
      ...extra,
    },
  };
}

/** A pod on the driver's node with one inline volume of the driver. */
function pod(name: string, serviceAccount: string, spc: string, secretRef?: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: NS },
    spec: {
      nodeName: NODE_NAME,
      serviceAccountName: serviceAccount,
      automountServiceAccountToken: false,
      containers: [{
        name: "app",
        image: "registry.k8s.io/pause:3.10",
        volumeMounts: [{ name: "secrets-store", mountPath: "/mnt/secrets-store", readOnly: true }],
      }],
      volumes: [{
        name: "secrets-store",
        csi: {
          driver: "secrets-store.csi.k8s.io",
          readOnly: true,
          volumeAttributes: { secretProviderClass: spc },
          ...(secretRef ? { nodePublishSecretRef: { name: secretRef } } : {}),
        },
      }],
    },
  };
}

function opaqueSecret(name: string, data: Record<string, string>): KubeObject {
  const encoded = Object.fromEntries(
    Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString("base64")]),
  );
  return {
    apiVersion: "v1",
    kind: "Secret",
    metadata: { name, namespace: NS },
    type: "Opaque",
    data: encoded,
  };
}

async function readMount(target: string, path: string): Promise<{ text: string; mode: number }> {
  const file = `${target}/${path}`;
  return { text: await Deno.readTextFile(file), mode: (await Deno.stat(file)).mode! & 0o777 };
}

async function podStatus(env: Environment, podName: string, spc: string): Promise<KubeObject | undefined> {
  return await env.controlPlane.kube.get(
    `/apis/secrets-store.csi.x-k8s.io/v1/namespaces/${NS}/secretproviderclasspodstatuses/${podName}-${NS}-${spc}`,
  );
}

async function syncedSecret(env: Environment, name: string): Promise<Record<string, string> | undefined> {
  const secret = await env.controlPlane.kube.get(`/api/v1/namespaces/${NS}/secrets/${name}`);
  if (!secret) return undefined;
  return Object.fromEntries(
    Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v as string, "base64").toString()]),
  );
}

async function uidOf(env: Environment, name: string): Promise<string> {
  return (await env.controlPlane.kube.request("GET", `/api/v1/namespaces/${NS}/pods/${name}`)).metadata.uid;
}

function assertOk(result: { code: string; message?: string }, env: Environment, what: string): void {
  assert.equal(result.code, "OK", `${what}: ${result.code} ${result.message ?? ""}\n${env.logs()}`);
}

Deno.test({
  name: `e2e: the real Secrets Store CSI Driver and kube-apiserver mount from our provider${SKIP_NOTE}`,
  ignore: skipped,
  // Child processes, their pipes and the API client live across steps; close() ends them all.
  sanitizeOps: false,
  sanitizeResources: false,
  async fn(t) {
    if (missing !== undefined) throw new Error(`CI=true, but the end-to-end suite needs ${missing}`);
    const started = performance.now();
    const binaries = await buildBinaries((line) => console.log(`tests/e2e: ${line}`));
    console.log(`tests/e2e: binaries ready in ${((performance.now() - started) / 1000).toFixed(1)} s`);
    const up = performance.now();
    const env = await startEnvironment(binaries);
    console.log(
      `tests/e2e: cluster, emulator, provider and driver up in ${
        ((performance.now() - up) / 1000).toFixed(1)
      } s`,
    );
    try {
      await scenarios(t, env);
    } finally {
      await env.close();
      assert.deepEqual(await mountsUnder(env.dir), [], "no mount is left behind");
    }
  },
});

async function scenarios(t: Deno.TestContext, env: Environment): Promise<void> {
  const kube = env.controlPlane.kube;
  // No controller-manager: the ServiceAccounts it would create, the test creates (and those the
  // examples' pods name, which a dry run of the example's own ServiceAccount does not create).
  for (const name of ["default", "workload-sa", "bound-sa"]) {
    await kube.create({ apiVersion: "v1", kind: "ServiceAccount", metadata: { name, namespace: NS } });
  }
  const app: PodVolume = { namespace: NS, pod: "app", volume: "secrets-store" };

  await t.step(
    "mount: secrets, a key, a certificate, a certificate-backed secret and an alias in a sub-folder",
    async () => {
      await kube.create(opaqueSecret("kv-creds", SP));
      await kube.create(secretProviderClass("azure-sp", {
        objects: objectsYaml([
          { objectName: "db-password", objectType: "secret" },
          {
            objectName: "api-key",
            objectType: "secret",
            objectAlias: "keys/api-key",
            filePermission: "0600",
          },
          { objectName: "signing-key", objectType: "key" },
          { objectName: "web-cert", objectType: "cert" },
          { objectName: "web-cert", objectType: "secret", objectAlias: "tls/web.pem" },
        ]),
      }, {
        secretObjects: [{
          secretName: "app-synced",
          type: "Opaque",
          labels: { app: "e2e" },
          data: [{ objectName: "db-password", key: "password" }, {
            objectName: "tls/web.pem",
            key: "web.pem",
          }],
        }],
      }));
      await kube.create(pod("app", "default", "azure-sp", "kv-creds"));
      assertOk(await env.kubelet.publish(app), env, "first publish");

      const target = env.kubelet.targetPath(await uidOf(env, "app"), "secrets-store");
      assert.equal(await mountType(target), "tmpfs", "the driver mounted a tmpfs at the target path");
      assert.deepEqual(await readMount(target, "db-password"), { text: "current-Passw0rd", mode: 0o644 });
      assert.deepEqual(await readMount(target, "keys/api-key"), {
        text: "ak_live_0123456789abcdef",
        mode: 0o600,
      });
      assert.deepEqual(await readMount(target, "signing-key"), {
        text: await seedObject("key", "signing-key"),
        mode: 0o644,
      });
      assert.deepEqual(await readMount(target, "web-cert"), {
        text: await seedObject("cert", "web-cert"),
        mode: 0o644,
      });
      assert.deepEqual(await readMount(target, "tls/web.pem"), {
        text: await seedObject("secret", "web-cert"),
        mode: 0o644,
      });
      // The driver's atomic writer: top-level entries are symlinks into ..data.
      assert.ok((await Deno.lstat(`${target}/db-password`)).isSymlink);
      assert.deepEqual(
        [...Deno.readDirSync(target)].map((e) => e.name).filter((n) => !n.startsWith("..")).sort(),
        ["db-password", "keys", "signing-key", "tls", "web-cert"],
      );

      const status = await podStatus(env, "app", "azure-sp");
      assert.ok(status, "the driver recorded a SecretProviderClassPodStatus");
      assert.equal(status.metadata.labels["internal.secrets-store.csi.k8s.io/node-name"], NODE_NAME);
      assert.deepEqual(status.metadata.ownerReferences.map((o: KubeObject) => [o.kind, o.name]), [[
        "Pod",
        "app",
      ]]);
      assert.deepEqual(status.status, {
        podName: "app",
        secretProviderClassName: "azure-sp",
        mounted: true,
        targetPath: target,
        objects: [
          { id: "cert/web-cert", version: VERSIONS.webCert },
          { id: "key/signing-key", version: VERSIONS.signingKey },
          { id: "secret/api-key", version: VERSIONS.apiKey },
          { id: "secret/db-password", version: VERSIONS.dbPassword },
          { id: "secret/web-cert", version: VERSIONS.webCert },
        ],
      });
      const synced = await waitFor(
        "the driver to sync secretObjects into Secret app-synced",
        () => syncedSecret(env, "app-synced"),
      );
      assert.deepEqual(synced, {
        password: "current-Passw0rd",
        "web.pem": await seedObject("secret", "web-cert"),
      });
      const secret = await kube.request("GET", `/api/v1/namespaces/${NS}/secrets/app-synced`);
      assert.equal(secret.type, "Opaque");
      assert.equal(secret.metadata.labels["secrets-store.csi.k8s.io/managed"], "true");
      assert.equal(secret.metadata.labels.app, "e2e");
    },
  );

  await t.step(
    "rotation: a new version in Key Vault reaches the file and the synced Secret on republish",
    async () => {
      const target = env.kubelet.targetPath(await uidOf(env, "app"), "secrets-store");
      const version = env.emulator.addSecretVersion("demo-vault", "db-password", {
        value: "rotated-Passw0rd",
      });
      // kubelet republishes periodically; the driver skips a republish within its poll interval (1 s).
      await waitFor("a republish to write the new version", async () => {
        assertOk(await env.kubelet.publish(app), env, "republish");
        return (await readMount(target, "db-password")).text === "rotated-Passw0rd";
      }, { timeoutMs: 30_000, intervalMs: 300 });
      assert.deepEqual(await readMount(target, "db-password"), { text: "rotated-Passw0rd", mode: 0o644 });
      assert.equal(
        (await readMount(target, "keys/api-key")).text,
        "ak_live_0123456789abcdef",
        "the rest unchanged",
      );
      const status = await waitFor("the pod status to carry the new version", async () => {
        const objects = (await podStatus(env, "app", "azure-sp"))?.status.objects as KubeObject[];
        return objects.some((o) => o.id === "secret/db-password" && o.version === version)
          ? objects
          : undefined;
      });
      assert.equal(status.length, 5);
      await waitFor("the synced Secret to carry the new value", async () => {
        return (await syncedSecret(env, "app-synced"))?.password === "rotated-Passw0rd";
      });
    },
  );

  await t.step(
    "workload identity: the driver passes the API server's pod token, Entra verifies its signature",
    async () => {
      await kube.create(secretProviderClass("azure-wi", {
        clientID: WI_CLIENT_ID,
        objects: objectsYaml([{ objectName: "api-key", objectType: "secret" }]),
      }));
      await kube.create(pod("wi-app", "workload-sa", "azure-wi"));
      env.emulator.resetRequests();
      assertOk(
        await env.kubelet.publish({ namespace: NS, pod: "wi-app", volume: "secrets-store" }),
        env,
        "WI publish",
      );
      const target = env.kubelet.targetPath(await uidOf(env, "wi-app"), "secrets-store");
      assert.deepEqual(await readMount(target, "api-key"), { text: "ak_live_0123456789abcdef", mode: 0o644 });
      const exchanges = env.emulator.requests({ service: "entra", pathPrefix: `/${TENANT}/oauth2` });
      assert.deepEqual(exchanges.map((r) => [r.status, r.identity]), [[200, "wi-app"]]);
      assert.deepEqual(env.csiDriver.spec.tokenRequests, [{ audience: "api://AzureADTokenExchange" }]);

      // The same class from a pod of another ServiceAccount: the API server's token names that
      // account, and Entra refuses it — the subject really comes from the API server.
      await kube.create(pod("wi-other", "default", "azure-wi"));
      const refused = await env.kubelet.publish({ namespace: NS, pod: "wi-other", volume: "secrets-store" });
      assert.equal(refused.code, "Unauthenticated", JSON.stringify(refused));
      assert.match(refused.message!, /AADSTS70021: No matching federated identity record found/);
      assert.match(
        refused.message!,
        /Assertion Issuer: 'https:\/\/kubernetes\.akv-e2e\.test'\. Assertion Subject: 'system:serviceaccount:default:default'/,
      );
    },
  );

  await t.step(
    "failure: a wrong client secret comes back through the driver with our message, and no mount",
    async () => {
      await kube.create(opaqueSecret("bad-creds", { ...SP, clientsecret: "wrong" }));
      await kube.create(pod("bad", "default", "azure-sp", "bad-creds"));
      const result = await env.kubelet.publish({ namespace: NS, pod: "bad", volume: "secrets-store" });
      // The driver wraps the provider's status (%w) and grpc-go keeps a wrapped status's code.
      assert.equal(result.code, "Unauthenticated", JSON.stringify(result));
      assert.match(
        result.message!,
        /^failed to mount secrets store objects for pod default\/bad, err: rpc error: code = Unauthenticated desc = failed to mount objects, error: failed to get objectType:secret, objectName:db-password, objectVersion:: /,
      );
      assert.match(result.message!, /AADSTS7000215: Invalid client secret provided/);
      const target = env.kubelet.targetPath(await uidOf(env, "bad"), "secrets-store");
      assert.equal(await mountType(target), undefined, "the driver unmounted after the failure");
      assert.equal(await podStatus(env, "bad", "azure-sp"), undefined, "no pod status for a failed mount");
    },
  );

  await t.step("unpublish: the mount and its folder are removed", async () => {
    const target = env.kubelet.targetPath(await uidOf(env, "app"), "secrets-store");
    assertOk(await env.kubelet.unpublish(app), env, "unpublish");
    assert.equal(await mountType(target), undefined);
    await assert.rejects(() => Deno.lstat(target), Deno.errors.NotFound);
  });

  await t.step(
    "manifests: deploy/, the Helm chart's rendering and every example are accepted by the API server",
    async () => {
      await checkManifests(kube);
    },
  );
}
