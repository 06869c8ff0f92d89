/**
 * The `objects` additions end to end through the real socket against the emulator: JSON
 * fields as files (`jmesPath`), every secret matching a name pattern, several vaults in one
 * class (per-object `keyvaultName`), and PFX files built from certificates stored as PEM
 * (proven with openssl and read back through our own PFX → PEM path). Every rule is checked
 * with its gRPC code, its message and the requests that reached Key Vault.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { type Emulator, startEmulator } from "../emulator/emulator.ts";
import { generateMaterial, type Material, materialSeed } from "../emulator/material.ts";
import { openssl } from "../harness/openssl.ts";
import { text } from "../harness/bytes.ts";
import { providerClient, type ProviderClientHandle } from "../harness/grpc_client.ts";
import { startProviderProcess } from "../harness/provider_process.ts";
import { mountRequest, type ObjectEntry } from "../harness/spc.ts";
import { certificateSecretFiles } from "../../src/objects/certificate_secret.ts";
import { readPkcs12 } from "../../src/objects/pkcs12.ts";
import { toPkcs8Pem } from "../../src/objects/private_key.ts";
import { SEED, SP } from "./fixtures.ts";

const CODE = { invalid: 3, notFound: 5, forbidden: 7, precondition: 9 };

/** A JSON secret; its values never appear in an error or a log. */
const DB_CONFIG = JSON.stringify({
  username: "app-user",
  password: "Json-Passw0rd!",
  port: 5432,
  replicas: [{ host: "db-0.internal" }, { host: "db-1.internal" }],
  tls: { enabled: true },
});

/** Secrets a pattern matches: more than a page (page size 2), one disabled, one of another prefix. */
const APP_SECRETS = [
  { name: "app-alpha", versions: [{ version: "a1", value: "alpha-value" }] },
  { name: "app-beta", versions: [{ version: "b1", value: "beta-value" }] },
  { name: "App-Gamma", versions: [{ version: "c1", value: "gamma-value" }] },
  { name: "app-off", versions: [{ version: "d1", value: "off-value", enabled: false }] },
  { name: "apple", versions: [{ version: "e1", value: "apple-value" }] },
];

/**
 * A certificate stored as PKCS#12 whose PFX is the one this provider builds from `chain3-pem`:
 * mounting it as PEM reads our PFX back through our own PFX → PEM path, over the socket.
 */
async function builtPfxCertificate(material: Material) {
  const fixture = material.certificates.get("chain3-pem")!.versions.at(-1)!;
  const spec = {
    index: 0,
    objectName: "chain3-pem",
    objectAlias: "",
    objectType: "secret",
    objectVersion: "",
    objectVersionHistory: 0,
    objectFormat: "pfx" as const,
    objectEncoding: "utf-8" as const,
    fileName: "chain3-pem",
  };
  const context = { constructPemChain: true, writeCertAndKeyInSeparateFiles: false, warn: () => {} };
  const [pfx] = certificateSecretFiles(spec, fixture.value, "application/x-pem-file", context);
  const leaf = await Deno.readTextFile(fixture.leafPath);
  return {
    name: "rebuilt-pfx",
    versions: [{
      version: "9f9f",
      cer: leaf.replace(/-----[^-]+-----|\s/g, ""),
      value: text(pfx.contents),
      contentType: "application/x-pkcs12",
    }],
  };
}

async function seedWith(material: Material) {
  const { certificates } = await materialSeed(material);
  certificates.push(await builtPfxCertificate(material));
  const vault = SEED.vaults[0];
  return {
    ...SEED,
    vaults: [
      {
        ...vault,
        secrets: [
          ...vault.secrets,
          { name: "db-config", versions: [{ version: "f00d", value: DB_CONFIG }] },
          { name: "not-json", versions: [{ version: "f00e", value: "plain-Secret-text" }] },
          ...APP_SECRETS,
        ],
        certificates,
      },
      {
        name: "other-vault",
        cloud: "AzurePublicCloud",
        tenant: vault.tenant,
        readers: ["sp-app"],
        secrets: [
          { name: "shared-token", versions: [{ version: "0a0a", value: "other-vault-token" }] },
          { name: "shared-cert-pass", versions: [{ version: "0b0b", value: "other-vault-pass" }] },
          { name: "shared-zeta", versions: [{ version: "0c0c", value: "other-vault-zeta" }] },
        ],
      },
      {
        // The identity may read each secret by name but not list them.
        name: "nolist-vault",
        cloud: "AzurePublicCloud",
        tenant: vault.tenant,
        permissions: { "sp-app": ["secrets get"] },
        secrets: [{ name: "app-alpha", versions: [{ version: "1a1a", value: "nolist-value" }] }],
      },
    ],
  };
}

