/**
 * PEM text, written exactly as Go's `pem.EncodeToMemory` writes it (the Go provider's files
 * are the reference). Reading PEM is pem_reader.ts.
 */
import { Buffer } from "node:buffer";

/** One PEM block: its type (`CERTIFICATE`, `PRIVATE KEY`, …), headers and DER bytes. */
export interface PemBlock {
  readonly type: string;
  /** RFC 1421 headers such as `Proc-Type`, in the order they were read. */
  readonly headers: readonly (readonly [string, string])[];
  readonly bytes: Uint8Array;
}

/**
 * Encodes one block: `-----BEGIN type-----`, headers (Proc-Type first, then the others
 * sorted, then a blank line), standard base64 in lines of 64 characters, `-----END type-----`,
 * each line ending in `\n`.
 */
export function encodePem(type: string, bytes: Uint8Array, headers: PemBlock["headers"] = []): string {
  let text = `-----BEGIN ${type}-----\n`;
  if (headers.length > 0) {
    const sorted = [...headers].sort(([a], [b]) =>
      a === "Proc-Type" ? -1 : b === "Proc-Type" ? 1 : a < b ? -1 : a > b ? 1 : 0
    );
    for (const [name, value] of sorted) text += `${name}: ${value}\n`;
    text += "\n";
  }
  const base64 = Buffer.from(bytes).toString("base64");
  for (let i = 0; i < base64.length; i += 64) text += base64.slice(i, i + 64) + "\n";
  return text + `-----END ${type}-----\n`;
}

/** Encodes blocks one after the other. */
export function encodePemBlocks(blocks: readonly PemBlock[]): string {
  return blocks.map((block) => encodePem(block.type, block.bytes, block.headers)).join("");
}
