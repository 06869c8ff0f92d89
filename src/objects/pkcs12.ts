/**
 * Reading a PKCS#12 (PFX) file protected by an empty password, as Key Vault stores a
 * certificate's secret. Parsing, the MAC and every decryption are node-forge's; this module
 * only follows RFC 7292's nesting (PFX → AuthenticatedSafe → SafeContents → SafeBag) so the
 * certificates come out as the exact DER bytes that were stored, whatever their key
 * algorithm (forge's own PKCS#12 reader models only RSA and re-encodes what it models).
 */
import { type Asn1, encodeAsn1, forge, parseAsn1, toBytes } from "./forge.ts";
import { ObjectFormatError } from "./object_type.ts";

/** What a PFX holds, in bag order. */
export interface Pkcs12Contents {
  /** Private keys as DER PKCS#8 PrivateKeyInfo (decrypted). */
  readonly keys: Uint8Array[];
  /** Certificates as their DER bytes. */
  readonly certificates: Uint8Array[];
}

const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  keyBag: "1.2.840.113549.1.12.10.1.1",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  pbes2: "1.2.840.113549.1.5.13",
};

/**
 * The two spellings of the empty password: RFC 7292's (BMPString with its terminating zero,
 * what OpenSSL and Key Vault write) and an empty byte string (what some other producers
 * write). forge takes `""` for the first and `null` for the second; Go's pkcs12 tries both
 * the same way.
 */
const EMPTY_PASSWORDS: readonly (string | null)[] = ["", null];

/**
 * Reads the keys and certificates of a PFX whose password is empty. Throws
 * ObjectFormatError when the bytes are not a PFX, the MAC does not verify, or a part
 * cannot be decrypted; messages name the structure, never its content.
 */
export function readPkcs12(der: Uint8Array): Pkcs12Contents {
  let pfx: Asn1[];
  let authenticatedSafe: string;
  try {
    pfx = children(parseAsn1(der), "PFX");
    if (integer(pfx[0], "PFX version") !== 3) fail("PFX version is not 3");
    authenticatedSafe = contentInfoData(pfx[1], "PFX authSafe");
  } catch (error) {
    throw asFormatError(error, "the value is not a PKCS#12 (PFX) file");
  }
  const macData = pfx[2];
  let lastError: unknown;
  for (const password of EMPTY_PASSWORDS) {
    try {
      if (macData) verifyMac(macData, authenticatedSafe, password);
      return readAuthenticatedSafe(authenticatedSafe, password);
    } catch (error) {
      lastError = error;
    }
  }
  throw asFormatError(lastError, "the PKCS#12 (PFX) value could not be read with an empty password");
}

class Pkcs12StructureError extends Error {}

function fail(message: string): never {
  throw new Pkcs12StructureError(message);
}

function asFormatError(error: unknown, context: string): ObjectFormatError {
  // forge's own errors are about structure ("Cannot read …", "Unsupported OID"), never content.
  const reason = error instanceof Error ? error.message.replace(/\s+/g, " ").trim() : String(error);
  return new ObjectFormatError(`${context}: ${reason}`);
}

function children(node: Asn1 | undefined, what: string): Asn1[] {
  if (!node || !Array.isArray(node.value)) fail(`${what} is not a SEQUENCE`);
  return node.value;
}

function primitive(node: Asn1 | undefined, type: number, what: string): string {
  if (!node || node.tagClass !== forge.asn1.Class.UNIVERSAL || node.type !== type) {
    fail(`${what} has an unexpected ASN.1 type`);
  }
  return octets(node, what);
}

/** The content octets, joining the chunks of a constructed (BER) string. */
function octets(node: Asn1, what: string): string {
  if (typeof node.value === "string") return node.value;
  return node.value.map((chunk) => octets(chunk, what)).join("");
}

function oid(node: Asn1 | undefined, what: string): string {
  return forge.asn1.derToOid(primitive(node, forge.asn1.Type.OID, what));
}

function integer(node: Asn1 | undefined, what: string): number {
  const bytes = primitive(node, forge.asn1.Type.INTEGER, what);
  if (bytes.length > 6) fail(`${what} is too large`);
  let value = 0;
  for (const char of bytes) value = value * 256 + char.charCodeAt(0);
  return value;
}

/** The `[0] EXPLICIT` content of a ContentInfo or SafeBag. */
function explicitContent(node: Asn1 | undefined, what: string): Asn1 {
  if (!node || node.tagClass !== forge.asn1.Class.CONTEXT_SPECIFIC || node.type !== 0) {
    fail(`${what} has no [0] content`);
  }
  const inner = children(node, what)[0];
  if (!inner) fail(`${what} has an empty [0] content`);
  return inner;
}

