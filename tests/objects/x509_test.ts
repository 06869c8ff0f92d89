/**
 * Key identifiers of certificates (proven against the openssl CLI on material openssl generated,
 * tests/emulator/material.ts).
 */
import assert from "node:assert/strict";
import { keyIdentifiers } from "../../src/objects/x509.ts";
import { generateMaterial } from "../emulator/material.ts";
import { openssl } from "../harness/openssl.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const der = async (certPath: string) => await openssl(["x509", "-in", certPath, "-outform", "DER"]);

Deno.test("x509: key identifiers of RSA and EC certificates match openssl's", async () => {
  const material = await generateMaterial();
  for (const path of material.chain4) {
    const ids = keyIdentifiers(await der(path));
    const info = text(
      await openssl(["x509", "-in", path, "-noout", "-ext", "subjectKeyIdentifier,authorityKeyIdentifier"]),
    );
    const hexes = [...info.matchAll(/([0-9A-F]{2}(?::[0-9A-F]{2}){19})/g)].map((m) =>
      m[1].replaceAll(":", "").toLowerCase()
    );
    assert.equal(ids.subjectKeyId, hexes[0]);
    if (hexes[1]) assert.equal(ids.authorityKeyId, hexes[1]);
  }
  assert.throws(() => keyIdentifiers(new Uint8Array([1, 2, 3])), /could not be parsed as X.509/);
});
