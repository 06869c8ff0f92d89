/**
 * Certificate chains ordered leaf to root (proven against the openssl CLI on material openssl generated,
 * tests/emulator/material.ts).
 */
import assert from "node:assert/strict";
import { orderChain } from "../../src/objects/chain.ts";
import { encodePem } from "../../src/objects/pem.ts";
import { keyIdentifiers } from "../../src/objects/x509.ts";
import { generateKey, generateMaterial, issued, selfSigned } from "../emulator/material.ts";
import { openssl } from "../harness/openssl.ts";

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const der = async (certPath: string) => await openssl(["x509", "-in", certPath, "-outform", "DER"]);

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
