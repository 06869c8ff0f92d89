/**
 * One vault's contents as Key Vault's REST API presents them: secret, key and
 * certificate bundles, list items and certificate policies.
 *
 * A certificate is stored once but exposed three ways, exactly like the real
 * service: as the certificate, as a managed secret and as a managed key, all
 * with the same name and version, so `kid`/`sid`/`x5t` always agree.
 */
import { Buffer } from "node:buffer";
import { createHash, X509Certificate } from "node:crypto";
import type {
  Attributes,
  Certificate,
  CertificateVersion,
  Jwk,
  KeyVersion,
  SecretVersion,
  Vault,
} from "./seed.ts";

/** The three object collections of the data plane. */
export type Collection = "secrets" | "keys" | "certificates";

/** A REST body. */
export type Json = Record<string, unknown>;

/** Result of fetching one object version. */
export type Lookup =
  | { kind: "found"; bundle: Json }
  | { kind: "notFound" }
  | { kind: "disabled" };

interface StoredVersion {
  version: string;
  attributes: Attributes;
  /** Full bundle, built against the vault URL the client used. */
  bundle(base: string, name: string): Json;
  /** List item (no secret value, no key material). */
  item(base: string, name: string): Json;
}

interface StoredObject {
  name: string;
  versions: StoredVersion[];
  /** Certificates only: the policy document. */
  policy?: (base: string) => Json;
  /** Whether GET of a disabled version is refused (secrets, keys). */
  refuseDisabled: boolean;
}

// Soft-delete defaults of a current vault (the SDK exposes these fields).
const RECOVERY = { recoveryLevel: "Recoverable+Purgeable", recoverableDays: 90 };
// Key operations Key Vault reports for keys created without explicit ops.
const DEFAULT_KEY_OPS: Record<string, string[]> = {
  RSA: ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"],
  "RSA-HSM": ["encrypt", "decrypt", "sign", "verify", "wrapKey", "unwrapKey"],
  EC: ["sign", "verify"],
  "EC-HSM": ["sign", "verify"],
};
// JWK members that hold private material, which Key Vault never returns.
const PRIVATE_JWK_MEMBERS = ["d", "p", "q", "dp", "dq", "qi", "k"];

/** The objects of one seeded vault, indexed case-insensitively like Key Vault. */
export class VaultContents {
  #objects: Record<Collection, Map<string, StoredObject>> = {
    secrets: new Map(),
    keys: new Map(),
    certificates: new Map(),
  };

  constructor(vault: Vault) {
    for (const s of vault.secrets) this.#add("secrets", s.name, s.versions.map(secretVersion), true);
    for (const k of vault.keys) this.#add("keys", k.name, k.versions.map(keyVersion), true);
    for (const c of vault.certificates) this.#addCertificate(c);
  }

  /** Latest (newest `created`) or a specific version of an object. */
  get(collection: Collection, name: string, version: string | undefined, base: string): Lookup {
    const obj = this.#objects[collection].get(name.toLowerCase());
    if (!obj) return { kind: "notFound" };
    const v = version === undefined
      ? latest(obj.versions)
      : obj.versions.find((x) => x.version.toLowerCase() === version.toLowerCase());
    if (!v) return { kind: "notFound" };
    if (!v.attributes.enabled && obj.refuseDisabled) return { kind: "disabled" };
    return { kind: "found", bundle: v.bundle(base, obj.name) };
  }

  /** List items of every version, ordered by version id; undefined if no such object. */
  versions(collection: Collection, name: string, base: string): Json[] | undefined {
    const obj = this.#objects[collection].get(name.toLowerCase());
    if (!obj) return undefined;
    return [...obj.versions]
      .sort((a, b) => a.version.toLowerCase().localeCompare(b.version.toLowerCase()))
      .map((v) => v.item(base, obj.name));
  }

  /** One list item per object (its latest version, id without version), by name. */
  objects(collection: Collection, base: string): Json[] {
    return [...this.#objects[collection].values()]
      .sort((a, b) => a.name.toLowerCase().localeCompare(b.name.toLowerCase()))
      .map((obj) => unversioned(latest(obj.versions).item(base, obj.name), collection));
  }

  /**
   * Adds a version to a secret, or creates the secret (rotation tests: a new version appears in the
   * vault while a volume is mounted). A certificate's secret cannot be changed on its own.
   */
  addSecretVersion(name: string, version: SecretVersion): void {
    if (this.#objects.certificates.has(name.toLowerCase())) {
      throw new Error(`'${name}' is a certificate; its secret has no versions of its own`);
    }
    const existing = this.#objects.secrets.get(name.toLowerCase());
    if (existing?.versions.some((v) => v.version.toLowerCase() === version.version.toLowerCase())) {
      throw new Error(`secret '${name}' already has version ${version.version}`);
    }
    if (existing) existing.versions.push(secretVersion(version));
    else this.#add("secrets", name, [secretVersion(version)], true);
  }

  /** A certificate's policy, or undefined if there is no such certificate. */
  policy(name: string, base: string): Json | undefined {
    return this.#objects.certificates.get(name.toLowerCase())?.policy?.(base);
  }

  #add(
    collection: Collection,
    name: string,
    versions: StoredVersion[],
    refuseDisabled: boolean,
    policy?: (base: string) => Json,
  ): void {
    if (versions.length === 0) return;
    this.#objects[collection].set(name.toLowerCase(), { name, versions, refuseDisabled, policy });
  }

  #addCertificate(cert: Certificate): void {
    const parsed = cert.versions.map((v) => ({ v, x509: parseDer(v.cer) }));
    const latestParsed = parsed.find((p) => p.v === latest(cert.versions)) ?? parsed[0];
    const policy = (base: string) => certificatePolicy(cert, latestParsed.v, latestParsed.x509, base);
    // Disabled certificate versions can still be read; their secret and key cannot.
    const versions = parsed.map((p) => certVersion(p.v, p.x509, policy));
    this.#add("certificates", cert.name, versions, false, policy);
    this.#add(
      "secrets",
      cert.name,
      parsed.filter((p) => p.v.value !== undefined).map((p) => certSecretVersion(p.v, p.x509)),
      true,
    );
    const exportable = (cert.policy?.key_props as Json | undefined)?.exportable !== false;
    this.#add("keys", cert.name, parsed.map((p) => certKeyVersion(p.v, p.x509, exportable)), true);
  }
}