Deno.test("objects additions: jmesPath, name patterns, per-object vaults, PFX from PEM", async (t) => {
  const material = await generateMaterial();
  // Page size 2: every listing takes several pages.
  const emulator = await startEmulator({ seed: await seedWith(material), pageSize: 2 });
  const provider = await startProviderProcess({ env: emulator.env() });
  const client = providerClient(provider.socketPath);
  const dir = await Deno.makeTempDir({ prefix: "additions-" });
  const world: World = { emulator, client, material, dir };
  try {
    await t.step("jmesPath: the whole secret and one file per field, one GET", () => checkJsonFields(world));
    await t.step("jmesPath: bad input fails before any request", () => checkJsonFieldInput(world));
    await t.step("jmesPath: values that cannot give a field name the path, never the value", async () => {
      await checkJsonFieldValues(world);
    });
    await t.step("patterns: every enabled match, paged listing counted", () => checkPattern(world));
    await t.step("patterns: misuse, no match, no list permission", () => checkPatternErrors(world));
    await t.step("keyvaultName per object: two vaults in one mount", () => checkVaults(world));
    await t.step("keyvaultName per object: errors name the vault", () => checkVaultErrors(world));
    await t.step(
      "PFX from PEM: openssl reads it, chain leaf → root, key intact",
      () => checkPfxFromPem(world),
    );
  } finally {
    client.close();
    await provider.stop();
    await emulator.close();
    await Deno.remove(dir, { recursive: true });
  }
  const output = provider.output();
  for (const value of ["Json-Passw0rd!", "app-user", "plain-Secret-text", "PRIVATE KEY"]) {
    assert.ok(!output.includes(value), `${value} is not in the logs`);
  }
});

interface World {
  readonly emulator: Emulator;
  readonly client: ProviderClientHandle;
  readonly material: Material;
  readonly dir: string;
}

async function mount(world: World, objects: ObjectEntry[], parameters: Record<string, string> = {}) {
  world.emulator.resetRequests();
  return await world.client.mount(mountRequest({ objects, secrets: SP, parameters }));
}

async function failure(world: World, objects: ObjectEntry[]) {
  world.emulator.resetRequests();
  return await world.client.mount(mountRequest({ objects, secrets: SP })).then(
    () => assert.fail(`mount of ${JSON.stringify(objects)} should fail`),
    (e) => e as { code: number; details: string },
  );
}

/** Key Vault requests of the last mount, as `METHOD host path`, without the challenge round trip. */
function vaultRequests(world: World): string[] {
  return world.emulator.requests({ service: "keyvault" })
    .filter((request) => request.status !== 401)
    .map((request) => `${request.method} ${request.host.split(".")[0]} ${request.path}`);
}

const prefix = "failed to mount objects, error: ";

