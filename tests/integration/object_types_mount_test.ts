/**
 * Every object type and format end to end: the provider process (production permissions)
 * mounts keys, certificates and certificate-backed secrets from the emulator through the real
 * Unix socket, and openssl proves the bytes of the files it returned.
 */
import assert from "node:assert/strict";
import { type Emulator, startEmulator } from "../emulator/emulator.ts";
import {
  type CertificateVersionFixture,
  generateMaterial,
  hex,
  type Material,
  materialSeed,
} from "../emulator/material.ts";
import { text } from "../harness/bytes.ts";
import { openssl, opensslReport } from "../harness/openssl.ts";
import { providerClient, type ProviderClientHandle } from "../harness/grpc_client.ts";
import { startProviderProcess } from "../harness/provider_process.ts";
import { pythonMount } from "../harness/python_client.ts";
import { mountRequest, type ObjectEntry } from "../harness/spc.ts";
import { SEED, SP } from "./fixtures.ts";

type MountedFile = { path: string; mode: number; contents: Uint8Array };

/** Versions of a plain secret, newest last, the fourth disabled: history paging for secrets. */
const SECRET_VERSIONS = Array.from({ length: 6 }, (_, i) => ({
  version: hex(`secret/rotating-secret/${i}`),
  value: `value-${i}`,
  created: 1700000000 + i * 86400,
  enabled: i !== 3,
}));

async function seedWith(material: Material) {
  const { keys, certificates } = await materialSeed(material);
  const vault = SEED.vaults[0];
  return {
    ...SEED,
    vaults: [{
      ...vault,
      secrets: [...vault.secrets, { name: "rotating-secret", versions: SECRET_VERSIONS }],
      keys,
      certificates,
    }],
  };
}

