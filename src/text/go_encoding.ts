import { Buffer } from "node:buffer";

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
