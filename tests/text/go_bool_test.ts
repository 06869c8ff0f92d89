import assert from "node:assert/strict";
import { parseGoBool } from "../../src/text/go_bool.ts";

Deno.test("parseGoBool accepts exactly strconv.ParseBool's words", () => {
  for (const word of ["1", "t", "T", "TRUE", "true", "True"]) assert.deepEqual(parseGoBool("x", word), true);
  for (const word of ["", "0", "f", "F", "FALSE", "false", "False"]) {
    assert.deepEqual(parseGoBool("x", word), false);
  }
  for (const word of ["yes", "tRUE", "on", " true"]) {
    let threw = false;
    try {
      parseGoBool("x", word);
    } catch {
      threw = true;
    }
    assert.ok(threw, word);
  }
});
