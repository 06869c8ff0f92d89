import assert from "node:assert/strict";
import { InvalidMountConfigError } from "../../src/errors.ts";
import { decodeMountRequest } from "../../src/config/request.ts";

const good = { attributes: '{"a":"b"}', secrets: "null", permission: "420" };

Deno.test("decodeMountRequest reads the driver's JSON fields", () => {
  const decoded = decodeMountRequest(good);
  assert.deepEqual(decoded.attributes.a, "b");
  assert.deepEqual(decoded.secrets, null);
  assert.deepEqual(decoded.permission, 0o644);
  assert.deepEqual(decodeMountRequest({ ...good, secrets: '{"clientid":"x"}' }).secrets?.clientid, "x");
});

const badInputs: [string, Partial<typeof good>, RegExp][] = [
  ["empty attributes", { attributes: "" }, /^failed to unmarshal attributes, error: the field is empty$/],
  ["attributes not JSON", { attributes: "{" }, /^failed to unmarshal attributes, error: /],
  [
    "attributes an array",
    { attributes: "[]" },
    /attributes, error: expected a JSON object of strings, got an array/,
  ],
  [
    "attributes null",
    { attributes: "null" },
    /attributes, error: expected a JSON object of strings, got null/,
  ],
  ["attribute not a string", { attributes: '{"a":1}' }, /the value of "a" must be a string, got a number/],
  ["empty secrets", { secrets: "" }, /^failed to unmarshal secrets, error: the field is empty$/],
  ["secrets a string", { secrets: '"x"' }, /^failed to unmarshal secrets, error: expected a JSON object/],
  [
    "empty permission",
    { permission: "" },
    /^failed to unmarshal file permission, error: the field is empty$/,
  ],
  ["permission a string", { permission: '"420"' }, /file permission, error: expected a decimal file mode/],
  ["permission fractional", { permission: "4.2" }, /expected a decimal file mode/],
  ["permission too large", { permission: "512" }, /512 is not a file mode between 0 and 511/],
  ["permission negative", { permission: "-1" }, /-1 is not a file mode/],
];

for (const [name, change, message] of badInputs) {
  Deno.test(`decodeMountRequest rejects ${name}`, () => {
    assert.throws(() => decodeMountRequest({ ...good, ...change }), InvalidMountConfigError);
    assert.throws(() => decodeMountRequest({ ...good, ...change }), { message });
  });
}
