/**
 * Writing a PKCS#12 (PFX) file with an empty password, for `objectFormat: pfx` on a
 * certificate stored as PEM. The layout is OpenSSL 3's default (`openssl pkcs12 -export`):
 * the certificates in one encrypted SafeContents, the key in a shrouded key bag, both with
 * PBES2 (PBKDF2 with HMAC-SHA-256, AES-256-CBC), and a SHA-256 integrity MAC, as Key Vault's
 * own PFX export has one. node:crypto derives and encrypts, node-forge encodes the ASN.1 and
 * derives the MAC key (RFC 7292's derivation, which node:crypto lacks); this module follows
 * RFC 7292's nesting, so certificates keep their exact bytes and EC keys work (forge's own
 * writer takes only its RSA models).
 *
 * The salts and IVs are derived from the content instead of drawn at random: with an empty
 * password they protect nothing, and the same certificate then always gives the same file, so
 * the driver does not rewrite it (and wake its readers) at every rotation poll.
 */
import { Buffer } from "node:buffer";
import { createCipheriv, createHash, createHmac, pbkdf2Sync } from "node:crypto";
import { type Asn1, encodeAsn1, forge, toBinary } from "./forge.ts";

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
  pbes2: "1.2.840.113549.1.5.13",
  pbkdf2: "1.2.840.113549.1.5.12",
  hmacWithSha256: "1.2.840.113549.2.9",
  aes256Cbc: "2.16.840.1.101.3.4.1.42",
};

/** The empty password: PBES2 derives from its (no) bytes; the MAC from its BMPString form (forge's ""). */
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
  const salts = new SaltSource(input);
  // OpenSSL marks the key and its certificate with the same id, the certificate's SHA-1.
  const localKeyId = toBinary(createHash("sha1").update(input.certificates[0]).digest());
  const certificates = input.certificates.map((certificate, i) =>
    certificateBag(certificate, i === 0 ? localKeyId : undefined)
  );
  const authenticatedSafe = der(sequence([
    encryptedContentInfo(sequence(certificates), salts),
    dataContentInfo(sequence([keyBag(input.key, localKeyId, salts)])),
  ]));
  return encodeAsn1(sequence([
    integer(3),
    sequence([oid(OID.data), explicit(octets(authenticatedSafe))]),
    macData(authenticatedSafe, salts.next("mac salt", 16)),
  ]));
}

/**
 * Salts and IVs as HMAC-SHA-256 of a label, keyed by a digest of the key and certificates:
 * the same input gives the same bytes, different inputs different ones.
 */
class SaltSource {
  readonly #key: Buffer;

  constructor(input: Pkcs12Input) {
    const digest = createHash("sha256").update(input.key);
    for (const certificate of input.certificates) digest.update(certificate);
    this.#key = digest.digest();
  }

  next(label: string, length: number): Buffer {
    return createHmac("sha256", this.#key).update(label).digest().subarray(0, length);
  }
}

function bagAttributes(localKeyId: string | undefined): Asn1[] {
  if (localKeyId === undefined) return [];
  return [set([sequence([oid(OID.localKeyId), set([octets(localKeyId)])])])];
}

function certificateBag(certificate: Uint8Array, localKeyId: string | undefined): Asn1 {
  const bag = sequence([oid(OID.x509Certificate), explicit(octets(toBinary(certificate)))]);
  return sequence([oid(OID.certBag), explicit(bag), ...bagAttributes(localKeyId)]);
}

/** A shrouded key bag: the PKCS#8 key as an EncryptedPrivateKeyInfo. */
function keyBag(key: Uint8Array, localKeyId: string, salts: SaltSource): Asn1 {
  const { algorithm, ciphertext } = pbes2Encrypt(key, salts, "key");
  const shrouded = sequence([algorithm, octets(ciphertext)]);
  return sequence([oid(OID.shroudedKeyBag), explicit(shrouded), ...bagAttributes(localKeyId)]);
}

/**
 * PBES2 (RFC 8018) with the empty password: PBKDF2 with HMAC-SHA-256 and AES-256-CBC, the
 * parameters written as OpenSSL 3 writes them (no key length).
 */
function pbes2Encrypt(
  plaintext: Uint8Array,
  salts: SaltSource,
  label: string,
): { algorithm: Asn1; ciphertext: string } {
  const salt = salts.next(`${label} salt`, 16);
  const iv = salts.next(`${label} iv`, 16);
  const key = pbkdf2Sync(Buffer.alloc(0), salt, PKCS12_ITERATIONS, 32, "sha256");
  const cipher = createCipheriv("aes-256-cbc", key, iv);
  const ciphertext = Buffer.concat([cipher.update(plaintext), cipher.final()]);
  const prf = sequence([oid(OID.hmacWithSha256), forge.asn1.create(Class.UNIVERSAL, Type.NULL, false, "")]);
  const kdf = sequence([
    oid(OID.pbkdf2),
    sequence([octets(toBinary(salt)), integer(PKCS12_ITERATIONS), prf]),
  ]);
  const scheme = sequence([oid(OID.aes256Cbc), octets(toBinary(iv))]);
  return { algorithm: sequence([oid(OID.pbes2), sequence([kdf, scheme])]), ciphertext: toBinary(ciphertext) };
}

function dataContentInfo(safeContents: Asn1): Asn1 {
  return sequence([oid(OID.data), explicit(octets(der(safeContents)))]);
}

/** An EncryptedData ContentInfo of `safeContents`; the ciphertext is `[0] IMPLICIT OCTET STRING`. */
function encryptedContentInfo(safeContents: Asn1, salts: SaltSource): Asn1 {
  const { algorithm, ciphertext } = pbes2Encrypt(encodeAsn1(safeContents), salts, "certificates");
  const content = forge.asn1.create(Class.CONTEXT_SPECIFIC, 0, false, ciphertext);
  const encryptedData = sequence([integer(0), sequence([oid(OID.data), algorithm, content])]);
  return sequence([oid(OID.encryptedData), explicit(encryptedData)]);
}

/** The integrity MAC: HMAC-SHA-256 of the AuthenticatedSafe under RFC 7292's key derivation (ID 3). */
function macData(authenticatedSafe: string, saltBytes: Buffer): Asn1 {
  const salt = toBinary(saltBytes);
  const sha256 = forge.md.sha256!;
  const key = forge.pkcs12.generateKey(
    PASSWORD,
    forge.util.createBuffer(salt),
    3,
    PKCS12_ITERATIONS,
    32,
    sha256.create(),
  );
  const digest = createHmac("sha256", Buffer.from(key.getBytes(), "binary")).update(
    Buffer.from(authenticatedSafe, "binary"),
  ).digest();
  const algorithm = sequence([oid(OID.sha256), forge.asn1.create(Class.UNIVERSAL, Type.NULL, false, "")]);
  return sequence([
    sequence([algorithm, octets(toBinary(digest))]),
    octets(salt),
    integer(PKCS12_ITERATIONS),
  ]);
}

/** The PFX as the standard base64 text Key Vault stores a PKCS#12 certificate as. */
export function pkcs12Base64(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64");
}