async function checkJsonFields(world: World) {
  const response = await mount(world, [{
    objectName: "db-config",
    objectType: "secret",
    filePermission: "0600",
    jmesPath: [
      { path: "username", objectAlias: "db/user" },
      { path: "port", objectAlias: "db/port" },
      { path: "replicas[*].host", objectAlias: "db/hosts" },
      { path: "tls", objectAlias: "db/tls" },
      { path: "replicas[1].host", objectAlias: "db/secondary" },
    ],
  }]);
  assert.deepEqual(response.files.map((f) => [f.path, f.mode.toString(8), text(f.contents)]), [
    ["db-config", "600", DB_CONFIG],
    ["db/user", "600", "app-user"],
    ["db/port", "600", "5432"],
    ["db/hosts", "600", '["db-0.internal","db-1.internal"]'],
    ["db/tls", "600", '{"enabled":true}'],
    ["db/secondary", "600", "db-1.internal"],
  ]);
  // The fields are files of the secret's version: one object version, one GET.
  assert.deepEqual(response.object_version, [{ id: "secret/db-config", version: "f00d" }]);
  assert.deepEqual(vaultRequests(world), ["GET demo-vault /secrets/db-config/"]);
  // With an alias, the whole secret is written under it, as AWS's provider does.
  const aliased = await mount(world, [{
    objectName: "db-config",
    objectType: "secret",
    objectAlias: "config.json",
    jmesPath: [{ path: "password", objectAlias: "password" }],
  }]);
  assert.deepEqual(aliased.files.map((f) => [f.path, text(f.contents)]), [
    ["config.json", DB_CONFIG],
    ["password", "Json-Passw0rd!"],
  ]);
}

async function checkJsonFieldInput(world: World) {
  const item = (jmesPath: unknown, extra: Record<string, string> = {}) =>
    ({ objectName: "db-config", objectType: "secret", jmesPath, ...extra }) as unknown as ObjectEntry;
  const label = "failed to get objectType:secret, objectName:db-config, objectVersion:";
  const cases: [ObjectEntry[], string][] = [
    [
      [item([{ path: "a.[", objectAlias: "x" }])],
      `${label}: jmesPath[0]: path "a.[" is not a JMESPath expression: Syntax error: invalid token (EOF): ""`,
    ],
    // Expressions whose results can outgrow the secret are refused: the provider serves the whole node.
    [
      [item([{ path: "[*].[@,@,@,@,@,@,@,@][].[@,@,@,@,@,@,@,@][].[@,@][]", objectAlias: "x" }])],
      `${label}: jmesPath[0]: path "[*].[@,@,@,@,@,@,@,@][].[@,@,@,@,@,@,@,@][].[@,@][]" selects more than 64 values per value through its multi-selects ([a, b], {a: a}), which can make a result far larger than the secret: not evaluated`,
    ],
    [
      [item([{ path: "[*].[@, $]", objectAlias: "x" }])],
      `${label}: jmesPath[0]: path "[*].[@, $]" uses the root reference ($) or a variable, which can make a result far larger than the secret: not evaluated`,
    ],
    [
      [item([{ path: "pad_left(username, `1000000000`)", objectAlias: "x" }])],
      `${label}: jmesPath[0]: path "pad_left(username, \`1000000000\`)" uses pad_left(), which can make a result far larger than the secret: not evaluated`,
    ],
    [[item([{ path: "a" }])], `${label}: jmesPath[0] (path "a"): objectAlias is required`],
    [[item([{ objectAlias: "x" }])], `${label}: jmesPath[0]: path is required`],
    [
      [item([{ path: "a", objectAlias: "../x" }])],
      `${label}: jmesPath[0] (path "a"): file name "../x" must not contain '..'`,
    ],
    [[item("username")], `${label}: jmesPath must be a list of {path, objectAlias} entries, got a string`],
    // A field that collides with the object's own file, with another field, with another object.
    [
      [item([{ path: "a", objectAlias: "db-config" }])],
      `${label}: jmesPath[0] (path "a"): two objects write the same file "db-config": give one of them another objectAlias`,
    ],
    [
      [item([{ path: "a", objectAlias: "f" }, { path: "b", objectAlias: "f/g" }])],
      `${label}: jmesPath[1] (path "b"): "f" is both a file and the folder of "f/g": give one of them another objectAlias`,
    ],
    [
      [{ objectName: "api-key", objectType: "secret" }, item([{ path: "a", objectAlias: "api-key" }])],
      `${label}: jmesPath[0] (path "a"): two objects write the same file "api-key": give one of them another objectAlias`,
    ],
    [
      [item([{ path: "a", objectAlias: "x" }], { objectVersionHistory: "2" })],
      `${label}: jmesPath cannot be used with objectVersionHistory: its files are made from one version`,
    ],
    [
      [{ objectName: "signing", objectType: "key", jmesPath: [{ path: "a", objectAlias: "x" }] }],
      "failed to get objectType:key, objectName:signing, objectVersion:: jmesPath only supported for objectType: secret",
    ],
  ];
  for (const [objects, message] of cases) {
    const error = await failure(world, objects);
    assert.equal(error.code, CODE.invalid, error.details);
    assert.equal(error.details, prefix + message);
    assert.equal(world.emulator.requests().length, 0, "no request for bad input");
  }
}

