/**
 * The two X.509 extensions chain ordering needs: Subject Key Identifier and the key
 * identifier of Authority Key Identifier (RFC 5280 §4.2.1.1–2). node-forge parses the DER;
 * its certificate model covers only RSA keys, so the extensions are read from the ASN.1
 * tree, which works for every key algorithm.
 */
import { type Asn1, forge, parseAsn1 } from "./forge.ts";
import { ObjectFormatError } from "./object_type.ts";

/** A certificate's key identifiers, as hex; absent when the extension (or field) is. */
export interface KeyIdentifiers {
  readonly subjectKeyId?: string;
  readonly authorityKeyId?: string;
}

const SUBJECT_KEY_IDENTIFIER = "2.5.29.14";
const AUTHORITY_KEY_IDENTIFIER = "2.5.29.35";

/** Reads the key identifiers of a DER certificate; ObjectFormatError if it is not one. */
export function keyIdentifiers(der: Uint8Array): KeyIdentifiers {
  try {
    return readIdentifiers(parseAsn1(der));
  } catch (error) {
    if (error instanceof ObjectFormatError) throw error;
    throw new ObjectFormatError("a certificate could not be parsed as X.509");
  }
}

function readIdentifiers(certificate: Asn1): KeyIdentifiers {
  const [tbs] = sequence(certificate);
  const extensions = sequence(tbs).find((field) => isContext(field, 3));
  if (!extensions) return {};
  const ids: { subjectKeyId?: string; authorityKeyId?: string } = {};
  for (const extension of sequence(sequence(extensions)[0])) {
    const fields = sequence(extension);
    const id = forge.asn1.derToOid(primitive(fields[0]));
    // extnID, critical (optional), extnValue: the value is always last.
    const value = parseAsn1(primitive(fields[fields.length - 1]));
    if (id === SUBJECT_KEY_IDENTIFIER) ids.subjectKeyId = hex(primitive(value));
    if (id === AUTHORITY_KEY_IDENTIFIER) {
      const keyId = sequence(value).find((field) => isContext(field, 0));
      if (keyId) ids.authorityKeyId = hex(primitive(keyId));
    }
  }
  return ids;
}

function sequence(node: Asn1 | undefined): Asn1[] {
  if (!node || !Array.isArray(node.value)) {
    throw new ObjectFormatError("a certificate could not be parsed as X.509");
  }
  return node.value;
}

function primitive(node: Asn1 | undefined): string {
  if (!node || typeof node.value !== "string") {
    throw new ObjectFormatError("a certificate could not be parsed as X.509");
  }
  return node.value;
}

function isContext(node: Asn1, tag: number): boolean {
  return node.tagClass === forge.asn1.Class.CONTEXT_SPECIFIC && node.type === tag;
}

function hex(binary: string): string | undefined {
  if (binary === "") return undefined;
  let text = "";
  for (const char of binary) text += char.charCodeAt(0).toString(16).padStart(2, "0");
  return text;
}
