import assert from "node:assert/strict";
import { YamlError } from "../../src/config/yaml.ts";
import { parseRecentYamlStrings } from "../../src/config/yaml_parse_cache.ts";

Deno.test("parseRecentYamlStrings: a text parsed again gives an equal value that is a copy of its own", () => {
  const text = "array:\n  - |\n    objectName: db-password\n    objectType: secret\n";
  const first = parseRecentYamlStrings(text) as { array: string[] };
  first.array.push("changed by the caller");
  (first as Record<string, unknown>).extra = "x";
  const second = parseRecentYamlStrings(text);
  assert.deepEqual(second, { array: ["objectName: db-password\nobjectType: secret\n"] });
  assert.notEqual(second, first);
});

Deno.test("parseRecentYamlStrings: a text that failed fails again with the same message", () => {
  const text = "a: 1\na: 2\n";
  const messages = [0, 1].map(() => {
    try {
      parseRecentYamlStrings(text);
      return "parsed";
    } catch (error) {
      assert.ok(error instanceof YamlError);
      return error.message;
    }
  });
  assert.equal(messages[0], messages[1]);
  assert.match(messages[0], /"a" is set twice/);
});

Deno.test("parseRecentYamlStrings: scalars stay strings and a __proto__ key stays an own key", () => {
  const value = parseRecentYamlStrings("mode: 0644\n__proto__: x\n") as Record<string, unknown>;
  assert.equal(value.mode, "0644");
  assert.equal(Object.getPrototypeOf(value), Object.prototype);
  assert.ok(Object.hasOwn(value, "__proto__"));
  const again = parseRecentYamlStrings("mode: 0644\n__proto__: x\n") as Record<string, unknown>;
  assert.ok(Object.hasOwn(again, "__proto__"));
  assert.equal(Object.getPrototypeOf(again), Object.prototype);
});