async function checkJsonFieldValues(world: World) {
  const cases: [ObjectEntry, string][] = [
    [
      { objectName: "not-json", objectType: "secret", jmesPath: [{ path: "a", objectAlias: "a" }] },
      `failed to get objectType:secret, objectName:not-json, objectVersion:: jmesPath needs the secret's value to be JSON, but it does not parse as JSON (path "a")`,
    ],
    [
      { objectName: "db-config", objectType: "secret", jmesPath: [{ path: "user", objectAlias: "u" }] },
      `failed to get objectType:secret, objectName:db-config, objectVersion:: jmesPath path "user" has no result in the secret's JSON value`,
    ],
    [
      {
        objectName: "db-config",
        objectType: "secret",
        jmesPath: [{ path: "abs(username)", objectAlias: "u" }],
      },
      `failed to get objectType:secret, objectName:db-config, objectVersion:: jmesPath path "abs(username)" failed: Invalid type: abs() expected argument 1 to be type (number) but received type string instead.`,
    ],
    [
      { objectName: "self-ec-pem", objectType: "secret", jmesPath: [{ path: "a", objectAlias: "a" }] },
      `failed to get objectType:secret, objectName:self-ec-pem, objectVersion:: jmesPath needs the secret's value to be JSON, but this secret backs a certificate`,
    ],
  ];
  for (const [object, message] of cases) {
    const error = await failure(world, [object]);
    assert.equal(error.code, CODE.precondition, error.details);
    assert.equal(error.details, prefix + message);
  }
}

async function checkPattern(world: World) {
  const response = await mount(world, [{ objectName: "app-*", objectType: "secret", objectAlias: "apps" }]);
  // Case-insensitive like Key Vault names; the disabled secret and "apple" are not written.
  assert.deepEqual(response.files.map((f) => [f.path, f.mode.toString(8), text(f.contents)]), [
    ["apps/app-alpha", "644", "alpha-value"],
    ["apps/app-beta", "644", "beta-value"],
    ["apps/App-Gamma", "644", "gamma-value"],
  ]);
  assert.deepEqual(response.object_version, [
    { id: "secret/app-alpha", version: "a1" },
    { id: "secret/app-beta", version: "b1" },
    { id: "secret/App-Gamma", version: "c1" },
  ]);
  // One listing of every page (page size 2, each after the first with its skiptoken), then one
  // GET per match, and nothing else.
  const listings = world.emulator.requests({ service: "keyvault", pathPrefix: "/secrets" })
    .filter((request) => request.status === 200 && request.path === "/secrets");
  assert.ok(listings.length > 2, `${listings.length} listing pages`);
  assert.equal(listings[0].query["$skiptoken"], undefined);
  const skips = listings.slice(1).map((request) => request.query["$skiptoken"]);
  assert.equal(new Set(skips).size, listings.length - 1);
  assert.deepEqual(vaultRequests(world).filter((request) => request !== "GET demo-vault /secrets").sort(), [
    "GET demo-vault /secrets/App-Gamma/",
    "GET demo-vault /secrets/app-alpha/",
    "GET demo-vault /secrets/app-beta/",
  ]);
  // `*` alone, no alias: every enabled secret of the vault, each named after itself.
  const all = await mount(world, [{ objectName: "*", objectType: "secret", keyvaultName: "other-vault" }]);
  assert.deepEqual(all.files.map((f) => [f.path, text(f.contents)]), [
    ["shared-cert-pass", "other-vault-pass"],
    ["shared-token", "other-vault-token"],
    ["shared-zeta", "other-vault-zeta"],
  ]);
  // Three secrets, pages of two: two listing requests.
  assert.deepEqual(vaultRequests(world).sort(), [
    "GET other-vault /secrets",
    "GET other-vault /secrets",
    "GET other-vault /secrets/shared-cert-pass/",
    "GET other-vault /secrets/shared-token/",
    "GET other-vault /secrets/shared-zeta/",
  ]);
  // Files of a pattern that collide with another object's fail the mount, naming the file.
  const error = await failure(world, [
    { objectName: "app-*", objectType: "secret" },
    { objectName: "db-password", objectType: "secret", objectAlias: "app-beta" },
  ]);
  assert.equal(error.code, CODE.invalid);
  assert.equal(
    error.details,
    `${prefix}two objects write the same file "app-beta": give one of them another objectAlias`,
  );
}