Deno.test("Mount of keys, certificates and certificate-backed secrets, proven with openssl", async (t) => {
  const material = await generateMaterial();
  // Page size 2: every version listing below takes several pages (nextLink).
  const emulator = await startEmulator({ seed: await seedWith(material), pageSize: 2 });
  const providers = await Promise.all([
    startProviderProcess({ env: emulator.env() }),
    startProviderProcess({ env: emulator.env(), args: ["--write-cert-and-key-in-separate-files=true"] }),
    startProviderProcess({ env: emulator.env(), args: ["--construct-pem-chain=false"] }),
  ]);
  const [main, separate, unordered] = providers.map((p) => providerClient(p.socketPath));
  const dir = await Deno.makeTempDir({ prefix: "mounted-" });
  const world = { emulator, material, dir };
  try {
    await t.step(
      "keys: PKIX PUBLIC KEY PEM equal to openssl's, same modulus / point, only GETs",
      async () => {
        await checkKeys(world, main);
      },
    );
    await t.step("keys: oct, oct-HSM and P-256K fail clearly", async () => {
      const cases: [string, string][] = [
        ["oct-key", "failed to get key. key type 'oct' currently not supported"],
        ["oct-hsm-key", "failed to get key. key type 'oct-HSM' currently not supported"],
        ["ec-p256k", "curve P-256K is not supported"],
      ];
      for (const [name, message] of cases) {
        const error = await failure(main, [{ objectName: name, objectType: "key" }]);
        assert.equal(error.code, 9, `FAILED_PRECONDITION for ${name}`);
        assert.equal(
          error.details,
          `failed to mount objects, error: failed to get objectType:key, objectName:${name}, objectVersion:: ${message}`,
        );
      }
    });
    await t.step("certs: the leaf CERTIFICATE PEM, byte for byte openssl's", async () => {
      await checkCertificates(world, main);
    });
    await t.step("cert-backed secrets: PKCS#12 → PKCS#8 key then the chain leaf → root", async () => {
      await checkPkcs12AsPem(world, main);
    });
    await t.step("cert-backed secrets: PEM content type is written as stored", async () => {
      for (const name of ["self-ec-pem", "chain3-pem"]) {
        const [file] = (await mount(main, [{ objectName: name, objectType: "secret" }])).files;
        assert.equal(text(file.contents), only(material, name).value);
      }
    });
    await t.step(
      "objectFormat pfx: the PFX as stored; with objectEncoding base64 a .pfx openssl opens",
      async () => {
        await checkPfx(world, main);
      },
    );
    await t.step(
      "every type × format × encoding: the combinations that cannot work fail clearly",
      async () => {
        await checkCombinations(world, main);
      },
    );
    await t.step("--write-cert-and-key-in-separate-files: .crt and .key first, also for pfx", async () => {
      await checkSeparateFiles(world, separate);
    });
    await t.step("--construct-pem-chain=false keeps the PFX's order", async () => {
      const fixture = only(material, "chain3-ril");
      const [file] = (await mount(unordered, [{ objectName: "chain3-ril", objectType: "secret" }])).files;
      assert.equal(text(file.contents), await pemOf(fixture.storedOrder));
    });
    await t.step("an incomplete chain keeps Key Vault's order and logs a warning", async () => {
      const fixture = only(material, "chain-incomplete");
      const [file] = (await mount(main, [{ objectName: "chain-incomplete", objectType: "secret" }])).files;
      assert.equal(text(file.contents), (await expectedKey(fixture)) + (await pemOf(fixture.storedOrder)));
      const output = providers[0].output();
      assert.match(
        output,
        /certificate chain is not complete due to missing intermediate\/root certificates/,
      );
      assert.match(output, /objectName:chain-incomplete/);
    });
    await t.step(
      "objectVersionHistory: N files newest first, disabled skipped, every page listed",
      async () => {
        await checkHistory(world, main);
      },
    );
    await t.step("a client that is not grpc-js (python3-grpcio) gets the same key and chain", async () => {
      const objects = [{ objectName: "ec-p521", objectType: "key" }, {
        objectName: "chain4-lrii",
        objectType: "secret",
      }];
      const expected = await mount(main, objects);
      const response = await pythonMount(providers[0].socketPath, mountRequest({ objects, secrets: SP }));
      assert.equal(response.error, undefined);
      assert.deepEqual(
        response.files?.map((f) => [f.path, text(f.contents)]),
        expected.files.map((f) => [f.path, text(f.contents)]),
      );
    });
  } finally {
    for (const client of [main, separate, unordered]) client.close();
    await Promise.all(providers.map((p) => p.stop()));
    await emulator.close();
    await Deno.remove(dir, { recursive: true });
  }
  // No private key or PFX content ever reaches the logs.
  for (const provider of providers) {
    const output = provider.output();
    assert.ok(!output.includes("PRIVATE KEY"), "no private key in the logs");
    for (const cert of material.certificates.values()) {
      for (const v of cert.versions) {
        assert.ok(!output.includes(v.value.slice(0, 64)), `no ${cert.name} value in the logs`);
      }
    }
  }
});

interface World {
  readonly emulator: Emulator;
  readonly material: Material;
  readonly dir: string;
}

async function mount(client: ProviderClientHandle, objects: ObjectEntry[]) {
  return await client.mount(mountRequest({ objects, secrets: SP }));
}

async function failure(client: ProviderClientHandle, objects: ObjectEntry[]) {
  return await client.mount(mountRequest({ objects, secrets: SP })).then(
    () => assert.fail(`mount of ${JSON.stringify(objects)} should fail`),
    (e) => e as { code: number; details: string },
  );
}

function only(material: Material, name: string): CertificateVersionFixture {
  return material.certificates.get(name)!.versions.at(-1)!;
}

let counter = 0;
async function saved(world: World, contents: Uint8Array | string): Promise<string> {
  const path = `${world.dir}/${counter++}`;
  await Deno.writeFile(path, typeof contents === "string" ? new TextEncoder().encode(contents) : contents);
  return path;
}

const decoder = new TextDecoder();
const run = async (args: string[], stdin?: string | Uint8Array) => decoder.decode(await openssl(args, stdin));

/** openssl's PEM of each certificate file, concatenated. */
async function pemOf(paths: readonly string[]): Promise<string> {
  return (await Promise.all(paths.map((p) => run(["x509", "-in", p])))).join("");
}

