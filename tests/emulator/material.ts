/**
 * Real key and certificate material for the emulator, generated with the `openssl` CLI (never
 * hand-made): RSA 2048/4096 and EC P-256/P-384/P-521 keys with HSM variants, a secp256k1
 * key (P-256K), oct keys, self-signed certificates, a three-level and a four-level chain in
 * several orders, PKCS#12 files with legacy (3DES, RC2-40) and AES encryption, PEM
 * certificates, and keys and certificates with several versions (one disabled).
 *
 * {@link generateMaterial} writes everything into a folder once per process (RSA 4096 takes
 * seconds); {@link materialSeed} turns it into the emulator's seed entries. Tests keep the
 * file paths to prove the provider's output with openssl.
 */
import { Buffer } from "node:buffer";
import { createHash, createPrivateKey } from "node:crypto";
import { openssl } from "../harness/openssl.ts";

/** One generated key version: its private key file and the public JWK Key Vault serves. */
export interface KeyVersionFixture {
  readonly version: string;
  readonly created: number;
  readonly enabled: boolean;
  /** PEM private key (openssl's), for the expected public key. */
  readonly privateKeyPath: string;
  readonly jwk: Record<string, string>;
}

/** A key with its versions, oldest first. */
export interface KeyFixture {
  readonly name: string;
  readonly kty: string;
  readonly versions: readonly KeyVersionFixture[];
}

/** One generated certificate version as Key Vault stores it. */
export interface CertificateVersionFixture {
  readonly version: string;
  readonly created: number;
  readonly enabled: boolean;
  readonly contentType: string;
  /** The backing secret's value: base64 PFX, or PEM text. */
  readonly value: string;
  /** The leaf certificate (PEM file): Key Vault's `cer`. */
  readonly leafPath: string;
  /** Every certificate of the value in the order it was stored (PEM files). */
  readonly storedOrder: readonly string[];
  /** The chain from the leaf to the root (PEM files), when the value holds a chain. */
  readonly chainOrder: readonly string[];
  /** The private key (PEM file), when the value holds one. */
  readonly keyPath?: string;
  /** The PFX file, for PKCS#12 versions. */
  readonly pfxPath?: string;
  /** Whether the PFX needs openssl's legacy provider (RC2). */
  readonly legacy: boolean;
}

/** A certificate with its versions, oldest first. */
export interface CertificateFixture {
  readonly name: string;
  readonly versions: readonly CertificateVersionFixture[];
}

/** Everything generated, by object name. */
export interface Material {
  readonly dir: string;
  readonly keys: ReadonlyMap<string, KeyFixture>;
  readonly certificates: ReadonlyMap<string, CertificateFixture>;
  /** The three-level chain's files (leaf, intermediate, root) and the four-level one's. */
  readonly chain3: readonly string[];
  readonly chain4: readonly string[];
}

const PKCS12 = "application/x-pkcs12";
const PEM = "application/x-pem-file";
const CREATED = 1700000000;
const DAY = 86400;

/** PKCS#12 encryptions: Key Vault's legacy ones and OpenSSL 3's default. */
export type Pkcs12Scheme = "legacy-rc2" | "legacy-3des" | "aes";
const PKCS12_ARGS: Record<Pkcs12Scheme, string[]> = {
  "legacy-rc2": ["-legacy"],
  "legacy-3des": ["-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1"],
  aes: [],
};

let cached: Promise<Material> | undefined;

/**
 * The material, generated once per machine and generator version: it lives in
 * `$TMPDIR/kv-material-<hash of this file>` and is reused while that folder is complete, so
 * only the first test run pays for RSA 4096 key generation.
 */
export function generateMaterial(): Promise<Material> {
  return cached ??= loadOrGenerate();
}