async function checkPatternErrors(world: World) {
  const label = "failed to get objectType:secret, objectName:app-*, objectVersion:";
  const misuse: [ObjectEntry, string][] = [
    [
      { objectName: "app-*", objectType: "secret", objectVersion: "a1" },
      `${label}a1: objectVersion cannot be used with an objectName pattern ('*'): it matches many secrets, each mounted at its current version`,
    ],
    [
      { objectName: "app-*", objectType: "secret", objectVersionHistory: "3" },
      `${label}: objectVersionHistory cannot be used with an objectName pattern ('*'): it matches many secrets, each mounted at its current version`,
    ],
    [
      { objectName: "app-*", objectType: "secret", jmesPath: [{ path: "a", objectAlias: "a" }] },
      `${label}: jmesPath cannot be used with an objectName pattern ('*'): it matches many secrets, each mounted at its current version`,
    ],
    [
      { objectName: "app-*", objectType: "cert" },
      "failed to get objectType:cert, objectName:app-*, objectVersion:: an objectName pattern ('*') only supported for objectType: secret",
    ],
    [
      { objectName: "app_*", objectType: "secret" },
      "failed to get objectType:secret, objectName:app_*, objectVersion:: an objectName pattern may only hold letters, digits, '-' and '*': secret names have no other character",
    ],
  ];
  for (const [object, message] of misuse) {
    const error = await failure(world, [object]);
    assert.equal(error.code, CODE.invalid, error.details);
    assert.equal(error.details, prefix + message);
    assert.equal(world.emulator.requests().length, 0, "no request for bad input");
  }
  const none = await failure(world, [{ objectName: "nothing-*", objectType: "secret" }]);
  assert.equal(none.code, CODE.notFound);
  assert.equal(
    none.details,
    `${prefix}failed to get objectType:secret, objectName:nothing-*, objectVersion:: no enabled secret of vault demo-vault matches the objectName pattern "nothing-*"`,
  );
  // The disabled secret alone matches nothing.
  const disabled = await failure(world, [{ objectName: "app-of*", objectType: "secret" }]);
  assert.equal(disabled.code, CODE.notFound);
  const forbidden = await failure(world, [{
    objectName: "app-*",
    objectType: "secret",
    keyvaultName: "nolist-vault",
  }]);
  assert.equal(forbidden.code, CODE.forbidden);
  assert.match(
    forbidden.details,
    /^failed to mount objects, error: failed to get objectType:secret, objectName:app-\*, objectVersion:, keyvaultName:nolist-vault: Key Vault answered 403 Forbidden to the listing of the vault's secrets \(an objectName pattern lists the vault's secrets: the identity needs the list permission on secrets, "secrets list" in an access policy or Microsoft\.KeyVault\/vaults\/secrets\/readMetadata\/action with RBAC/,
  );
  // The same identity reads the secret by its name.
  const named = await mount(world, [{
    objectName: "app-alpha",
    objectType: "secret",
    keyvaultName: "nolist-vault",
  }]);
  assert.equal(text(named.files[0].contents), "nolist-value");
}

