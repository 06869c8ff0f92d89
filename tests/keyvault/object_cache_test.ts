/**
 * The object cache's bounds on their own: entries and bytes, least recently used first out,
 * values gone at expiry, nothing kept with a TTL of 0. (Through the socket, with Key Vault
 * request counts: tests/integration/object_cache_test.ts.)
 */
import assert from "node:assert/strict";
import { identityKey, objectKey, vaultKey } from "../../src/cache/keys.ts";
import { approximateBytes, ObjectCache } from "../../src/keyvault/object_cache.ts";

const vault = vaultKey(identityKey("servicePrincipal", { clientId: "a" }), "https://v.vault.azure.net");
const key = (name: string) => objectKey(vault, { objectType: "secret", objectName: name, objectVersion: "" });

Deno.test("object cache: at most maxEntries, the least recently used goes first", () => {
  const cache = new ObjectCache<string>({ ttlMs: 60_000, maxEntries: 3, maxBytes: 1_000 });
  for (const name of ["a", "b", "c"]) cache.set(key(name), name, 1);
  assert.equal(cache.get(key("a")), "a"); // a is now the most recent
  cache.set(key("d"), "d", 1);
  assert.equal(cache.get(key("b")), undefined, "b was the least recently used");
  assert.deepEqual(["a", "c", "d"].map((name) => cache.get(key(name))), ["a", "c", "d"]);
});

Deno.test("object cache: at most maxBytes; a value larger than the bound is not kept", () => {
  const cache = new ObjectCache<string>({ ttlMs: 60_000, maxEntries: 100, maxBytes: 10 });
  cache.set(key("a"), "a", 4);
  cache.set(key("b"), "b", 4);
  cache.set(key("c"), "c", 4);
  assert.equal(cache.get(key("a")), undefined);
  assert.equal(cache.get(key("c")), "c");
  cache.set(key("huge"), "huge", 11);
  assert.equal(cache.get(key("huge")), undefined);
  assert.equal(cache.get(key("b")), "b", "a value too large evicts nothing");
});

Deno.test("object cache: values are dropped at expiry; a TTL of 0 keeps nothing", async () => {
  const cache = new ObjectCache<string>({ ttlMs: 50, maxEntries: 10, maxBytes: 100 });
  cache.set(key("a"), "a", 1);
  assert.equal(cache.get(key("a")), "a");
  const deadline = Date.now() + 10_000;
  while (cache.get(key("a")) !== undefined) {
    assert.ok(Date.now() < deadline, "expired within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  const off = new ObjectCache<string>({ ttlMs: 0, maxEntries: 10, maxBytes: 100 });
  off.set(key("a"), "a", 1);
  assert.equal(off.enabled, false);
  assert.equal(off.get(key("a")), undefined);
});

Deno.test("object cache: approximate bytes count strings and byte arrays at any depth", () => {
  const small = approximateBytes({ version: "v", value: { value: "x" } });
  const large = approximateBytes({
    version: "v",
    value: { value: "x".repeat(10_000), der: new Uint8Array(5_000) },
  });
  assert.ok(large - small >= 15_000 - 10);
});
