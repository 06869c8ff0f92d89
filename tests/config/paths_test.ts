import assert from "node:assert/strict";
import { conflictingPaths, filePathProblem } from "../../src/config/paths.ts";

Deno.test("paths: the driver's rules", () => {
  assert.deepEqual(filePathProblem("a/b.pem"), undefined);
  assert.deepEqual(filePathProblem(""), "file name must not be empty");
  assert.deepEqual(conflictingPaths(["a", "b", "a"]), ["a", "a"]);
  assert.deepEqual(conflictingPaths(["a/0", "a"]), ["a", "a/0"]);
  assert.deepEqual(conflictingPaths(["a/0", "a/1", "b"]), undefined);
});
