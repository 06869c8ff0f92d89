import assert from "node:assert/strict";
import { conflictingPaths, filePathProblem, PathSet } from "../../src/config/paths.ts";

Deno.test("paths: the driver's rules", () => {
  assert.deepEqual(filePathProblem("a/b.pem"), undefined);
  assert.deepEqual(filePathProblem(""), "file name must not be empty");
  assert.deepEqual(conflictingPaths(["a", "b", "a"]), ["a", "a"]);
  assert.deepEqual(conflictingPaths(["a/0", "a"]), ["a", "a/0"]);
  assert.deepEqual(conflictingPaths(["a/0", "a/1", "b"]), undefined);
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