async function loadOrGenerate(): Promise<Material> {
  const source = await Deno.readFile(new URL(import.meta.url));
  const base = Deno.env.get("TMPDIR") ?? "/tmp";
  const dir = `${base}/kv-material-${hex(new TextDecoder().decode(source)).slice(0, 12)}`;
  try {
    return await load(dir);
  } catch {
    // not generated yet: generate below
  }
  const scratch = await Deno.makeTempDir({ dir: base, prefix: "kv-material-new-" });
  const material = await generateInto(scratch);
  const json: MaterialJson = {
    keys: [...material.keys.values()],
    certificates: [...material.certificates.values()],
    chain3: material.chain3,
    chain4: material.chain4,
  };
  // Paths are stored relative to the folder, which is renamed into place last.
  await Deno.writeTextFile(
    `${scratch}/material.json`,
    JSON.stringify(json).replaceAll(`${scratch}/`, "$DIR/"),
  );
  try {
    await Deno.rename(scratch, dir);
  } catch {
    // another process won the race; use its copy
    await Deno.remove(scratch, { recursive: true });
  }
  return await load(dir);
}

interface MaterialJson {
  keys: KeyFixture[];
  certificates: CertificateFixture[];
  chain3: readonly string[];
  chain4: readonly string[];
}

async function load(dir: string): Promise<Material> {
  const text = await Deno.readTextFile(`${dir}/material.json`);
  const json = JSON.parse(text.replaceAll("$DIR/", `${dir}/`)) as MaterialJson;
  return {
    dir,
    keys: new Map(json.keys.map((key) => [key.name, key])),
    certificates: new Map(json.certificates.map((cert) => [cert.name, cert])),
    chain3: json.chain3,
    chain4: json.chain4,
  };
}

/** Key algorithms: openssl genpkey options. */
export type KeyAlgorithm = "rsa2048" | "rsa4096" | "P-256" | "P-384" | "P-521" | "P-256K";
const GENPKEY: Record<KeyAlgorithm, string[]> = {
  rsa2048: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
  rsa4096: ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:4096"],
  "P-256": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
  "P-384": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
  "P-521": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-521"],
  "P-256K": ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:secp256k1"],
};

/** Generates a private key file (PKCS#8 PEM). */
export async function generateKey(path: string, algorithm: KeyAlgorithm): Promise<string> {
  await openssl(["genpkey", ...GENPKEY[algorithm], "-out", path]);
  return path;
}

/** The public JWK Key Vault would serve for a private key file. */
export async function publicJwk(path: string, kty: string): Promise<Record<string, string>> {
  const pem = await Deno.readTextFile(path);
  const spki = await openssl(["pkey", "-in", path, "-pubout", "-outform", "DER"]);
  if (kty.startsWith("RSA")) {
    const jwk = createPrivateKey(pem).export({ format: "jwk" }) as Record<string, string>;
    return { kty, n: jwk.n, e: jwk.e };
  }
  // The uncompressed point closes the SPKI: 04 || x || y (also for secp256k1, which
  // node:crypto cannot export as a JWK).
  const curve = await openssl(["pkey", "-in", path, "-noout", "-text"]);
  const crv = /secp256k1/.test(new TextDecoder().decode(curve)) ? "P-256K" : curveOf(spki.length);
  const size = { "P-256": 32, "P-256K": 32, "P-384": 48, "P-521": 66 }[crv]!;
  const point = spki.subarray(spki.length - 2 * size);
  const b64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64url");
  return { kty, crv, x: b64(point.subarray(0, size)), y: b64(point.subarray(size)) };
}

function curveOf(spkiLength: number): string {
  if (spkiLength === 91) return "P-256";
  if (spkiLength === 120) return "P-384";
  if (spkiLength === 158) return "P-521";
  throw new Error(`unexpected EC SPKI length ${spkiLength}`);
}

/** A self-signed certificate (SKI and AKI set, as `openssl req -x509` does). */
export async function selfSigned(dir: string, name: string, keyPath: string, ca = false): Promise<string> {
  const path = `${dir}/${name}.crt`;
  const extensions = ca
    ? ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign"]
    : ["-addext", "basicConstraints=CA:FALSE", "-addext", `subjectAltName=DNS:${name}.example`];
  await openssl([
    "req",
    "-x509",
    "-new",
    "-key",
    keyPath,
    "-subj",
    `/CN=${name}`,
    "-days",
    "3650",
    ...extensions,
    "-out",
    path,
  ]);
  return path;
}

