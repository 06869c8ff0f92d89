/** Seed loading: defaults, validation messages and the shipped demo seed. */
import assert from "node:assert/strict";
import { defaultSeedPath } from "./emulator.ts";
import { derivedGuid, loadSeedFile, normalizeSeed } from "./seed.ts";

Deno.test("seed: the shipped seed.yaml loads and has the demo vault", async () => {
  const seed = await loadSeedFile(defaultSeedPath());
  const vault = seed.vaults.find((v) => v.name === "demo-vault");
  assert.ok(vault);
  assert.equal(vault.cloud, "AzurePublicCloud");
  const db = vault.secrets.find((s) => s.name === "db-password");
  assert.equal(db?.versions.length, 3);
  assert.equal(db?.versions.filter((v) => !v.attributes.enabled).length, 1);
  assert.deepEqual(vault.access["sp-app"].length, 6);
  assert.deepEqual(vault.access["sp-getonly"], ["secrets get", "keys get", "certificates get"]);
  assert.equal(vault.access["sp-outsider"], undefined);
  const system = seed.identities.find((i) => i.name === "vm-system");
  assert.equal(system?.systemAssigned, true);
  assert.equal(system?.clientId, derivedGuid("client:vm-system"));
});

Deno.test("seed: JSON seeds load too", async () => {
  const path = await Deno.makeTempFile({ suffix: ".json" });
  try {
    await Deno.writeTextFile(
      path,
      JSON.stringify({ vaults: [{ name: "J", secrets: [{ name: "s", versions: [{ value: "" }] }] }] }),
    );
    const seed = await loadSeedFile(path);
    assert.equal(seed.vaults[0].name, "j", "vault names are DNS labels, lower-cased");
    assert.equal(seed.vaults[0].secrets[0].versions[0].value, "");
    assert.match(seed.vaults[0].secrets[0].versions[0].version, /^[0-9a-f]{32}$/);
  } finally {
    await Deno.remove(path);
  }
});

Deno.test("seed: defaults give versions distinct creation times, newest last", () => {
  const seed = normalizeSeed({
    vaults: [{ name: "v", secrets: [{ name: "s", versions: [{ value: "a" }, { value: "b" }] }] }],
  });
  const [a, b] = seed.vaults[0].secrets[0].versions;
  assert.ok(b.attributes.created > a.attributes.created);
  assert.notEqual(a.version, b.version);
  assert.equal(seed.vaults[0].tenant, seed.defaultTenant);
});

Deno.test("seed: mistakes are reported with their location", () => {
  const cases: [unknown, RegExp][] = [
    [{ identities: [{ name: "x", kind: "robot" }] }, /identities\[0\]\.kind: unknown identity kind robot/],
    [{ vaults: [{ name: "v", cloud: "Mars" }] }, /vaults\[0\]\.cloud: unknown cloud Mars/],
    [{ vaults: [{ name: "v", readers: ["ghost"] }] }, /unknown identity 'ghost'/],
    [
      { vaults: [{ name: "v", secrets: [{ name: "bad_name", versions: [{ value: "x" }] }] }] },
      /not a valid Key Vault name/,
    ],
    [{ vaults: [{ name: "v", secrets: [{ name: "s", versions: [] }] }] }, /at least one version/],
    [
      { vaults: [{ name: "v", keys: [{ name: "k", versions: [{ key: {} }] }] }] },
      /keys\[0\]\.versions\[0\]\.key\.kty/,
    ],
    [
      { vaults: [{ name: "v", certificates: [{ name: "c", versions: [{ cer: "not base64!" }] }] }] },
      /cer: must be standard base64 DER/,
    ],
    [
      {
        vaults: [{
          name: "v",
          secrets: [{ name: "c", versions: [{ value: "x" }] }],
          certificates: [{ name: "C", versions: [{ cer: "AAAA" }] }],
        }],
      },
      /clashes with a certificate/,
    ],
    [
      { identities: [{ name: "a", kind: "workload" }, { name: "a", kind: "workload" }] },
      /duplicate identity/,
    ],
    [
      { vaults: [{ name: "v", permissions: { a: ["secrets delete"] } }], identities: [] },
      /unknown permission/,
    ],
  ];
  for (const [raw, message] of cases) assert.throws(() => normalizeSeed(raw), message);
});
