import assert from "node:assert/strict";
import { describeJsonSyntaxError } from "../../src/text/json_syntax.ts";

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