/** A ContentInfo of type data: its OCTET STRING content. */
function contentInfoData(node: Asn1 | undefined, what: string): string {
  const [type, content] = children(node, what);
  if (oid(type, `${what} contentType`) !== OID.data) fail(`${what} is not of type data`);
  return primitive(explicitContent(content, what), forge.asn1.Type.OCTETSTRING, what);
}

function verifyMac(macData: Asn1, authenticatedSafe: string, password: string | null): void {
  const [digestInfo, saltNode, iterationsNode] = children(macData, "MacData");
  const [algorithm, digestNode] = children(digestInfo, "MacData mac");
  const digestOid = oid(children(algorithm, "MAC algorithm")[0], "MAC algorithm");
  const md = forge.md[forge.pki.oids[digestOid] ?? ""];
  if (!md) fail(`the MAC uses an unsupported digest (${digestOid})`);
  const expected = primitive(digestNode, forge.asn1.Type.OCTETSTRING, "MAC digest");
  const salt = forge.util.createBuffer(primitive(saltNode, forge.asn1.Type.OCTETSTRING, "MAC salt"));
  const iterations = iterationsNode ? integer(iterationsNode, "MAC iterations") : 1;
  if (iterations < 1) fail("the MAC iteration count is below 1");
  const digest = md.create();
  const key = forge.pkcs12.generateKey(password, salt, 3, iterations, digest.digestLength, digest);
  const hmac = forge.hmac.create();
  hmac.start(md.create(), key);
  hmac.update(authenticatedSafe);
  if (hmac.getMac().getBytes() !== expected) fail("the MAC does not verify with an empty password");
}

function readAuthenticatedSafe(authenticatedSafe: string, password: string | null): Pkcs12Contents {
  const contents: Pkcs12Contents = { keys: [], certificates: [] };
  for (const contentInfo of children(parseAsn1(authenticatedSafe), "AuthenticatedSafe")) {
    const [type, content] = children(contentInfo, "AuthenticatedSafe ContentInfo");
    const contentType = oid(type, "ContentInfo contentType");
    let safeContents: string;
    if (contentType === OID.data) {
      safeContents = contentInfoData(contentInfo, "ContentInfo");
    } else if (contentType === OID.encryptedData) {
      safeContents = decryptData(explicitContent(content, "EncryptedData"), password);
    } else {
      fail(`the PFX holds content of an unsupported type (${contentType})`);
    }
    for (const bag of children(parseAsn1(safeContents), "SafeContents")) readBag(bag, password, contents);
  }
  return contents;
}

function decryptData(encryptedData: Asn1, password: string | null): string {
  const [, encryptedContentInfo] = children(encryptedData, "EncryptedData");
  const [, algorithm, encrypted] = children(encryptedContentInfo, "EncryptedContentInfo");
  const [algorithmOid, parameters] = children(algorithm, "content encryption algorithm");
  const scheme = oid(algorithmOid, "content encryption algorithm");
  if (!encrypted || encrypted.tagClass !== forge.asn1.Class.CONTEXT_SPECIFIC || encrypted.type !== 0) {
    fail("EncryptedContentInfo has no encrypted content");
  }
  const cipher = forge.pki.pbe.getCipher(scheme, parameters, passwordFor(scheme, password));
  cipher.update(forge.util.createBuffer(octets(encrypted, "encrypted content")));
  if (!cipher.finish()) fail("the certificates could not be decrypted with an empty password");
  return cipher.output.getBytes();
}

function readBag(bag: Asn1, password: string | null, contents: Pkcs12Contents): void {
  const [type, value] = children(bag, "SafeBag");
  const bagType = oid(type, "SafeBag bagId");
  const bagValue = explicitContent(value, "SafeBag");
  switch (bagType) {
    case OID.keyBag:
      contents.keys.push(encodeAsn1(bagValue));
      return;
    case OID.shroudedKeyBag: {
      const scheme = oid(children(children(bagValue, "EncryptedPrivateKeyInfo")[0], "algorithm")[0], "key");
      const decrypted = forge.pki.decryptPrivateKeyInfo(bagValue, passwordFor(scheme, password));
      if (!decrypted) fail("the private key could not be decrypted with an empty password");
      contents.keys.push(encodeAsn1(decrypted));
      return;
    }
    case OID.certBag: {
      const [certType, certValue] = children(bagValue, "CertBag");
      if (oid(certType, "CertBag certId") !== OID.x509Certificate) {
        fail("the PFX holds a certificate that is not X.509");
      }
      const der = primitive(explicitContent(certValue, "CertBag"), forge.asn1.Type.OCTETSTRING, "CertBag");
      contents.certificates.push(toBytes(der));
      return;
    }
    default:
      fail(`the PFX holds a bag of an unsupported type (${bagType})`);
  }
}

/** PBES2 derives its key with PBKDF2 from the password's bytes: empty either way. */
function passwordFor(scheme: string, password: string | null): string | null {
  return scheme === OID.pbes2 ? "" : password;
}
