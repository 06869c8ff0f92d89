/**
 * Reading PFX files, proven against the openssl CLI on material openssl generated
 * (tests/emulator/material.ts).
 */
import assert from "node:assert/strict";
import { ObjectFormatError } from "../../src/objects/object_type.ts";
import { readPkcs12 } from "../../src/objects/pkcs12.ts";
import { toPkcs8Pem } from "../../src/objects/private_key.ts";
import { generateMaterial } from "../emulator/material.ts";
import { openssl } from "../harness/openssl.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const der = async (certPath: string) => await openssl(["x509", "-in", certPath, "-outform", "DER"]);

Deno.test("PKCS#12: every encryption Key Vault and OpenSSL use decrypts to openssl's own reading", async () => {
  const material = await generateMaterial();
  let checked = 0;
  for (const cert of material.certificates.values()) {
    for (const v of cert.versions) {
      if (!v.pfxPath) continue;
      const contents = readPkcs12(await Deno.readFile(v.pfxPath));
      const legacy = v.legacy ? ["-legacy"] : [];
      const keys = text(
        await openssl(["pkcs12", "-in", v.pfxPath, "-passin", "pass:", "-nocerts", "-nodes", ...legacy]),
      );
      const expectedKey = keys.includes("PRIVATE KEY") ? text(await openssl(["pkey"], keys)) : "";
      assert.equal(contents.keys.map(toPkcs8Pem).join(""), expectedKey, `${cert.name} key`);
      const stored = await Promise.all(v.storedOrder.map(der));
      assert.deepEqual(
        contents.certificates,
        stored,
        `${cert.name} certificates, exact bytes in stored order`,
      );
      checked++;
    }
  }
  assert.ok(checked >= 15, `checked ${checked} PFX files`);
});

Deno.test("PKCS#12: a PFX without MAC, a non-empty password and garbage fail or pass clearly", async () => {
  const material = await generateMaterial();
  const dir = await Deno.makeTempDir();
  try {
    const leaf = material.chain3[0];
    const bundle = await Deno.readTextFile(leaf);
    await openssl(
      ["pkcs12", "-export", "-nokeys", "-nomac", "-passout", "pass:", "-out", `${dir}/nomac.pfx`],
      bundle,
    );
    assert.deepEqual(readPkcs12(await Deno.readFile(`${dir}/nomac.pfx`)).certificates, [await der(leaf)]);
    await openssl(
      ["pkcs12", "-export", "-nokeys", "-passout", "pass:hunter2", "-out", `${dir}/pw.pfx`],
      bundle,
    );
    assert.throws(
      () => readPkcs12(Deno.readFileSync(`${dir}/pw.pfx`)),
      (e) =>
        e instanceof ObjectFormatError &&
        e.message ===
          "the PKCS#12 (PFX) value could not be read with an empty password: the MAC does not verify with an empty password",
    );
    assert.throws(
      () => readPkcs12(new TextEncoder().encode("-----BEGIN CERTIFICATE-----")),
      (e) =>
        e instanceof ObjectFormatError && e.message.startsWith("the value is not a PKCS#12 (PFX) file: "),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