async function checkVaults(world: World) {
  const response = await mount(world, [
    { objectName: "db-password", objectType: "secret" },
    { objectName: "shared-token", objectType: "secret", keyvaultName: "other-vault" },
    { objectName: "app-alpha", objectType: "secret", keyvaultName: "nolist-vault", objectAlias: "nolist" },
  ]);
  assert.deepEqual(response.files.map((f) => [f.path, text(f.contents)]), [
    ["db-password", "current-Passw0rd"],
    ["shared-token", "other-vault-token"],
    ["nolist", "nolist-value"],
  ]);
  // Each object from its own vault, with one token for the identity: same tenant, same audience.
  assert.deepEqual(vaultRequests(world).sort(), [
    "GET demo-vault /secrets/db-password/",
    "GET nolist-vault /secrets/app-alpha/",
    "GET other-vault /secrets/shared-token/",
  ]);
  // A warm mount: every vault's client kept its challenge, so no 401 and no token request.
  await mount(world, [
    { objectName: "shared-token", objectType: "secret", keyvaultName: "other-vault" },
    { objectName: "db-password", objectType: "secret" },
  ]);
  assert.equal(world.emulator.requests({ service: "keyvault", status: 401 }).length, 0);
  assert.equal(world.emulator.requests({ service: "entra" }).length, 0);
}

async function checkVaultErrors(world: World) {
  const cases: [string, string][] = [
    ["ab", 'failed to get vault: Invalid vault name: "ab", must be between 3 and 24 chars'],
    ["bad_vault", 'failed to get vault: Invalid vault name: "bad_vault", must match [-a-zA-Z0-9]{3,24}'],
    [
      "https://other-vault.vault.azure.net/",
      'failed to get vault: Invalid vault name: "https://other-vault.vault.azure.net/", must be between 3 and 24 chars (keyvaultName is the vault\'s name, not its URL: did you mean "other-vault"?)',
    ],
  ];
  for (const [name, message] of cases) {
    // A good object first: nothing at all is fetched when any vault name is bad.
    const error = await failure(world, [
      { objectName: "db-password", objectType: "secret" },
      { objectName: "shared-token", objectType: "secret", keyvaultName: name },
    ]);
    assert.equal(error.code, CODE.invalid);
    assert.equal(
      error.details,
      `${prefix}failed to get objectType:secret, objectName:shared-token, objectVersion:, keyvaultName:${name}: ${message}`,
    );
    assert.equal(world.emulator.requests().length, 0);
  }
  const missing = await failure(world, [{
    objectName: "shared-token",
    objectType: "secret",
    keyvaultName: "no-such-vault",
  }]);
  assert.equal(missing.code, CODE.notFound);
  assert.match(
    missing.details,
    /^failed to mount objects, error: failed to get objectType:secret, objectName:shared-token, objectVersion:, keyvaultName:no-such-vault: Key Vault answered 404 VaultNotFound/,
  );
  const secret = await failure(world, [{
    objectName: "db-password",
    objectType: "secret",
    keyvaultName: "other-vault",
  }]);
  assert.equal(secret.code, CODE.notFound);
  assert.match(
    secret.details,
    /objectName:db-password, objectVersion:, keyvaultName:other-vault: Key Vault answered 404/,
  );
}

const decoder = new TextDecoder();
const run = async (args: string[], stdin?: string | Uint8Array) => decoder.decode(await openssl(args, stdin));