/** A certificate for `keyPath` issued by `issuer` (with SKI and AKI). */
export async function issued(
  dir: string,
  name: string,
  keyPath: string,
  issuer: { cert: string; key: string },
  ca: boolean,
): Promise<string> {
  const csr = `${dir}/${name}.csr`;
  const ext = `${dir}/${name}.ext`;
  const path = `${dir}/${name}.crt`;
  await openssl(["req", "-new", "-key", keyPath, "-subj", `/CN=${name}`, "-out", csr]);
  await Deno.writeTextFile(
    ext,
    (ca
      ? "basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign,cRLSign\n"
      : "basicConstraints=CA:FALSE\n") +
      "subjectKeyIdentifier=hash\nauthorityKeyIdentifier=keyid\n",
  );
  await openssl([
    "x509",
    "-req",
    "-in",
    csr,
    "-CA",
    issuer.cert,
    "-CAkey",
    issuer.key,
    "-set_serial",
    `0x${hex(name).slice(0, 16)}`,
    "-days",
    "3650",
    "-extfile",
    ext,
    "-out",
    path,
  ]);
  return path;
}

/**
 * A PFX with an empty password holding `certs` in that order; with `keyPath`, openssl puts
 * the key's own certificate first (as Key Vault's PFX files have it).
 */
export async function pfx(
  path: string,
  certs: readonly string[],
  scheme: Pkcs12Scheme,
  keyPath?: string,
): Promise<string> {
  const bundle = (await Promise.all(certs.map((c) => Deno.readTextFile(c)))).join("");
  const keyArgs = keyPath ? ["-inkey", keyPath] : ["-nokeys"];
  await openssl(
    ["pkcs12", "-export", ...PKCS12_ARGS[scheme], ...keyArgs, "-passout", "pass:", "-out", path],
    bundle,
  );
  return path;
}

/** A DER certificate's standard base64 (Key Vault's `cer`). */
export async function cerOf(certPath: string): Promise<string> {
  return Buffer.from(await openssl(["x509", "-in", certPath, "-outform", "DER"])).toString("base64");
}

/** A stable 32-hex-digit version id. */
export function hex(input: string): string {
  return createHash("sha256").update(input).digest("hex").slice(0, 32);
}

