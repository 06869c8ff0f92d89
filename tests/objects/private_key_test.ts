/**
 * Private keys to PKCS#8 PEM (proven against the openssl CLI on material openssl generated,
 * tests/emulator/material.ts).
 */
import assert from "node:assert/strict";
import { toPkcs8Pem } from "../../src/objects/private_key.ts";
import { generateMaterial } from "../emulator/material.ts";
import { openssl } from "../harness/openssl.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("private keys: PKCS#1, SEC1 and PKCS#8 inputs become openssl's PKCS#8 PEM", async () => {
  const material = await generateMaterial();
  for (const name of ["rsa-2048", "ec-p256", "ec-p384", "ec-p521"]) {
    const path = material.keys.get(name)!.versions[0].privateKeyPath;
    const expected = text(await openssl(["pkey", "-in", path]));
    const pkcs8 = await openssl(["pkey", "-in", path, "-outform", "DER"]);
    const traditional = name.startsWith("rsa")
      ? await openssl(["rsa", "-in", path, "-outform", "DER", "-traditional"])
      : await openssl(["ec", "-in", path, "-outform", "DER"]);
    assert.equal(toPkcs8Pem(pkcs8), expected, `${name} pkcs8`);
    assert.equal(toPkcs8Pem(traditional), expected, `${name} pkcs1/sec1`);
  }
  assert.throws(
    () => toPkcs8Pem(new Uint8Array([48, 3, 2, 1, 0])),
    /failed to parse key for type pkcs1, pkcs8 or ec/,
  );
});
