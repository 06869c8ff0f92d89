import { Buffer } from "node:buffer";
import type { ObjectEncoding } from "../config/object_spec.ts";
import { ObjectFormatError } from "./object_type.ts";

/**
 * Decodes a secret's value as its `objectEncoding` says: utf-8 writes the text, base64 and hex
 * write the bytes they encode, exactly as the Go provider's `base64.StdEncoding.DecodeString`
 * and `hex.DecodeString` would, after one deliberate leniency: spaces, tabs and line breaks
 * around the value are ignored (Go refuses them; they can never be part of the encoded data,
 * and a trailing newline is how `echo` and most editors store a value). Errors never quote
 * the value.
 */
export function decodeContent(value: string, encoding: ObjectEncoding): Uint8Array {
  switch (encoding) {
    case "utf-8":
      return new TextEncoder().encode(value);
    case "base64": {
      const bytes = decodeGoBase64(trimAsciiSpace(value));
      if (bytes) return bytes;
      throw new ObjectFormatError(
        "failed to decode the value as base64 (standard alphabet, with padding); check objectEncoding",
      );
    }
    case "hex": {
      const bytes = decodeGoHex(trimAsciiSpace(value));
      if (bytes) return bytes;
      throw new ObjectFormatError("failed to decode the value as hex; check objectEncoding");
    }
  }
}

const STD_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Go's `base64.StdEncoding.DecodeString`: the standard alphabet with padding; `\r` and `\n`
 * are skipped wherever they are (so `base64` and `openssl base64` line-wrapped output
 * decodes); any other character, a missing or misplaced `=` and the URL-safe `-` and `_`
 * are refused. Like Go (not strict mode), unused bits of the last character may be set.
 * Returns `undefined` where Go returns an error.
 */
export function decodeGoBase64(text: string): Uint8Array | undefined {
  const joined = text.replace(/[\r\n]/g, "");
  if (!STD_BASE64.test(joined)) return undefined;
  return new Uint8Array(Buffer.from(joined, "base64"));
}

/**
 * Go's `hex.DecodeString`: pairs of hex digits in either case, nothing else (no whitespace,
 * no `0x`, no odd length). Returns `undefined` where Go returns an error.
 */
export function decodeGoHex(text: string): Uint8Array | undefined {
  if (!/^(?:[0-9A-Fa-f]{2})*$/.test(text)) return undefined;
  return new Uint8Array(Buffer.from(text, "hex"));
}

/** Removes ASCII spaces, tabs and line breaks (`\t\n\v\f\r `) at both ends, and nothing else. */
function trimAsciiSpace(text: string): string {
  return text.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, "");
}
