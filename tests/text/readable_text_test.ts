/** Readable text: what every message and log line goes through (docs/security.md). */
import assert from "node:assert/strict";
import { clip, readableLine } from "../../src/text/readable_text.ts";

/** The longest message (docs/security.md): a gRPC status travels in an HTTP/2 trailer, which clients cap. */
const MAX_MESSAGE_LENGTH = 2048;

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