async function checkPfxFromPem(world: World) {
  const fixture = world.material.certificates.get("chain3-pem")!.versions.at(-1)!;
  const response = await mount(world, [
    { objectName: "chain3-pem", objectType: "secret", objectFormat: "pfx", objectEncoding: "base64" },
    { objectName: "chain3-pem", objectType: "secret", objectFormat: "pfx", objectAlias: "chain3.b64" },
    { objectName: "self-ec-pem", objectType: "secret", objectFormat: "pfx", objectEncoding: "base64" },
  ]);
  const [binary, base64, selfSigned] = response.files;
  // Base64 text without objectEncoding, the binary file with it, as for a PFX Key Vault stored.
  assert.deepEqual(
    Buffer.from(text(base64.contents), "base64").subarray(0, 4),
    Buffer.from(binary.contents).subarray(0, 4),
  );
  assert.deepEqual(response.object_version.map((v) => v.id), ["secret/chain3-pem", "secret/self-ec-pem"]);
  assert.deepEqual(vaultRequests(world).sort(), [
    "GET demo-vault /secrets/chain3-pem/",
    "GET demo-vault /secrets/self-ec-pem/",
  ]);

  // The same certificate gives the same bytes on the next mount: the driver has nothing to rewrite.
  const again = await mount(world, [
    { objectName: "chain3-pem", objectType: "secret", objectFormat: "pfx", objectEncoding: "base64" },
  ]);
  assert.deepEqual(again.files[0].contents, binary.contents);

  const path = `${world.dir}/chain3.pfx`;
  await Deno.writeFile(path, binary.contents);
  // OpenSSL 3 with its default providers, empty password: the MAC verifies and both parts decrypt.
  const info = await opensslInfo(path);
  assert.match(info, /^MAC: sha256, Iteration 2048\nMAC length: 32, salt length: 16\n/);
  assert.match(
    info,
    /PKCS7 Encrypted data: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256\nCertificate bag/,
  );
  assert.match(info, /Shrouded Keybag: PBES2, PBKDF2, AES-256-CBC, Iteration 2048, PRF hmacWithSHA256/);
  // The certificates leaf → root (stored root, leaf, intermediate), each byte for byte.
  const certificates = await run(["pkcs12", "-in", path, "-passin", "pass:", "-nokeys", "-noenc"]);
  const expected = (await Promise.all(fixture.chainOrder.map((p) => run(["x509", "-in", p])))).join("");
  assert.equal(pemBlocks(certificates).join(""), expected);
  // The key is the certificate's: openssl's PKCS#8 of the stored key.
  const key = await run(["pkcs12", "-in", path, "-passin", "pass:", "-nocerts", "-noenc"]);
  assert.equal(pemBlocks(key).join(""), await run(["pkey", "-in", fixture.keyPath!]));
  // The leaf's chain verifies from the PFX's own certificates.
  const [leaf, ...rest] = pemBlocks(certificates);
  const chainPath = `${world.dir}/chain.pem`;
  await Deno.writeTextFile(chainPath, rest.join(""));
  const verified = await run(["verify", "-CAfile", chainPath, "-partial_chain"], leaf);
  assert.equal(verified, "stdin: OK\n");

  // Our own PFX → PEM path reads it back: the key as PKCS#8, the chain in order.
  const back = readPkcs12(binary.contents);
  assert.equal(back.keys.map(toPkcs8Pem).join(""), await run(["pkey", "-in", fixture.keyPath!]));
  assert.deepEqual(back.certificates.length, 3);
  // And through the socket: the same PFX stored as a PKCS#12 certificate mounts as the key then the chain.
  const rebuilt = await mount(world, [{ objectName: "rebuilt-pfx", objectType: "secret" }]);
  assert.equal(text(rebuilt.files[0].contents), (await run(["pkey", "-in", fixture.keyPath!])) + expected);

  const selfPath = `${world.dir}/self.pfx`;
  await Deno.writeFile(selfPath, selfSigned.contents);
  const ecKey = await run(["pkcs12", "-in", selfPath, "-passin", "pass:", "-nocerts", "-noenc"]);
  const ecFixture = world.material.certificates.get("self-ec-pem")!.versions.at(-1)!;
  assert.equal(pemBlocks(ecKey).join(""), await run(["pkey", "-in", ecFixture.keyPath!]));
}

/**
 * What `openssl pkcs12 -info` says about the structure (on stderr) with the empty password; it
 * fails if the MAC does not verify, as it must with any other password.
 */
async function opensslInfo(path: string): Promise<string> {
  const info = async (password: string) => {
    const command = new Deno.Command("openssl", {
      args: ["pkcs12", "-info", "-in", path, "-passin", `pass:${password}`, "-noenc", "-nokeys", "-nocerts"],
      stdout: "null",
      stderr: "piped",
    });
    const { success, stderr } = await command.output();
    return { success, text: decoder.decode(stderr) };
  };
  const wrong = await info("wrong");
  assert.equal(wrong.success, false);
  assert.match(wrong.text, /Mac verify error/);
  const empty = await info("");
  assert.ok(empty.success, empty.text);
  return empty.text;
}

/** The PEM blocks of openssl's output, without its "Bag Attributes" lines. */
function pemBlocks(output: string): string[] {
  return [...output.matchAll(/-----BEGIN ([A-Z ]+)-----\n[^-]+-----END \1-----\n/g)].map((match) => match[0]);
}
