import { Buffer } from "node:buffer";
import type { ObjectEncoding } from "../config/object_spec.ts";
import { ObjectFormatError } from "./object_type.ts";

/**
 * Decodes a secret's value as its `objectEncoding` says: utf-8 writes the text, base64
 * (standard alphabet, padding required) and hex write the bytes they encode. Errors never
 * quote the value.
 */
export function decodeContent(value: string, encoding: ObjectEncoding): Uint8Array {
  switch (encoding) {
    case "utf-8":
      return new TextEncoder().encode(value);
    case "base64":
      if (!/^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/.test(value.trim())) {
        throw new ObjectFormatError(
          "failed to decode the value as base64 (standard alphabet, with padding); check objectEncoding",
        );
      }
      return new Uint8Array(Buffer.from(value.trim(), "base64"));
    case "hex":
      if (!/^(?:[0-9A-Fa-f]{2})*$/.test(value.trim())) {
        throw new ObjectFormatError("failed to decode the value as hex; check objectEncoding");
      }
      return new Uint8Array(Buffer.from(value.trim(), "hex"));
  }
}