async function generateInto(dir: string): Promise<Material> {
  const key = (name: string, algorithm: KeyAlgorithm) => generateKey(`${dir}/${name}.key`, algorithm);
  // Independent keys first, all at once (RSA 4096 dominates).
  const [rsa2048, rsa4096, rsaHsm, p256, p384, p521, p384Hsm, p256k, ...rest] = await Promise.all([
    key("rsa2048", "rsa2048"),
    key("rsa4096", "rsa4096"),
    key("rsa-hsm", "rsa2048"),
    key("p256", "P-256"),
    key("p384", "P-384"),
    key("p521", "P-521"),
    key("p384-hsm", "P-384"),
    key("p256k", "P-256K"),
    key("rot0", "P-256"),
    key("rot1", "P-256"),
    key("rot2", "P-256"),
    key("rot3", "P-256"),
    key("root", "P-384"),
    key("int1", "P-256"),
    key("int2", "P-256"),
    key("leaf", "rsa2048"),
    key("self-rsa", "rsa2048"),
    key("self-ec", "P-384"),
    key("self-p521", "P-521"),
  ]);
  const [rot0, rot1, rot2, rot3, rootKey, int1Key, int2Key, leafKey, selfRsaKey, selfEcKey, selfP521Key] =
    rest;

  const keys = new Map<string, KeyFixture>();
  const singleKey = async (name: string, kty: string, path: string) =>
    keys.set(name, {
      name,
      kty,
      versions: [{
        version: hex(`key/${name}/0`),
        created: CREATED,
        enabled: true,
        privateKeyPath: path,
        jwk: await publicJwk(path, kty),
      }],
    });
  await Promise.all([
    singleKey("rsa-2048", "RSA", rsa2048),
    singleKey("rsa-4096", "RSA", rsa4096),
    singleKey("rsa-hsm", "RSA-HSM", rsaHsm),
    singleKey("ec-p256", "EC", p256),
    singleKey("ec-p384", "EC", p384),
    singleKey("ec-p521", "EC", p521),
    singleKey("ec-hsm-p384", "EC-HSM", p384Hsm),
    singleKey("ec-p256k", "EC", p256k),
  ]);
  // Four versions a day apart; the third is disabled.
  keys.set("rotating-key", {
    name: "rotating-key",
    kty: "EC",
    versions: await Promise.all([rot0, rot1, rot2, rot3].map(async (path, i) => ({
      version: hex(`key/rotating-key/${i}`),
      created: CREATED + i * DAY,
      enabled: i !== 2,
      privateKeyPath: path,
      jwk: await publicJwk(path, "EC"),
    }))),
  });

  // Chains: root (P-384) → int1 → int2 → leaf (RSA); the three-level chain skips int2.
  const root = await selfSigned(dir, "root", rootKey, true);
  const int1 = await issued(dir, "int1", int1Key, { cert: root, key: rootKey }, true);
  const leaf3 = await issued(dir, "leaf3", leafKey, { cert: int1, key: int1Key }, false);
  const int2 = await issued(dir, "int2", int2Key, { cert: int1, key: int1Key }, true);
  const leaf4 = await issued(dir, "leaf4", leafKey, { cert: int2, key: int2Key }, false);
  const [selfRsa, selfEc, selfP521] = await Promise.all([
    selfSigned(dir, "self-rsa", selfRsaKey),
    selfSigned(dir, "self-ec", selfEcKey),
    selfSigned(dir, "self-p521", selfP521Key),
  ]);

  const certificates = new Map<string, CertificateFixture>();
  const version = (
    name: string,
    i: number,
    fields: Omit<CertificateVersionFixture, "version" | "created">,
  ) => ({
    version: hex(`cert/${name}/${i}`),
    created: CREATED + i * DAY,
    ...fields,
  });
  const pkcs12Version = async (
    name: string,
    i: number,
    stored: string[],
    chain: string[],
    scheme: Pkcs12Scheme,
    keyPath: string | undefined,
    enabled = true,
  ) => {
    const path = await pfx(`${dir}/${name}-${i}.pfx`, stored, scheme, keyPath);
    const value = Buffer.from(await Deno.readFile(path)).toString("base64");
    return version(name, i, {
      enabled,
      contentType: PKCS12,
      value,
      leafPath: chain[0],
      storedOrder: stored,
      chainOrder: chain,
      keyPath,
      pfxPath: path,
      legacy: scheme === "legacy-rc2",
    });
  };
  const pemVersion = async (name: string, i: number, keyPath: string, stored: string[], chain: string[]) => {
    const keyPem = new TextDecoder().decode(await openssl(["pkey", "-in", keyPath]));
    const certs = (await Promise.all(stored.map((c) => Deno.readTextFile(c)))).join("");
    return version(name, i, {
      enabled: true,
      contentType: PEM,
      value: keyPem + certs,
      leafPath: chain[0],
      storedOrder: stored,
      chainOrder: chain,
      keyPath,
      legacy: false,
    });
  };
  const add = async (name: string, versions: Promise<CertificateVersionFixture>[]) =>
    certificates.set(name, { name, versions: await Promise.all(versions) });

  const chain3 = [leaf3, int1, root];
  const chain4 = [leaf4, int2, int1, root];
  await Promise.all([
    add("self-rsa-legacy", [
      pkcs12Version("self-rsa-legacy", 0, [selfRsa], [selfRsa], "legacy-rc2", selfRsaKey),
    ]),
    add("self-rsa-3des", [
      pkcs12Version("self-rsa-3des", 0, [selfRsa], [selfRsa], "legacy-3des", selfRsaKey),
    ]),
    add("self-ec-aes", [pkcs12Version("self-ec-aes", 0, [selfEc], [selfEc], "aes", selfEcKey)]),
    add("self-p521-3des", [
      pkcs12Version("self-p521-3des", 0, [selfP521], [selfP521], "legacy-3des", selfP521Key),
    ]),
    add("self-ec-pem", [pemVersion("self-ec-pem", 0, selfEcKey, [selfEc], [selfEc])]),
    // PEM certificates are written as stored, in whatever order that is.
    add("chain3-pem", [pemVersion("chain3-pem", 0, leafKey, [root, leaf3, int1], chain3)]),
    // With the key, openssl (like Key Vault) stores the leaf first; the rest is scrambled.
    add("chain3-lir", [pkcs12Version("chain3-lir", 0, [leaf3, int1, root], chain3, "legacy-3des", leafKey)]),
    add("chain3-lri", [pkcs12Version("chain3-lri", 0, [leaf3, root, int1], chain3, "aes", leafKey)]),
    // Without a key the certificates keep any order, the leaf last included.
    add("chain3-ril", [pkcs12Version("chain3-ril", 0, [root, int1, leaf3], chain3, "legacy-rc2", undefined)]),
    add("chain3-irl", [pkcs12Version("chain3-irl", 0, [int1, root, leaf3], chain3, "aes", undefined)]),
    add("chain4-lrii", [
      pkcs12Version("chain4-lrii", 0, [leaf4, root, int1, int2], chain4, "legacy-rc2", leafKey),
    ]),
    add("chain4-rili", [
      pkcs12Version("chain4-rili", 0, [root, int2, leaf4, int1], chain4, "aes", undefined),
    ]),
    // The intermediate is missing: Key Vault's order is kept (with a warning).
    add("chain-incomplete", [
      pkcs12Version("chain-incomplete", 0, [leaf4, root, int1], [leaf4, root, int1], "legacy-3des", leafKey),
    ]),
    // Four versions a day apart, the third disabled; each its own self-signed EC certificate.
    add(
      "rotating-cert",
      [rot0, rot1, rot2, rot3].map(async (keyPath, i) => {
        const cert = await selfSigned(dir, `rotating-cert-${i}`, keyPath);
        return pkcs12Version(
          "rotating-cert",
          i,
          [cert],
          [cert],
          i % 2 ? "legacy-3des" : "aes",
          keyPath,
          i !== 2,
        );
      }),
    ),
  ]);
  return { dir, keys, certificates, chain3, chain4 };
}

