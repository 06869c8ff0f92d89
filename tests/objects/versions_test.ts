import assert from "node:assert/strict";
import { pickVersions } from "../../src/objects/versions.ts";

Deno.test("pickVersions: enabled, newest first, from the start version, N of them", () => {
  const v = (version: string, created: number, enabled = true) => ({
    version,
    enabled,
    createdOn: new Date(created * 1000),
  });
  const listed = [v("a", 1), v("b", 3), v("c", 2, false), v("d", 4), { version: "e", enabled: true }];
  assert.deepEqual(pickVersions(listed, "", 2).map((x) => x.version), ["d", "b"]);
  assert.deepEqual(pickVersions(listed, "latest", 10).map((x) => x.version), ["d", "b", "a", "e"]);
  assert.deepEqual(pickVersions(listed, "b", 2).map((x) => x.version), ["b", "a"]);
  assert.throws(() => pickVersions(listed, "c", 2), /objectVersion c is not among the 4 enabled versions/);
});