/** openssl's reading of a fixture's private key, as PKCS#8 PEM ("" when it has none). */
async function expectedKey(fixture: CertificateVersionFixture): Promise<string> {
  if (!fixture.pfxPath) return fixture.keyPath ? await run(["pkey", "-in", fixture.keyPath]) : "";
  const legacy = fixture.legacy ? ["-legacy"] : [];
  const keys = await run([
    "pkcs12",
    "-in",
    fixture.pfxPath,
    "-passin",
    "pass:",
    "-nocerts",
    "-nodes",
    ...legacy,
  ]);
  return keys.includes("PRIVATE KEY") ? await run(["pkey"], keys) : "";
}

/** Splits PEM text into its blocks. */
function blocks(pem: string): string[] {
  return [...pem.matchAll(/-----BEGIN ([A-Z ]+)-----\n[\s\S]*?-----END \1-----\n/g)].map((m) => m[0]);
}

/** openssl proves that each certificate is issued by the next one, and the whole chain. */
async function verifyChain(world: World, pem: string, length: number): Promise<void> {
  const certs = blocks(pem).filter((b) => b.includes("CERTIFICATE"));
  assert.equal(certs.length, length);
  const files = await Promise.all(certs.map((c) => saved(world, c)));
  for (let i = 0; i + 1 < files.length; i++) {
    const out = await run(["verify", "-partial_chain", "-CAfile", files[i + 1], files[i]]);
    assert.match(out, /: OK\n$/, `certificate ${i} is issued by certificate ${i + 1}`);
  }
  const untrusted = await saved(world, certs.slice(1, -1).join("") || certs[0]);
  const out = await run(["verify", "-CAfile", files.at(-1)!, "-untrusted", untrusted, files[0]]);
  assert.match(out, /: OK\n$/);
}

async function checkKeys(world: World, client: ProviderClientHandle): Promise<void> {
  const names = ["rsa-2048", "rsa-4096", "rsa-hsm", "ec-p256", "ec-p384", "ec-p521", "ec-hsm-p384"];
  world.emulator.resetRequests();
  const response = await mount(client, names.map((name) => ({ objectName: name, objectType: "key" })));
  assert.deepEqual(response.files.map((f) => f.path), names);
  for (const [i, name] of names.entries()) {
    const fixture = world.material.keys.get(name)!;
    const v = fixture.versions[0];
    assert.deepEqual(response.object_version[i], { id: `key/${name}`, version: v.version });
    const mounted = text(response.files[i].contents);
    assert.equal(mounted, await run(["pkey", "-in", v.privateKeyPath, "-pubout"]), `${name}: openssl's PEM`);
    const file = await saved(world, mounted);
    const der = await openssl(["pkey", "-pubin", "-in", file, "-outform", "DER"]);
    assert.deepEqual(der, await openssl(["pkey", "-in", v.privateKeyPath, "-pubout", "-outform", "DER"]));
    if (fixture.kty.startsWith("RSA")) {
      assert.equal(
        await run(["rsa", "-pubin", "-in", file, "-modulus", "-noout"]),
        await run(["rsa", "-in", v.privateKeyPath, "-modulus", "-noout"]),
        `${name}: same modulus`,
      );
    } else {
      const point = (dump: string) => /pub:\n([\s\S]*?)\nASN1 OID/.exec(dump)![1];
      assert.equal(
        point(await run(["ec", "-pubin", "-in", file, "-text", "-noout"])),
        point(await run(["ec", "-in", v.privateKeyPath, "-text", "-noout"])),
        `${name}: same point`,
      );
    }
  }
  const calls = world.emulator.requests({ service: "keyvault" });
  assert.ok(
    calls.every((r) => r.method === "GET" && /^\/keys\/[a-z0-9-]+\/?$/.test(r.path)),
    "only key GETs",
  );
  assert.ok(!calls.some((r) => /export|release/.test(r.path)), "no private key material is ever asked for");
}

