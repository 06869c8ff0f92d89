import assert from "node:assert/strict";
import { parseObjects } from "../../src/config/objects_parameter.ts";
import { ProblemList } from "../../src/config/problems.ts";
import { objectsYaml } from "../harness/spc.ts";

// The documented bounds of the `objects` parameter (docs/security.md), stated here rather than
// imported: the test holds the code to them.
const MAX_OBJECTS_BYTES = 256 * 1024;
const MAX_OBJECTS = 1000;
const MAX_YAML_TOKENS = 20_000;

function parse(text: string) {
  const problems = new ProblemList();
  const specs = parseObjects(text, problems);
  return { specs, errors: problems.errors.map((p) => p.message), warnings: problems.warnings };
}

Deno.test("objects: fields are trimmed, defaulted and typed", () => {
  const { specs, errors } = parse(objectsYaml([{
    objectName: " s1 ",
    objectType: "secret",
    objectAlias: "dir/file",
    objectEncoding: "BASE64",
    objectFormat: "PEM",
    filePermission: "0640",
    objectVersionHistory: "3",
  }]));
  assert.deepEqual(errors, []);
  assert.deepEqual(specs[0].objectName, "s1");
  assert.deepEqual(specs[0].fileName, "dir/file");
  assert.deepEqual(specs[0].objectEncoding, "base64");
  assert.deepEqual(specs[0].objectFormat, "pem");
  assert.deepEqual(specs[0].filePermission, 0o640);
  assert.deepEqual(specs[0].objectVersionHistory, 3);
});

Deno.test("objects: filePermission 0644 written bare stays octal", () => {
  const { specs } = parse(
    "array:\n  - |\n    objectName: s\n    objectType: secret\n    filePermission: 0644\n",
  );
  assert.deepEqual(specs[0].filePermission, 0o644);
});

Deno.test("objects: an empty array gives no objects and no error", () => {
  assert.deepEqual(parse("array: []").specs, []);
  assert.deepEqual(parse("array:").errors, []);
});

const shapes: [string, string, RegExp][] = [
  [
    "a bare list",
    "- objectName: a\n",
    /objects must be a YAML mapping whose "array:" key lists one YAML string/,
  ],
  ["a map item", "array:\n  - objectName: a\n", /item 0 is a mapping/],
  ["array not a list", "array: hello", /objects must be a YAML mapping/],
  ["broken YAML", "array: [", /^failed to yaml unmarshal objects, error: /],
  [
    "an item that is not a mapping",
    "array:\n  - |\n    just text\n",
    /unmarshal failed for keyVaultObjects at index 0/,
  ],
  [
    "duplicate keys",
    "array:\n  - |\n    objectName: a\n    objectName: b\n",
    /index 0, error: .*[Uu]nique|duplicate/i,
  ],
];
for (const [name, text, message] of shapes) {
  Deno.test(`objects: ${name} is an error`, () => {
    const { errors } = parse(text);
    assert.ok(errors.some((e) => message.test(e)), `expected ${message} in ${JSON.stringify(errors)}`);
  });
}

const fields: [string, Record<string, string>, RegExp][] = [
  ["no objectName", { objectName: "" }, /objectName is required/],
  ["no objectType", { objectType: "" }, /objectType is required/],
  [
    "a bad encoding",
    { objectEncoding: "utf-16" },
    /invalid objectEncoding: utf-16, should be hex, base64 or utf-8/,
  ],
  ["a bad format", { objectFormat: "der" }, /invalid objectFormat: der, should be PEM or PFX/],
  ["a bad filePermission", { filePermission: "0999" }, /octal file mode between 0000 and 0777/],
  ["a too large filePermission", { filePermission: "1777" }, /octal file mode/],
  ["a word filePermission", { filePermission: "rw-r--r--" }, /octal file mode/],
  ["a negative history", { objectVersionHistory: "-1" }, /objectVersionHistory must be a whole number/],
  // Each path error quotes the offending value, as the other object errors quote theirs.
  ["an absolute alias", { objectAlias: "/etc/passwd" }, /file name "\/etc\/passwd" must be a relative path/],
  ["a dot-dot alias", { objectAlias: "a/../../b" }, /file name "a\/\.\.\/\.\.\/b" must not contain '\.\.'/],
  ["a ./ alias", { objectAlias: "./a" }, /file name "\.\/a" must be a clean path/],
  ["a // alias", { objectAlias: "a//b" }, /file name "a\/\/b" must be a clean path/],
  ["a trailing slash", { objectAlias: "a/" }, /file name "a\/" must be a clean path/],
  ["a backslash", { objectAlias: "a\\b" }, /file name "a\\\\b" must not contain a backslash/],
  ["a NUL", { objectAlias: "a\u0000b" }, /file name "a\\u0000b" must not contain control characters/],
  [
    "a 256-byte element",
    { objectAlias: "x".repeat(256) },
    /file name "x{90,}… \(\d+ more characters\)" must have no folder or file name longer than 255 bytes/,
  ],
  ["a Windows drive", { objectAlias: "C:\\x" }, /file name "C:\\\\x" must be a relative path/],
];
for (const [name, extra, message] of fields) {
  Deno.test(`objects: ${name} is an error naming the object`, () => {
    const { errors } = parse(objectsYaml([{ objectName: "a", objectType: "secret", ...extra }]));
    assert.ok(errors.some((e) => message.test(e)), `expected ${message} in ${JSON.stringify(errors)}`);
    assert.ok(
      errors.every((e) => e.includes("objectType:") || e.includes("single value")),
      JSON.stringify(errors),
    );
  });
}

Deno.test("objects: unknown fields are warnings with suggestions", () => {
  const { warnings, errors } = parse(
    objectsYaml([{ objectName: "a", objectType: "secret", objectalias: "b" }]),
  );
  assert.deepEqual(errors, []);
  assert.deepEqual(warnings[0].suggestion, "objectAlias");
});

Deno.test("objects: YAML aliases are bounded (billion laughs)", () => {
  const bomb = 'array:\n  - |\n    a: &a ["x","x","x","x","x","x","x","x","x"]\n' +
    "    b: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\n    c: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\n" +
    "    d: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\n    e: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\n";
  const { errors } = parse(bomb);
  assert.deepEqual(errors.length, 1);
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
