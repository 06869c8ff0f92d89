import assert from "node:assert/strict";
import { BoundedMap } from "../../src/cache/bounded_map.ts";

Deno.test("BoundedMap forgets the least recently used entry", () => {
  const map = new BoundedMap<string, number>(2);
  map.getOrCreate("a", () => 1);
  map.getOrCreate("b", () => 2);
  map.get("a");
  map.getOrCreate("c", () => 3);
  assert.equal(map.get("b"), undefined);
  assert.equal(map.get("a"), 1);
  assert.equal(map.size, 2);
});