async function checkCertificates(world: World, client: ProviderClientHandle): Promise<void> {
  const names = [
    "self-rsa-legacy",
    "self-ec-aes",
    "self-p521-3des",
    "self-ec-pem",
    "chain3-lir",
    "chain4-rili",
  ];
  const response = await mount(client, names.map((name) => ({ objectName: name, objectType: "cert" })));
  for (const [i, name] of names.entries()) {
    const fixture = only(world.material, name);
    assert.deepEqual(response.object_version[i], { id: `cert/${name}`, version: fixture.version });
    const mounted = text(response.files[i].contents);
    assert.equal(
      mounted,
      await run(["x509", "-in", fixture.leafPath]),
      `${name}: the leaf, as openssl writes it`,
    );
    assert.equal(blocks(mounted).length, 1, "the leaf only");
    assert.match(await run(["x509", "-noout", "-subject"], mounted), /subject=CN ?= ?/);
  }
  // A certificate's key (same name and version) is its public key.
  const keys = await mount(client, names.map((name) => ({ objectName: name, objectType: "key" })));
  for (const [i, name] of names.entries()) {
    const fixture = only(world.material, name);
    assert.deepEqual(keys.object_version[i], { id: `key/${name}`, version: fixture.version });
    assert.equal(
      text(keys.files[i].contents),
      await run(["x509", "-in", fixture.leafPath, "-noout", "-pubkey"]),
    );
  }
}

async function checkPkcs12AsPem(world: World, client: ProviderClientHandle): Promise<void> {
  const names = [
    "self-rsa-legacy",
    "self-rsa-3des",
    "self-ec-aes",
    "self-p521-3des",
    "chain3-lir",
    "chain3-lri",
    "chain3-ril",
    "chain3-irl",
    "chain4-lrii",
    "chain4-rili",
  ];
  const response = await mount(client, names.map((name) => ({ objectName: name, objectType: "secret" })));
  for (const [i, name] of names.entries()) {
    const fixture = only(world.material, name);
    assert.deepEqual(response.object_version[i], { id: `secret/${name}`, version: fixture.version });
    const mounted = text(response.files[i].contents);
    const key = await expectedKey(fixture);
    assert.equal(mounted, key + (await pemOf(fixture.chainOrder)), `${name}: key first, then leaf → root`);
    if (fixture.chainOrder.length > 1) await verifyChain(world, mounted, fixture.chainOrder.length);
    if (key) {
      // The key is the leaf's: same public key.
      const leaf = blocks(mounted).find((b) => b.includes("CERTIFICATE"))!;
      assert.equal(await run(["pkey", "-pubout"], key), await run(["x509", "-noout", "-pubkey"], leaf));
      assert.match(blocks(mounted)[0], /^-----BEGIN PRIVATE KEY-----\n/, "PKCS#8");
    }
  }
}

async function checkPfx(world: World, client: ProviderClientHandle): Promise<void> {
  for (const name of ["self-rsa-legacy", "self-rsa-3des", "self-ec-aes", "chain4-lrii"]) {
    const fixture = only(world.material, name);
    const response = await mount(client, [
      { objectName: name, objectType: "secret", objectFormat: "pfx", objectAlias: `${name}.b64` },
      {
        objectName: name,
        objectType: "secret",
        objectFormat: "PFX",
        objectEncoding: "base64",
        objectAlias: `${name}.pfx`,
      },
    ]);
    assert.equal(text(response.files[0].contents), fixture.value, "the base64 text as stored");
    const binary = new Uint8Array(response.files[1].contents);
    assert.deepEqual(binary, await Deno.readFile(fixture.pfxPath!), "the PFX itself");
    const file = await saved(world, binary);
    const legacy = fixture.legacy ? ["-legacy"] : [];
    const info = await opensslReport([
      "pkcs12",
      "-in",
      file,
      "-passin",
      "pass:",
      "-info",
      "-noout",
      ...legacy,
    ]);
    assert.match(info, /MAC: sha/);
    const certs = await run(["pkcs12", "-in", file, "-passin", "pass:", "-nokeys", ...legacy]);
    assert.equal(blocks(certs).length, fixture.storedOrder.length);
  }
}

