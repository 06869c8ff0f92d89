/**
 * Key Vault's JWK public keys to PKIX PEM (proven against the openssl CLI on material openssl generated,
 * tests/emulator/material.ts).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { ObjectFormatError } from "../../src/objects/object_type.ts";
import { publicKeyPem } from "../../src/objects/public_key.ts";
import { generateMaterial } from "../emulator/material.ts";
import { openssl } from "../harness/openssl.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const b64url = (s: string) => new Uint8Array(Buffer.from(s, "base64url"));
const maybe = (s: string | undefined) => s === undefined ? undefined : b64url(s);

Deno.test("public keys: PKIX PEM identical to openssl's for RSA, RSA-HSM, EC and EC-HSM on P-256/384/521", async () => {
  const material = await generateMaterial();
  const names = ["rsa-2048", "rsa-4096", "rsa-hsm", "ec-p256", "ec-p384", "ec-p521", "ec-hsm-p384"];
  for (const name of names) {
    const { kty, versions: [v] } = material.keys.get(name)!;
    const jwk = v.jwk;
    const pem = publicKeyPem({
      kty,
      crv: jwk.crv,
      n: maybe(jwk.n),
      e: maybe(jwk.e),
      x: maybe(jwk.x),
      y: maybe(jwk.y),
    });
    const expected = text(await openssl(["pkey", "-in", v.privateKeyPath, "-pubout"]));
    assert.equal(pem, expected, name);
    // openssl reads it back as a public key
    await openssl(["pkey", "-pubin", "-noout"], pem);
  }
});

Deno.test("public keys: leading zeros and short EC coordinates are read as Go's big.Int reads them", async () => {
  const material = await generateMaterial();
  const rsa = material.keys.get("rsa-2048")!.versions[0].jwk;
  const padded = new Uint8Array([0, 0, ...b64url(rsa.n)]);
  const expected = text(
    await openssl(["pkey", "-in", material.keys.get("rsa-2048")!.versions[0].privateKeyPath, "-pubout"]),
  );
  assert.equal(publicKeyPem({ kty: "RSA", n: padded, e: b64url(rsa.e) }), expected);
  const ec = material.keys.get("ec-p256")!.versions[0];
  const x = b64url(ec.jwk.x);
  // A coordinate with a leading zero byte may come without it; the PEM is the same.
  const trimmed = x[0] === 0 ? x.subarray(1) : x;
  assert.equal(
    publicKeyPem({ kty: "EC", crv: "P-256", x: trimmed, y: b64url(ec.jwk.y) }).length,
    text(await openssl(["pkey", "-in", ec.privateKeyPath, "-pubout"])).length,
  );
});

Deno.test("public keys: oct, oct-HSM, P-256K and unknown types fail with the Go provider's words", async () => {
  const material = await generateMaterial();
  const k = material.keys.get("ec-p256k")!.versions[0].jwk;
  const cases: [Parameters<typeof publicKeyPem>[0], string][] = [
    [{ kty: "oct" }, "failed to get key. key type 'oct' currently not supported"],
    [{ kty: "oct-HSM" }, "failed to get key. key type 'oct-HSM' currently not supported"],
    [{ kty: "EC", crv: "P-256K", x: b64url(k.x), y: b64url(k.y) }, "curve P-256K is not supported"],
    [{ kty: "OKP" }, "failed to get key. key type 'OKP' currently not supported"],
    [{ kty: "RSA" }, "the RSA key has no modulus or exponent"],
  ];
  for (const [jwk, message] of cases) {
    assert.throws(() => publicKeyPem(jwk), (e) => e instanceof ObjectFormatError && e.message === message);
  }
});
