/**
 * Writing a PKCS#12 (PFX) file with an empty password, for `objectFormat: pfx` on a
 * certificate stored as PEM. The layout is OpenSSL 3's default (`openssl pkcs12 -export`):
 * the certificates in one encrypted SafeContents, the key in a shrouded key bag, both with
 * PBES2 (PBKDF2 with HMAC-SHA-256, AES-256-CBC), and a SHA-256 integrity MAC, as Key Vault's
 * own PFX export has one. node-forge does the ASN.1, the key derivations and the ciphers; this
 * module follows RFC 7292's nesting, so certificates keep their exact bytes and EC keys work
 * (forge's own writer takes only its RSA models).
 */
import { Buffer } from "node:buffer";
import { createHash, randomBytes } from "node:crypto";
import { type Asn1, encodeAsn1, forge, parseAsn1, toBinary } from "./forge.ts";

/** What a PFX is built from: the key and the certificates, leaf first. */
export interface Pkcs12Input {
  /** The private key as DER PKCS#8 PrivateKeyInfo. */
  readonly key: Uint8Array;
  /** DER certificates, leaf → root. */
  readonly certificates: readonly Uint8Array[];
}

/** OpenSSL's default iteration count (PKCS12_DEFAULT_ITER) for the MAC and the encryptions. */
export const PKCS12_ITERATIONS = 2048;

const OID = {
  data: "1.2.840.113549.1.7.1",
  encryptedData: "1.2.840.113549.1.7.6",
  shroudedKeyBag: "1.2.840.113549.1.12.10.1.2",
  certBag: "1.2.840.113549.1.12.10.1.3",
  x509Certificate: "1.2.840.113549.1.9.22.1",
  localKeyId: "1.2.840.113549.1.9.21",
  sha256: "2.16.840.1.101.3.4.2.1",
};

/** The empty password: PBES2 derives from its (no) bytes; the MAC from its BMPString form. */
const PASSWORD = "";

const { Class, Type } = forge.asn1;
const sequence = (items: Asn1[]) => forge.asn1.create(Class.UNIVERSAL, Type.SEQUENCE, true, items);
const set = (items: Asn1[]) => forge.asn1.create(Class.UNIVERSAL, Type.SET, true, items);
const oid = (id: string) =>
  forge.asn1.create(Class.UNIVERSAL, Type.OID, false, forge.asn1.oidToDer(id).getBytes());
const octets = (bytes: string) => forge.asn1.create(Class.UNIVERSAL, Type.OCTETSTRING, false, bytes);
const integer = (value: number) =>
  forge.asn1.create(Class.UNIVERSAL, Type.INTEGER, false, forge.asn1.integerToDer(value).getBytes());
const explicit = (node: Asn1) => forge.asn1.create(Class.CONTEXT_SPECIFIC, 0, true, [node]);
const der = (node: Asn1) => toBinary(encodeAsn1(node));

/** Builds the DER bytes of a PFX holding `input`, protected by an empty password. */
export function writePkcs12(input: Pkcs12Input): Uint8Array {
  // OpenSSL marks the key and its certificate with the same id, the certificate's SHA-1.
  const localKeyId = toBinary(createHash("sha1").update(input.certificates[0]).digest());
  const certificates = input.certificates.map((certificate, i) =>
    certificateBag(certificate, i === 0 ? localKeyId : undefined)
  );
  const authenticatedSafe = der(sequence([
    encryptedContentInfo(sequence(certificates)),
    dataContentInfo(sequence([keyBag(input.key, localKeyId)])),
  ]));
  return encodeAsn1(sequence([
    integer(3),
    sequence([oid(OID.data), explicit(octets(authenticatedSafe))]),
    macData(authenticatedSafe),
  ]));
}

function bagAttributes(localKeyId: string | undefined): Asn1[] {
  if (localKeyId === undefined) return [];
  return [set([sequence([oid(OID.localKeyId), set([octets(localKeyId)])])])];
}

function certificateBag(certificate: Uint8Array, localKeyId: string | undefined): Asn1 {
  const bag = sequence([oid(OID.x509Certificate), explicit(octets(toBinary(certificate)))]);
  return sequence([oid(OID.certBag), explicit(bag), ...bagAttributes(localKeyId)]);
}

function keyBag(key: Uint8Array, localKeyId: string): Asn1 {
  const shrouded = forge.pki.encryptPrivateKeyInfo(parseAsn1(key), PASSWORD, encryption());
  return sequence([oid(OID.shroudedKeyBag), explicit(shrouded), ...bagAttributes(localKeyId)]);
}

function encryption() {
  return { algorithm: "aes256", prfAlgorithm: "sha256", count: PKCS12_ITERATIONS, saltSize: 16 } as const;
}

function dataContentInfo(safeContents: Asn1): Asn1 {
  return sequence([oid(OID.data), explicit(octets(der(safeContents)))]);
}

/**
 * An EncryptedData ContentInfo of `safeContents`. forge's PBES2 encryption returns the
 * algorithm and ciphertext as an EncryptedPrivateKeyInfo; the same two parts make an
 * EncryptedContentInfo, whose ciphertext is `[0] IMPLICIT OCTET STRING`.
 */
function encryptedContentInfo(safeContents: Asn1): Asn1 {
  const encrypted = forge.pki.encryptPrivateKeyInfo(safeContents, PASSWORD, encryption());
  const [algorithm, ciphertext] = encrypted.value as Asn1[];
  const content = forge.asn1.create(Class.CONTEXT_SPECIFIC, 0, false, ciphertext.value as string);
  const encryptedData = sequence([integer(0), sequence([oid(OID.data), algorithm, content])]);
  return sequence([oid(OID.encryptedData), explicit(encryptedData)]);
}

/** The integrity MAC: HMAC-SHA-256 of the AuthenticatedSafe under RFC 7292's key derivation (ID 3). */
function macData(authenticatedSafe: string): Asn1 {
  const salt = toBinary(new Uint8Array(randomBytes(16)));
  const sha256 = forge.md.sha256!;
  const key = forge.pkcs12.generateKey(
    PASSWORD,
    forge.util.createBuffer(salt),
    3,
    PKCS12_ITERATIONS,
    32,
    sha256.create(),
  );
  const hmac = forge.hmac.create();
  hmac.start(sha256.create(), key);
  hmac.update(authenticatedSafe);
  const digest = hmac.getMac().getBytes();
  const algorithm = sequence([oid(OID.sha256), forge.asn1.create(Class.UNIVERSAL, Type.NULL, false, "")]);
  return sequence([sequence([algorithm, octets(digest)]), octets(salt), integer(PKCS12_ITERATIONS)]);
}

/** The PFX as the standard base64 text Key Vault stores a PKCS#12 certificate as. */
export function pkcs12Base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}