function latest<V extends { attributes: Attributes }>(versions: V[]): V {
  // Newest by creation time; on a tie the one seeded last wins.
  return versions.reduce((a, b) => (b.attributes.created >= a.attributes.created ? b : a));
}

function unversioned(item: Json, collection: Collection): Json {
  const field = collection === "keys" ? "kid" : "id";
  const id = String(item[field]);
  return { ...item, [field]: id.slice(0, id.lastIndexOf("/")) };
}

function attributesJson(a: Attributes, extra: Json = {}): Json {
  const out: Json = { enabled: a.enabled };
  if (a.nbf !== undefined) out.nbf = a.nbf;
  if (a.exp !== undefined) out.exp = a.exp;
  return { ...out, created: a.created, updated: a.updated, ...RECOVERY, ...extra };
}

function withTags(body: Json, tags: Record<string, string> | undefined): Json {
  return tags === undefined ? body : { ...body, tags };
}

function secretVersion(s: SecretVersion): StoredVersion {
  const meta = (base: string, name: string): Json => {
    const body: Json = { id: `${base}/secrets/${name}/${s.version}` };
    if (s.contentType !== undefined) body.contentType = s.contentType;
    body.attributes = attributesJson(s.attributes);
    return withTags(body, s.tags);
  };
  return {
    version: s.version,
    attributes: s.attributes,
    bundle: (base, name) => ({ value: s.value, ...meta(base, name) }),
    item: meta,
  };
}

function keyVersion(k: KeyVersion): StoredVersion {
  return storedKey(k.version, k.key, k.attributes, k.tags, false, false);
}

function storedKey(
  version: string,
  jwk: Jwk,
  attributes: Attributes,
  tags: Record<string, string> | undefined,
  managed: boolean,
  exportable: boolean,
): StoredVersion {
  const attrs = () => attributesJson(attributes, { exportable });
  const flags = managed ? { managed: true } : {};
  return {
    version,
    attributes,
    bundle: (base, name) =>
      withTags({
        key: publicJwk(jwk, `${base}/keys/${name}/${version}`),
        attributes: attrs(),
        ...flags,
      }, tags),
    item: (base, name) =>
      withTags({ kid: `${base}/keys/${name}/${version}`, attributes: attrs(), ...flags }, tags),
  };
}

function publicJwk(jwk: Jwk, kid: string): Json {
  const out: Json = { kid };
  for (const [k, v] of Object.entries(jwk)) {
    if (!PRIVATE_JWK_MEMBERS.includes(k) && k !== "kid") out[k] = v;
  }
  out.key_ops ??= DEFAULT_KEY_OPS[jwk.kty] ?? [];
  return out;
}

