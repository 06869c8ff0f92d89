/** Small byte helpers for tests. */
import { Buffer } from "node:buffer";

/** Decodes standard base64 to bytes. */
export function decodeBase64(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, "base64"));
}

/** Decodes UTF-8 bytes to text. */
export function text(bytes: Uint8Array): string {
  return new TextDecoder().decode(bytes);
}
