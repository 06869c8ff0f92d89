/**
 * The parts of node-forge the provider uses, typed. node-forge is the only maintained
 * JavaScript library that decrypts every PKCS#12 encryption Key Vault and OpenSSL produce
 * (legacy pbeWithSHAAnd3-KeyTripleDES-CBC and pbeWithSHAAnd40BitRC2-CBC, and PBES2/AES);
 * see docs/development.md, Dependencies and why. Only this module imports it, so it can be swapped.
 *
 * forge works on "binary strings" (one char per byte); {@link toBinary} and {@link toBytes}
 * convert at the edge so the rest of the code sees Uint8Array.
 */
// Loading only the PKCS#12 module (and what it requires) keeps TLS, HTTP and the rest of
// forge out of the process.
import forgeRoot from "node-forge/lib/forge.js";
import "node-forge/lib/pkcs12.js";
import "node-forge/lib/sha256.js";
import "node-forge/lib/sha512.js";

/** A node of forge's ASN.1 tree. */
export interface Asn1 {
  tagClass: number;
  type: number;
  constructed: boolean;
  /** Primitive: the content as a binary string; constructed: the children. */
  value: string | Asn1[];
}

/** A byte buffer of forge. */
export interface ForgeBuffer {
  getBytes(): string;
  length(): number;
}

interface Digest {
  readonly digestLength: number;
}

interface Cipher {
  update(input: ForgeBuffer): void;
  finish(): boolean;
  output: ForgeBuffer;
}

interface Hmac {
  start(md: Digest, key: ForgeBuffer): void;
  update(bytes: string): void;
  getMac(): ForgeBuffer;
}

interface Forge {
  asn1: {
    Class: { UNIVERSAL: number; CONTEXT_SPECIFIC: number };
    Type: {
      INTEGER: number;
      OCTETSTRING: number;
      OID: number;
      SEQUENCE: number;
      SET: number;
      BOOLEAN: number;
      NULL: number;
    };
    fromDer(bytes: string, options: { strict: boolean; decodeBitStrings: boolean }): Asn1;
    create(tagClass: number, type: number, constructed: boolean, value: string | Asn1[]): Asn1;
    oidToDer(oid: string): ForgeBuffer;
    integerToDer(value: number): ForgeBuffer;
    toDer(node: Asn1): ForgeBuffer;
    derToOid(bytes: string): string;
  };
  pki: {
    oids: Record<string, string>;
    pbe: { getCipher(oid: string, params: Asn1, password: string | null): Cipher };
    decryptPrivateKeyInfo(encrypted: Asn1, password: string | null): Asn1 | null;
  };
  pkcs12: {
    generateKey(
      password: string | null,
      salt: ForgeBuffer,
      id: number,
      iterations: number,
      length: number,
      md: Digest,
    ): ForgeBuffer;
  };
  md: Record<string, { create(): Digest } | undefined>;
  hmac: { create(): Hmac };
  util: { createBuffer(bytes?: string): ForgeBuffer };
  pem: { decode(text: string): ForgePemMessage[] };
}

/** One PEM block as forge decodes it. */
export interface ForgePemMessage {
  type: string;
  procType: { version: string; type: string } | null;
  contentDomain: string | null;
  dekInfo: { algorithm: string; parameters: string | null } | null;
  headers: { name: string; values: string[] }[];
  /** The decoded body as a binary string. */
  body: string;
}

/** The node-forge namespace with the modules above loaded. */
export const forge = forgeRoot as unknown as Forge;

/** Bytes as a forge binary string. */
export function toBinary(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return text;
}

/** A forge binary string as bytes. */
export function toBytes(binary: string): Uint8Array {
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Parses DER (or BER) bytes; lenient like Go's BER-tolerant PKCS#12 reader. */
export function parseAsn1(bytes: Uint8Array | string): Asn1 {
  const binary = typeof bytes === "string" ? bytes : toBinary(bytes);
  return forge.asn1.fromDer(binary, { strict: false, decodeBitStrings: false });
}

/** The DER encoding of a parsed node. */
export function encodeAsn1(node: Asn1): Uint8Array {
  return toBytes(forge.asn1.toDer(node).getBytes());
}