interface ParsedCert {
  x5t: string;
  /** Validity from the DER, used when the seed gives no nbf/exp. */
  nbf?: number;
  exp?: number;
  subject?: string;
  publicJwk?: Jwk;
}

function parseDer(cer: string): ParsedCert {
  const der = Buffer.from(cer, "base64");
  const x5t = createHash("sha1").update(der).digest("base64url");
  try {
    const x509 = new X509Certificate(der);
    return {
      x5t,
      nbf: Math.floor(Date.parse(x509.validFrom) / 1000),
      exp: Math.floor(Date.parse(x509.validTo) / 1000),
      subject: x509.subject.split("\n").join(", "),
      publicJwk: x509.publicKey.export({ format: "jwk" }) as Jwk,
    };
  } catch {
    // Placeholder DER in a seed: serve it as given, without derived fields.
    return { x5t };
  }
}

// Certificate-backed secrets and keys carry the certificate's validity.
function certAttributes(v: CertificateVersion, p: ParsedCert): Attributes {
  return { nbf: p.nbf, exp: p.exp, ...stripUndefined(v.attributes) };
}

function stripUndefined(a: Attributes): Attributes {
  return Object.fromEntries(Object.entries(a).filter(([, x]) => x !== undefined)) as Attributes;
}

function certVersion(
  v: CertificateVersion,
  p: ParsedCert,
  policy: (base: string) => Json,
): StoredVersion {
  const attributes = certAttributes(v, p);
  const item = (base: string, name: string): Json =>
    withTags({
      id: `${base}/certificates/${name}/${v.version}`,
      x5t: p.x5t,
      attributes: attributesJson(attributes),
    }, v.tags);
  return {
    version: v.version,
    attributes,
    item,
    bundle: (base, name) => {
      const { id, x5t, attributes: attrs, tags } = item(base, name);
      const body: Json = {
        id,
        kid: `${base}/keys/${name}/${v.version}`,
        sid: `${base}/secrets/${name}/${v.version}`,
        x5t,
        cer: v.cer,
        attributes: attrs,
        policy: policy(base),
      };
      return tags === undefined ? body : { ...body, tags };
    },
  };
}

function certSecretVersion(v: CertificateVersion, p: ParsedCert): StoredVersion {
  const attributes = certAttributes(v, p);
  const meta = (base: string, name: string): Json =>
    withTags({
      id: `${base}/secrets/${name}/${v.version}`,
      contentType: v.contentType,
      attributes: attributesJson(attributes),
      managed: true,
    }, v.tags);
  return {
    version: v.version,
    attributes,
    item: meta,
    bundle: (base, name) => ({
      value: v.value,
      ...meta(base, name),
      kid: `${base}/keys/${name}/${v.version}`,
    }),
  };
}

function certKeyVersion(v: CertificateVersion, p: ParsedCert, exportable: boolean): StoredVersion {
  const jwk = v.key ?? p.publicJwk ?? { kty: "RSA" };
  return storedKey(v.version, jwk, certAttributes(v, p), v.tags, true, exportable);
}

function certificatePolicy(cert: Certificate, v: CertificateVersion, p: ParsedCert, base: string): Json {
  const id = `${base}/certificates/${cert.name}/policy`;
  const attributes = { enabled: true, created: v.attributes.created, updated: v.attributes.updated };
  if (cert.policy) return { id, attributes, ...cert.policy };
  const jwk = v.key ?? p.publicJwk;
  return {
    id,
    key_props: keyProps(jwk),
    secret_props: { contentType: v.contentType },
    x509_props: {
      subject: p.subject ?? `CN=${cert.name}`,
      sans: {},
      ekus: ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"],
      key_usage: ["digitalSignature", "keyEncipherment"],
      validity_months: 12,
      basic_constraints: { ca: false },
    },
    lifetime_actions: [{ trigger: { lifetime_percentage: 80 }, action: { action_type: "AutoRenew" } }],
    issuer: { name: "Self" },
    attributes,
  };
}

function keyProps(jwk: Jwk | undefined): Json {
  const base: Json = { exportable: true, reuse_key: false };
  if (jwk?.kty === "EC") return { ...base, kty: "EC", crv: jwk.crv };
  const n = typeof jwk?.n === "string" ? Buffer.from(jwk.n, "base64url").length * 8 : 2048;
  return { ...base, kty: "RSA", key_size: n };
}
