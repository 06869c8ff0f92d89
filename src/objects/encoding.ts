import type { ObjectEncoding } from "../config/object_spec.ts";
import { decodeGoBase64, decodeGoHex } from "../text/go_encoding.ts";
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

/** Removes ASCII spaces, tabs and line breaks (`\t\n\v\f\r `) at both ends, and nothing else. */
function trimAsciiSpace(text: string): string {
  return text.replace(/^[\t\n\v\f\r ]+|[\t\n\v\f\r ]+$/g, "");
}
