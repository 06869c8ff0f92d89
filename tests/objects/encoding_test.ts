/**
 * objectEncoding base64 and hex decode exactly as the Go provider's decoders do
 * (`base64.StdEncoding.DecodeString`, `hex.DecodeString`), plus the one leniency listed in
 * docs/differences-from-go.md: ASCII spaces, tabs and line breaks around the value are ignored.
 *
 * The tables are Go's own output (Go 1.26.8), printed by tests/objects/go_decoding/main.go; each
 * row is [input, Go's bytes as hex or null for Go's error, Go's result for the input without
 * the whitespace around it]. Rerun that program to regenerate them.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import type { ObjectEncoding } from "../../src/config/object_spec.ts";
import { decodeContent } from "../../src/objects/encoding.ts";
import { ObjectFormatError } from "../../src/objects/object_type.ts";

type Row = [input: string, go: string | null, goAfterTrim: string | null];

const BASE64: Row[] = [
  ["", "", ""],
  ["QQ==", "41", "41"],
  ["QUI=", "4142", "4142"],
  ["QUJD", "414243", "414243"],
  ["QUJDRA==", "41424344", "41424344"],
  [
    "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tng5+71/AMKERgfJi00O0JJUFdeZWxzeoGIj5ad",
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969d",
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969d",
  ],
  [
    "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tng5+71/AMKERgfJi00O0JJUFdeZWxzeoGI\nj5ad\n",
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969d",
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969d",
  ],
  [
    "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tng5+71/AMKERgfJi00O0JJ\nUFdeZWxzeoGIj5ad\n",
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969d",
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969d",
  ],
  [
    "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tng5+71/AMKERgfJi00O0JJUFdeZWxzeoGI\r\nj5ad\r\n",
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969d",
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969d",
  ],
  [
    "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tng5+71/AMKERgfJi00O0JJ\r\nUFdeZWxzeoGIj5ad\r\n",
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969d",
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969d",
  ],
  [
    "AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tng5+71/AMKERgfJi00O0JJ\nUFdeZWxzeoGIj5ad",
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969d",
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969d",
  ],
  ["QQ==\n", "41", "41"],
  ["\nQQ==", "41", "41"],
  ["QU\nJD", "414243", "414243"],
  ["QU\r\nJD", "414243", "414243"],
  ["Q\rQ\n=\r=", "41", "41"],
  ["QQ=\n=", "41", "41"],
  ["QQ==\n\n\n", "41", "41"],
  ["Q\nU\nJ\nD", "414243", "414243"],
  ["\r\n", "", ""],
  ["\n", "", ""],
  ["QUJD\n\r\n\r", "414243", "414243"],
  [" QUJD", null, "414243"],
  ["QUJD ", null, "414243"],
  ["\tQUJD", null, "414243"],
  ["QUJD\t", null, "414243"],
  [" QUJD\n", null, "414243"],
  ["QUJD\n ", null, "414243"],
  ["\u000bQUJD", null, "414243"],
  ["QUJD\f", null, "414243"],
  [
    "  AAcOFRwjKjE4P0ZNVFtiaXB3foWMk5qhqK+2vcTL0tng5+71/AMKERgfJi00O0JJ\nUFdeZWxzeoGIj5ad\n  ",
    null,
    "00070e151c232a31383f464d545b626970777e858c939aa1a8afb6bdc4cbd2d9e0e7eef5fc030a11181f262d343b424950575e656c737a81888f969d",
  ],
  ["QU JD", null, null],
  ["QU\tJD", null, null],
  ["QUJD\u00a0", null, null],
  ["\u00a0QUJD", null, null],
  ["QUJD\u2028", null, null],
  ["\ufeffQUJD", null, null],
  ["QUJD\u0000", null, null],
  ["QQ", null, null],
  ["QUI", null, null],
  ["QQ=", null, null],
  ["QQ===", null, null],
  ["Q", null, null],
  ["QUJDR", null, null],
  ["QQ==QQ==", null, null],
  ["QUJD=", null, null],
  ["=", null, null],
  ["====", null, null],
  ["QUJD====", null, null],
  ["+/+/", "fbffbf", "fbffbf"],
  ["/w==", "ff", "ff"],
  ["+w==", "fb", "fb"],
  ["-_-_", null, null],
  ["-_8=", null, null],
  ["_w==", null, null],
  ["QR==", "41", "41"],
  ["QUJ=", "4142", "4142"],
];

const HEX: Row[] = [
  ["", "", ""],
  ["41", "41", "41"],
  ["4142", "4142", "4142"],
  ["0a0B", "0a0b", "0a0b"],
  ["DEADbeef", "deadbeef", "deadbeef"],
  ["AbCdEf", "abcdef", "abcdef"],
  ["abcdef0123456789ABCDEF", "abcdef0123456789abcdef", "abcdef0123456789abcdef"],
  ["414", null, null],
  ["4", null, null],
  ["0x41", null, null],
  ["4g", null, null],
  ["zz", null, null],
  ["4 1", null, null],
  ["41\n42", null, null],
  ["41\n", null, "41"],
  ["\n41", null, "41"],
  [" 41", null, "41"],
  ["41 ", null, "41"],
  ["41\t", null, "41"],
  ["41\r\n", null, "41"],
  ["41\r", null, "41"],
  [" 41 \n", null, "41"],
  ["41\u00a0", null, null],
  ["\ufeff41", null, null],
];

/** What we write for an input: bytes as hex, or null when the mount fails. */
function ours(input: string, encoding: ObjectEncoding): string | null {
  try {
    return Buffer.from(decodeContent(input, encoding)).toString("hex");
  } catch (error) {
    assert.ok(error instanceof ObjectFormatError, String(error));
    assert.match(error.message, new RegExp(`failed to decode the value as ${encoding}`));
    return null;
  }
}

for (const [encoding, table] of [["base64", BASE64], ["hex", HEX]] as const) {
  Deno.test(`objectEncoding ${encoding}: Go's bytes for every value Go decodes, else a failure`, () => {
    for (const [input, go, goAfterTrim] of table) {
      // Go's result, or (the documented leniency) Go's result once the whitespace around is gone.
      const expected = go ?? goAfterTrim;
      assert.equal(ours(input, encoding), expected, `${encoding} ${JSON.stringify(input)}`);
    }
  });
}

Deno.test("objectEncoding: the tables hold the cases that differ between decoders", () => {
  const base64 = BASE64.map(([input]) => input);
  assert.ok(base64.some((input) => /^[^\n]{76}\n/.test(input)), "base64(1) lines of 76");
  assert.ok(base64.some((input) => /^[^\r\n]{64}\r\n/.test(input)), "openssl lines of 64, CRLF");
  assert.ok(base64.some((input) => /[-_]/.test(input)), "URL-safe alphabet");
  assert.ok(BASE64.some(([input, go]) => go === null && /^[A-Za-z0-9]+$/.test(input)), "missing padding");
  assert.ok(HEX.some(([input, go, trimmed]) => go === null && trimmed !== null && input.endsWith("\n")));
  assert.ok(HEX.some(([input, go]) => go !== null && /[a-f]/.test(input) && /[A-F]/.test(input)));
});
