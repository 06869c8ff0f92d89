/** The YAML reader's bounds and strictness (docs/security.md). */
import assert from "node:assert/strict";
import { parseYamlStrings } from "../../src/config/yaml.ts";

Deno.test("parseYamlStrings: deep nesting refused, duplicate keys found (aliases resolved), no warnings printed", () => {
  assert.throws(() => parseYamlStrings("[".repeat(100_000)), /nest more than 64 levels/);
  assert.throws(() => parseYamlStrings("- ".repeat(100_000) + "x"), /nest more than 64 levels/);
  assert.throws(() => parseYamlStrings("a: 1\nb: 2\na: 3"), /Map keys must be unique: "a" is set twice/);
  assert.throws(() => parseYamlStrings("k: &k a\n*k : 1\na: 2"), /Map keys must be unique: "a"/);
  assert.throws(() => parseYamlStrings("x: {a: 1, a: 2}"), /Map keys must be unique/);
  assert.deepEqual(
    parseYamlStrings(`{${Array.from({ length: 100 }, (_, i) => `k${i}: v`).join(", ")}}`),
    Object.fromEntries(Array.from({ length: 100 }, (_, i) => [`k${i}`, "v"])),
  );
  // An unknown tag is a warning of the YAML library: not printed, the value kept as a string.
  assert.deepEqual(parseYamlStrings("a: !custom b"), { a: "b" });
  assert.throws(() => parseYamlStrings("a: &x [*x]"), /alias \*x refers to a collection that contains it/);
  assert.throws(
    () => parseYamlStrings("a: &x {b: [c, *x]}"),
    /alias \*x refers to a collection that contains it/,
  );
  assert.deepEqual(parseYamlStrings("a: &x [1]\nb: *x"), { a: ["1"], b: ["1"] });
});
