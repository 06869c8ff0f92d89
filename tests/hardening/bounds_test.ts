/** Unit tests of the bounds the hardening added: readable text, JSON errors, YAML, paths (logs: tests/log/). */
import assert from "node:assert/strict";
import { InvalidMountConfigError } from "../../src/errors.ts";
import { describeJsonSyntaxError } from "../../src/text/json_syntax.ts";
import { parseObjects } from "../../src/config/objects_parameter.ts";
import { conflictingPaths, filePathProblem, PathSet } from "../../src/config/paths.ts";
import { ProblemList } from "../../src/config/problems.ts";
import { clip, readableLine } from "../../src/text/readable_text.ts";
import { parseYamlStrings } from "../../src/config/yaml.ts";

// The documented bounds (docs/security.md), stated here rather than imported: the test holds the code to them.
/** The longest message: a gRPC status travels in an HTTP/2 trailer, which clients cap. */
const MAX_MESSAGE_LENGTH = 2048;
/** The `objects` parameter: 256 KiB, 1,000 objects, 20,000 YAML tokens in one document. */
const MAX_OBJECTS_BYTES = 256 * 1024;
const MAX_OBJECTS = 1000;
const MAX_YAML_TOKENS = 20_000;

Deno.test("readableLine: one line, control and direction characters escaped, lone surrogates replaced", () => {
  assert.equal(readableLine("a\nb\r\tc\u0000d\u001be"), "a\\nb\\r\\tc\\u0000d\\u001be");
  assert.equal(readableLine("x\u202ey\u2066z\u2028"), "x\\u202ey\\u2066z\\u2028");
  assert.equal(readableLine("a\ud800b"), "a\ufffdb");
  assert.equal(readableLine("pässwörd ✓ 🔑"), "pässwörd ✓ 🔑");
});

Deno.test("clip: at most max characters, says how many were cut, never splits a surrogate pair", () => {
  const long = "x".repeat(5000);
  const clipped = clip(long, 100);
  assert.ok(clipped.length <= 100);
  assert.match(clipped, /^x+… \(\d+ more characters\)$/);
  const emoji = clip("🔑".repeat(100), 51);
  assert.ok(emoji.isWellFormed());
  assert.ok(readableLine(long).length <= MAX_MESSAGE_LENGTH);
});

Deno.test("InvalidMountConfigError messages are always one bounded line", () => {
  const error = new InvalidMountConfigError(`bad "${"v".repeat(10_000)}"\nsecond line`);
  assert.ok(error.message.length <= MAX_MESSAGE_LENGTH);
  assert.ok(!error.message.includes("\n"));
});

Deno.test("describeJsonSyntaxError never quotes the text", () => {
  for (const text of ['{"clientsecret": "hunter2" x}', "hunter2", '{"a": "hunter2', '["hunter2",]']) {
    let error: unknown;
    try {
      JSON.parse(text);
    } catch (e) {
      error = e;
    }
    const description = describeJsonSyntaxError(error);
    assert.ok(!description.includes("hunter2"), description);
    assert.match(description, /^(not valid JSON|the JSON ends too early)/);
  }
});

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

Deno.test("parseObjects: size, count and token bounds, checked before the costly parsing", () => {
  const problems = new ProblemList();
  parseObjects(`# ${"x".repeat(MAX_OBJECTS_BYTES)}\narray: []`, problems);
  assert.match(
    problems.errors[0].message,
    /^objects is \d+ bytes long; at most 262144 are read on each mount/,
  );
  const many = new ProblemList();
  parseObjects(`array:\n${"  - objectName: a\n".repeat(MAX_OBJECTS + 1)}`, many);
  assert.match(many.errors[0].message, /^objects lists 1001 objects; at most 1000 are mounted at once/);
  const dense = new ProblemList();
  parseObjects(`array: [${"x,".repeat(MAX_YAML_TOKENS)}]`, dense);
  assert.match(dense.errors[0].message, /error: the YAML has more than 20000 tokens/);
  // Each item within its own bound, all of them together over the mount's.
  const items = Array.from({ length: 9 }, (_, i) => `  - |\n    [${i}${",x".repeat(6_000)}]`).join("\n");
  const total = new ProblemList();
  parseObjects(`array:\n${items}\n`, total);
  const last = total.errors.at(-1)!.message;
  assert.match(last, /^objects holds more than 50000 YAML tokens in all .* up to item \d; /);
  assert.ok(total.errors.length < 9, "no item is parsed once the budget is spent");
});

Deno.test("filePathProblem counts bytes as the driver does and refuses lone surrogates", () => {
  const twoByteElements = Array.from({ length: 20 }, () => "é".repeat(127)).join("/");
  assert.ok(twoByteElements.length < 4096);
  // The value is quoted, cut to a readable length.
  assert.match(
    filePathProblem(twoByteElements) ?? "",
    /^file name "é{90,}… \(\d+ more characters\)" must be at most 4096 bytes long$/,
  );
  assert.equal(filePathProblem("é".repeat(127)), undefined);
  assert.equal(
    filePathProblem(`a/${"é".repeat(128)}`),
    `file name "a/${
      "é".repeat(95)
    }… (33 more characters)" must have no folder or file name longer than 255 bytes`,
  );
  assert.equal(
    filePathProblem("a\ud800"),
    'file name "a\\ud800" must be valid Unicode (it has a lone surrogate)',
  );
});

Deno.test("PathSet finds duplicates and file/folder clashes among 50,000 paths", () => {
  assert.deepEqual(conflictingPaths(["a/b", "a"]), ["a", "a/b"]);
  assert.deepEqual(conflictingPaths(["a", "a/b"]), ["a", "a/b"]);
  assert.deepEqual(conflictingPaths(["x", "y", "x"]), ["x", "x"]);
  assert.equal(conflictingPaths(["a/b", "a/c", "b"]), undefined);
  const set = new PathSet();
  for (let i = 0; i < 50_000; i++) assert.equal(set.add(`d${i % 100}/f${i}`), undefined);
  assert.deepEqual(set.conflictWith("d1"), ["d1", "d1/f1"]);
});
