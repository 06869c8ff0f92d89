import assert from "node:assert/strict";
import { matchesNamePattern, namePatternProblem } from "../../src/config/name_pattern.ts";

Deno.test("name pattern: * matches any run, case is ignored like Key Vault names", () => {
  const cases: [string, string, boolean][] = [
    ["*", "anything", true],
    ["app-*", "app-", true],
    ["app-*", "App-Alpha", true],
    ["app-*", "apple", false],
    ["*-key", "api-key", true],
    ["*-key", "api-key2", false],
    ["a*b*c", "abc", true],
    ["a*b*c", "a-b-b-c", true],
    ["a*b*c", "acb", false],
    ["**", "x", true],
    ["db", "db", true],
    ["db", "db2", false],
  ];
  for (const [pattern, name, expected] of cases) {
    assert.equal(matchesNamePattern(pattern, name), expected, `${pattern} ~ ${name}`);
  }
});

Deno.test("name pattern: many stars on a name that almost matches (a regular expression backtracks here)", () => {
  assert.equal(matchesNamePattern("*a".repeat(63) + "*b", "a".repeat(127)), false);
  assert.equal(matchesNamePattern("*a".repeat(63) + "*", "a".repeat(127)), true);
});

Deno.test("name pattern: characters secret names cannot have are refused", () => {
  assert.equal(namePatternProblem("app-*"), undefined);
  assert.match(namePatternProblem("app_*")!, /may only hold letters, digits, '-' and '\*'/);
  assert.match(namePatternProblem("*".repeat(128))!, /128 characters long/);
});
