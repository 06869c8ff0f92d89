/**
 * The byte-level conversions of keys, certificates and PFX files, each proven against the
 * openssl CLI on material openssl generated (tests/emulator/material.ts).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { orderChain } from "../../src/objects/chain.ts";
import { ObjectFormatError } from "../../src/objects/object_type.ts";
import { encodePem } from "../../src/objects/pem.ts";
import { readPemBlocks } from "../../src/objects/pem_reader.ts";
import { readPkcs12 } from "../../src/objects/pkcs12.ts";
import { toPkcs8Pem } from "../../src/objects/private_key.ts";
import { publicKeyPem } from "../../src/objects/public_key.ts";
import { keyIdentifiers } from "../../src/objects/x509.ts";
import { generateKey, generateMaterial, issued, openssl, selfSigned } from "../emulator/material.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const b64url = (s: string) => new Uint8Array(Buffer.from(s, "base64url"));
const maybe = (s: string | undefined) => s === undefined ? undefined : b64url(s);
const der = async (certPath: string) => await openssl(["x509", "-in", certPath, "-outform", "DER"]);

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

/** Every ordering of `items`. */
function permutations<T>(items: readonly T[]): T[][] {
  if (items.length <= 1) return [[...items]];
  return items.flatMap((item, i) =>
    permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [item, ...rest])
  );
}

Deno.test("chain: 3 certificates in all 6 orders and 4 in all 24 come out leaf → root, verified by openssl", async () => {
  const material = await generateMaterial();
  for (const chain of [material.chain3, material.chain4]) {
    const ders = await Promise.all(chain.map(der));
    const orders = permutations(ders.map((_, i) => i));
    assert.equal(orders.length, chain.length === 3 ? 6 : 24);
    for (const order of orders) {
      const warnings: string[] = [];
      const ordered = orderChain(order.map((i) => ders[i]), (w) => warnings.push(w));
      assert.deepEqual(ordered, ders, `order ${order.join("")}`);
      assert.deepEqual(warnings, []);
    }
    // The expected order itself is a chain to openssl: each certificate is issued by the next.
    const pems = ders.map((d) => encodePem("CERTIFICATE", d));
    const dir = await Deno.makeTempDir();
    try {
      const files = await Promise.all(pems.map(async (pem, i) => {
        await Deno.writeTextFile(`${dir}/${i}.pem`, pem);
        return `${dir}/${i}.pem`;
      }));
      await Deno.writeTextFile(`${dir}/untrusted.pem`, pems.slice(1, -1).join(""));
      const out = await openssl([
        "verify",
        "-CAfile",
        files.at(-1)!,
        "-untrusted",
        `${dir}/untrusted.pem`,
        files[0],
      ]);
      assert.match(text(out), /: OK/);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  }
});

Deno.test("chain: a missing intermediate or a cycle keeps Key Vault's order and warns", async () => {
  const material = await generateMaterial();
  const [leaf, int2, , root] = await Promise.all(material.chain4.map(der));
  const warnings: string[] = [];
  assert.deepEqual(orderChain([root, leaf, int2], (w) => warnings.push(w)), [root, leaf, int2]);
  assert.deepEqual(warnings, [
    "certificate chain is not complete due to missing intermediate/root certificates in the cert from key vault",
  ]);

  // Two certificates issued by each other's key: every one is a parent, so there is no leaf.
  const dir = await Deno.makeTempDir();
  try {
    const [a, b] = await Promise.all([
      generateKey(`${dir}/a.key`, "P-256"),
      generateKey(`${dir}/b.key`, "P-256"),
    ]);
    const [a0, b0] = await Promise.all([selfSigned(dir, "a0", a, true), selfSigned(dir, "b0", b, true)]);
    const aByB = await issued(dir, "a", a, { cert: b0, key: b }, true);
    const bByA = await issued(dir, "b", b, { cert: a0, key: a }, true);
    const cycle = await Promise.all([aByB, bByA].map(der));
    assert.equal(keyIdentifiers(cycle[0]).authorityKeyId, keyIdentifiers(cycle[1]).subjectKeyId);
    assert.equal(keyIdentifiers(cycle[1]).authorityKeyId, keyIdentifiers(cycle[0]).subjectKeyId);
    const seen: string[] = [];
    assert.deepEqual(orderChain(cycle, (w) => seen.push(w)), cycle);
    assert.match(seen[0], /not complete .*no leaf: the certificates certify each other in a cycle/);
    // With a leaf below the pair, the walk stops where it would revisit a certificate (the Go
    // provider fails the mount here with "constructing chain resulted in cycle").
    const leafKey = await generateKey(`${dir}/l.key`, "P-256");
    const leafOfA = await der(await issued(dir, "l", leafKey, { cert: aByB, key: a }, false));
    const none: string[] = [];
    assert.deepEqual(orderChain([cycle[1], leafOfA, cycle[0]], (w) => none.push(w)), [leafOfA, ...cycle]);
    assert.deepEqual(none, []);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

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
