/**
 * PEM blocks as Go writes them (proven against the openssl CLI on material openssl generated,
 * tests/emulator/material.ts).
 */
import assert from "node:assert/strict";
import { encodePem } from "../../src/objects/pem.ts";
import { readPemBlocks } from "../../src/objects/pem_reader.ts";
import { generateMaterial } from "../emulator/material.ts";
import { openssl } from "../harness/openssl.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const der = async (certPath: string) => await openssl(["x509", "-in", certPath, "-outform", "DER"]);

Deno.test("PEM: blocks are written as Go's pem.EncodeToMemory (and openssl) write them", async () => {
  const material = await generateMaterial();
  for (const path of material.chain4) {
    const pem = encodePem("CERTIFICATE", await der(path));
    assert.equal(pem, text(await openssl(["x509", "-in", path])));
  }
  const headers = encodePem("X", new Uint8Array([1, 2, 3]), [["DEK-Info", "AES-128-CBC,00"], [
    "Proc-Type",
    "4,ENCRYPTED",
  ]]);
  assert.equal(
    headers,
    "-----BEGIN X-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00\n\nAQID\n-----END X-----\n",
  );
  const read = readPemBlocks(
    "junk\n" + headers + "between\r\n-----BEGIN CERTIFICATE-----\r\nAAEC\r\n-----END CERTIFICATE-----\r\n",
  );
  assert.deepEqual(read.map((b) => [b.type, b.headers, [...b.bytes]]), [
    ["X", [["Proc-Type", "4,ENCRYPTED"], ["DEK-Info", "AES-128-CBC,00"]], [1, 2, 3]],
    ["CERTIFICATE", [], [0, 1, 2]],
  ]);
});