/** The seed entries (`keys:` and `certificates:` of a vault) for the generated material. */
export async function materialSeed(
  material: Material,
): Promise<{ keys: unknown[]; certificates: unknown[] }> {
  const keys: unknown[] = [...material.keys.values()].map((key) => ({
    name: key.name,
    versions: key.versions.map((v) => ({
      version: v.version,
      created: v.created,
      enabled: v.enabled,
      key: v.jwk,
    })),
  }));
  keys.push(
    { name: "oct-key", versions: [{ version: hex("key/oct-key/0"), key: { kty: "oct" } }] },
    { name: "oct-hsm-key", versions: [{ version: hex("key/oct-hsm-key/0"), key: { kty: "oct-HSM" } }] },
  );
  const certificates: unknown[] = await Promise.all([...material.certificates.values()].map(async (cert) => ({
    name: cert.name,
    versions: await Promise.all(cert.versions.map(async (v) => ({
      version: v.version,
      created: v.created,
      enabled: v.enabled,
      contentType: v.contentType,
      value: v.value,
      cer: await cerOf(v.leafPath),
    }))),
  })));
  // A certificate whose secret has a content type the provider does not know.
  const odd = material.certificates.get("self-ec-pem")!.versions[0];
  certificates.push({
    name: "odd-content-type",
    versions: [{
      version: hex("cert/odd-content-type/0"),
      created: CREATED,
      enabled: true,
      contentType: "application/json",
      value: odd.value,
      cer: await cerOf(odd.leafPath),
    }],
  });
  return { keys, certificates };
}
