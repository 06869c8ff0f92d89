import assert from "node:assert/strict";
import { InvalidMountConfigError } from "../src/errors.ts";

/** The longest message (docs/security.md): a gRPC status travels in an HTTP/2 trailer, which clients cap. */
const MAX_MESSAGE_LENGTH = 2048;

Deno.test("InvalidMountConfigError messages are always one bounded line", () => {
  const error = new InvalidMountConfigError(`bad "${"v".repeat(10_000)}"\nsecond line`);
  assert.ok(error.message.length <= MAX_MESSAGE_LENGTH);
  assert.ok(!error.message.includes("\n"));
});