async function checkCombinations(world: World, client: ProviderClientHandle): Promise<void> {
  // Refused before any network call.
  world.emulator.resetRequests();
  const early: [ObjectEntry, string][] = [
    [
      { objectName: "rsa-2048", objectType: "key", objectFormat: "pfx" },
      "PFX format only supported for objectType: secret",
    ],
    [
      { objectName: "rsa-2048", objectType: "key", objectEncoding: "utf-8" },
      "objectEncoding only supported for objectType: secret",
    ],
    [
      { objectName: "self-ec-aes", objectType: "cert", objectFormat: "PFX" },
      "PFX format only supported for objectType: secret",
    ],
    [
      { objectName: "self-ec-aes", objectType: "cert", objectEncoding: "base64" },
      "objectEncoding only supported for objectType: secret",
    ],
  ];
  for (const [object, message] of early) {
    const error = await failure(client, [object]);
    assert.equal(error.code, 3, `INVALID_ARGUMENT for ${JSON.stringify(object)}`);
    assert.ok(error.details.endsWith(message), error.details);
  }
  assert.equal(world.emulator.requests({ service: "keyvault" }).length, 0, "no Key Vault call");
  assert.equal(world.emulator.requests({ service: "entra" }).length, 0, "no token call");

  // Refused once the content is known.
  const late: [ObjectEntry, RegExp][] = [
    [
      { objectName: "self-ec-aes", objectType: "secret", objectEncoding: "base64" },
      /failed to decode the value as base64/,
    ],
    [
      { objectName: "self-ec-aes", objectType: "secret", objectFormat: "pfx", objectEncoding: "hex" },
      /failed to decode the value as hex/,
    ],
    [
      { objectName: "self-ec-pem", objectType: "secret", objectEncoding: "hex" },
      /failed to decode the value as hex/,
    ],
    [
      { objectName: "odd-content-type", objectType: "secret" },
      /failed to get certificate\. unknown content type 'application\/json'$/,
    ],
  ];
  for (const [object, message] of late) {
    const error = await failure(client, [object]);
    assert.equal(error.code, 9, `FAILED_PRECONDITION for ${JSON.stringify(object)}: ${error.details}`);
    assert.match(error.details, message);
  }

  // A plain secret ignores objectFormat, as in the Go provider.
  const [plain] =
    (await mount(client, [{ objectName: "api-key", objectType: "secret", objectFormat: "pfx" }])).files;
  assert.equal(text(plain.contents), "ak_live_0123456789abcdef");
}

async function checkSeparateFiles(world: World, client: ProviderClientHandle): Promise<void> {
  const response = await mount(client, [
    { objectName: "chain4-lrii", objectType: "secret", objectAlias: "tls/server" },
    { objectName: "self-ec-pem", objectType: "secret" },
    {
      objectName: "chain3-lri",
      objectType: "secret",
      objectFormat: "pfx",
      objectEncoding: "base64",
      objectAlias: "app.pfx",
    },
    { objectName: "rsa-2048", objectType: "key" },
    { objectName: "api-key", objectType: "secret" },
  ]);
  assert.deepEqual(response.files.map((f: MountedFile) => f.path), [
    "tls/server.crt",
    "tls/server.key",
    "tls/server",
    "self-ec-pem.crt",
    "self-ec-pem.key",
    "self-ec-pem",
    "app.pfx.crt",
    "app.pfx.key",
    "app.pfx",
    "rsa-2048",
    "api-key",
  ]);
  const files = Object.fromEntries(response.files.map((f: MountedFile) => [f.path, f.contents]));
  const chain4 = only(world.material, "chain4-lrii");
  assert.equal(text(files["tls/server.crt"]), await pemOf(chain4.chainOrder));
  assert.equal(text(files["tls/server.key"]), await expectedKey(chain4));
  assert.equal(text(files["tls/server"]), text(files["tls/server.key"]) + text(files["tls/server.crt"]));
  await verifyChain(world, text(files["tls/server.crt"]), 4);

  const pem = only(world.material, "self-ec-pem");
  assert.equal(text(files["self-ec-pem.crt"]), await pemOf(pem.storedOrder));
  assert.equal(text(files["self-ec-pem.key"]), await run(["pkey", "-in", pem.keyPath!]));

  // The Go provider writes empty .crt and .key files for pfx (its issue #1277); these are real.
  const chain3 = only(world.material, "chain3-lri");
  assert.equal(text(files["app.pfx.crt"]), await pemOf(chain3.chainOrder));
  assert.equal(text(files["app.pfx.key"]), await expectedKey(chain3));
  assert.deepEqual(new Uint8Array(files["app.pfx"]), await Deno.readFile(chain3.pfxPath!));
  const key = await saved(world, files["app.pfx.key"]);
  assert.match(await run(["pkey", "-in", key, "-check", "-noout"]), /valid/i);

  const ids = response.object_version.map((v: { id: string }) => v.id);
  assert.deepEqual(ids, [
    "secret/chain4-lrii",
    "secret/self-ec-pem",
    "secret/chain3-lri",
    "key/rsa-2048",
    "secret/api-key",
  ]);
}

