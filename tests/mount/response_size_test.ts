import assert from "node:assert/strict";
import fc from "fast-check";
import { mountResponseSize } from "../../src/mount/response_size.ts";
import { providerService } from "../../src/transport/proto.ts";

Deno.test("mountResponseSize is the size of the MountResponse the server encodes", () => {
  const text = fc.string({ unit: "binary", maxLength: 300 });
  const result = fc.record({
    objectVersions: fc.array(fc.record({ id: text, version: text }), { maxLength: 5 }),
    files: fc.array(
      fc.record({
        path: text,
        mode: fc.integer({ min: 0, max: 0o777 }),
        contents: fc.oneof(
          fc.uint8Array({ maxLength: 300 }),
          fc.integer({ min: 0, max: 70_000 }).map((n) => new Uint8Array(n)),
        ),
      }),
      { maxLength: 5 },
    ),
  });
  fc.assert(
    fc.property(result, (result) => {
      const encoded = providerService.Mount.responseSerialize({
        object_version: result.objectVersions,
        files: result.files,
      });
      assert.equal(mountResponseSize(result), encoded.length);
    }),
    { numRuns: 500, seed: 7 },
  );
});
