/**
 * Private keys of a PFX, re-encoded as PKCS#8 `PRIVATE KEY` PEM the way the Go provider
 * writes them. node:crypto (OpenSSL underneath) does the parsing and the encoding.
 */
import { Buffer } from "node:buffer";
import { createPrivateKey, type KeyObject } from "node:crypto";
import { ObjectFormatError } from "./object_type.ts";

// The Go provider's order: PKCS#1 (RSA), PKCS#8, then SEC1 (EC).
const FORMATS = ["pkcs1", "pkcs8", "sec1"] as const;

/**
 * Re-encodes a DER private key (PKCS#1 RSA, PKCS#8 or SEC1 EC) as an unencrypted PKCS#8
 * PEM block. The error never quotes the key.
 */
export function toPkcs8Pem(der: Uint8Array): string {
  const key = parsePrivateKey(der);
  return key.export({ type: "pkcs8", format: "pem" }) as string;
}

/** Re-encodes a DER private key (PKCS#1 RSA, PKCS#8 or SEC1 EC) as unencrypted PKCS#8 DER. */
export function toPkcs8Der(der: Uint8Array): Uint8Array {
  return new Uint8Array(parsePrivateKey(der).export({ type: "pkcs8", format: "der" }));
}

/** Parses a DER private key (PKCS#1 RSA, PKCS#8 or SEC1 EC); ObjectFormatError when it is none. */
export function parsePrivateKey(der: Uint8Array): KeyObject {
  const bytes = Buffer.from(der);
  for (const type of FORMATS) {
    try {
      return createPrivateKey({ key: bytes, format: "der", type });
    } catch {
      // try the next format
    }
  }
  throw new ObjectFormatError("failed to parse key for type pkcs1, pkcs8 or ec");
}