async function checkHistory(world: World, client: ProviderClientHandle): Promise<void> {
  const keyVersions = world.material.keys.get("rotating-key")!.versions;
  const certVersions = world.material.certificates.get("rotating-cert")!.versions;
  const newestFirst = <T extends { enabled: boolean }>(list: readonly T[]) =>
    list.filter((v) => v.enabled).reverse();
  world.emulator.resetRequests();
  const response = await mount(client, [
    { objectName: "rotating-key", objectType: "key", objectVersionHistory: "3" },
    { objectName: "rotating-cert", objectType: "cert", objectVersionHistory: "2", objectAlias: "certs" },
    { objectName: "rotating-cert", objectType: "secret", objectVersionHistory: "5", objectAlias: "bundles" },
    {
      objectName: "rotating-secret",
      objectType: "secret",
      objectVersionHistory: "2",
      objectVersion: secretVersion(2),
    },
  ]);
  const keys = newestFirst(keyVersions);
  const certs = newestFirst(certVersions);
  assert.deepEqual(response.files.map((f) => f.path), [
    "rotating-key/0",
    "rotating-key/1",
    "rotating-key/2",
    "certs/0",
    "certs/1",
    "bundles/0",
    "bundles/1",
    "bundles/2",
    "rotating-secret/0",
    "rotating-secret/1",
  ]);
  assert.deepEqual(response.object_version, [
    ...keys.map((v, i) => ({ id: `key/rotating-key/${i}`, version: v.version })),
    ...certs.slice(0, 2).map((v, i) => ({ id: `cert/rotating-cert/${i}`, version: v.version })),
    ...certs.map((v, i) => ({ id: `secret/rotating-cert/${i}`, version: v.version })),
    { id: "secret/rotating-secret/0", version: secretVersion(2) },
    { id: "secret/rotating-secret/1", version: secretVersion(1) },
  ]);
  for (const [i, v] of keys.entries()) {
    assert.equal(text(response.files[i].contents), await run(["pkey", "-in", v.privateKeyPath, "-pubout"]));
  }
  for (const [i, v] of certs.slice(0, 2).entries()) {
    assert.equal(text(response.files[3 + i].contents), await run(["x509", "-in", v.leafPath]));
  }
  for (const [i, v] of certs.entries()) {
    assert.equal(text(response.files[5 + i].contents), (await expectedKey(v)) + (await pemOf(v.chainOrder)));
  }
  assert.deepEqual(response.files.slice(8).map((f) => text(f.contents)), ["value-2", "value-1"]);

  // Every listing followed its nextLinks: 4 versions → 2 pages, 6 → 3 pages.
  const listings = world.emulator.requests({ service: "keyvault" }).filter((r) =>
    r.path.endsWith("/versions")
  );
  const pages = (path: string) => listings.filter((r) => r.path === path && r.status === 200).length;
  assert.equal(pages("/keys/rotating-key/versions"), 2);
  assert.equal(pages("/certificates/rotating-cert/versions"), 2);
  assert.equal(pages("/secrets/rotating-cert/versions"), 2);
  assert.equal(pages("/secrets/rotating-secret/versions"), 3);

  // "latest" starts at the newest; more history than versions gives what there is.
  const latest = await mount(client, [
    { objectName: "rotating-key", objectType: "key", objectVersionHistory: "10", objectVersion: "latest" },
  ]);
  assert.deepEqual(latest.object_version.map((v) => v.version), keys.map((v) => v.version));
}

function secretVersion(i: number): string {
  return SECRET_VERSIONS[i].version;
}
