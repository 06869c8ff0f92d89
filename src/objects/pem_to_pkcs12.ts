/**
 * `objectFormat: pfx` for a certificate stored as PEM: its key and certificates become the
 * PKCS#12 file Key Vault would have stored (base64 text), with the chain ordered leaf → root
 * and the certificate of the key first.
 */
import { X509Certificate } from "node:crypto";
import type { KeyObject } from "node:crypto";
import { Buffer } from "node:buffer";
import { orderChain } from "./chain.ts";
import { FormatContext, ObjectFormatError } from "./object_type.ts";
import type { PemBlock } from "./pem.ts";
import { readPemBlocks } from "./pem_reader.ts";
import { pkcs12Base64, writePkcs12 } from "./pkcs12_writer.ts";
import { parsePrivateKey } from "./private_key.ts";

/** PEM block types of an unencrypted private key: PKCS#8, PKCS#1 RSA, SEC1 EC. */
const KEY_TYPES = ["PRIVATE KEY", "RSA PRIVATE KEY", "EC PRIVATE KEY"];

/** The PFX (standard base64) of a certificate's PEM value. Errors never quote the value. */
export function pemToPkcs12(value: string, context: FormatContext): string {
  const blocks = readPemBlocks(value);
  const key = parsePrivateKey(onlyKey(blocks).bytes);
  const certificates = blocks.filter((block) => block.type === "CERTIFICATE").map((block) => block.bytes);
  if (certificates.length === 0) {
    throw new ObjectFormatError("objectFormat pfx: the certificate's PEM value holds no CERTIFICATE block");
  }
  const chain = leafFirst(orderChain(certificates, context.warn), key);
  const pkcs8 = new Uint8Array(key.export({ type: "pkcs8", format: "der" }));
  return pkcs12Base64(writePkcs12({ key: pkcs8, certificates: chain }));
}

function onlyKey(blocks: readonly PemBlock[]): PemBlock {
  const encrypted = (block: PemBlock) =>
    block.type === "ENCRYPTED PRIVATE KEY" || (KEY_TYPES.includes(block.type) && block.headers.length > 0);
  if (blocks.some(encrypted)) {
    throw new ObjectFormatError(
      "objectFormat pfx: the certificate's private key is encrypted in its PEM value",
    );
  }
  const keys = blocks.filter((block) => KEY_TYPES.includes(block.type));
  if (keys.length !== 1) {
    throw new ObjectFormatError(
      `objectFormat pfx needs one private key in the certificate's PEM value, found ${keys.length}`,
    );
  }
  return keys[0];
}

/** The certificates with the key's own first (an incomplete chain may have put another first). */
function leafFirst(certificates: Uint8Array[], key: KeyObject): Uint8Array[] {
  const leaf = certificates.findIndex((certificate) => ownsKey(certificate, key));
  if (leaf < 0) {
    throw new ObjectFormatError(
      "objectFormat pfx: the private key belongs to none of the certificates in the PEM value",
    );
  }
  return [certificates[leaf], ...certificates.filter((_, i) => i !== leaf)];
}

function ownsKey(certificate: Uint8Array, key: KeyObject): boolean {
  try {
    return new X509Certificate(Buffer.from(certificate)).checkPrivateKey(key);
  } catch {
    throw new ObjectFormatError("a certificate could not be parsed as X.509");
  }
}
