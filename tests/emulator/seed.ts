/**
 * The seed: which identities exist, which vaults exist, who may read them and
 * what they hold. Loaded from YAML/JSON or passed as an object, validated
 * once, and completed with deterministic defaults (client ids, object ids,
 * versions, timestamps) so every later module can rely on a complete shape.
 */
import { createHash, createPublicKey } from "node:crypto";
import { parse as parseYaml } from "yaml";
import {
  type AzureStackEndpoints,
  canonicalCloudName,
  type CloudName,
  DEFAULT_AZURE_STACK,
} from "./clouds.ts";

/** Kinds of identity: who can obtain a token, and from which endpoint. */
export type IdentityKind =
  | "servicePrincipal"
  | "workload"
  | "managedIdentity"
  | "podIdentity"
  | "identityBinding";

/** A seeded identity after normalisation. */
export interface Identity {
  name: string;
  kind: IdentityKind;
  tenant: string;
  clientId: string;
  objectId: string;
  /** Client secret (service principals). */
  clientSecret?: string;
  /**
   * Federated-credential subjects, e.g. `system:serviceaccount:ns:sa`; for `identityBinding`, the
   * service accounts the managed identity is bound to.
   */
  subjects: string[];
  /** Federated-credential issuer; when set, the assertion `iss` must match. */
  issuer?: string;
  /** Managed identity without a seeded clientId = the VM's system-assigned one. */
  systemAssigned: boolean;
  /** ARM resource id of a user-assigned managed identity (`msi_res_id`). */
  resourceId?: string;
  /** `namespace/name` of pods bound to this identity (aad-pod-identity). */
  pods: string[];
  /** Overrides the token lifetime for this identity. */
  tokenLifetimeSeconds?: number;
}

/** Key Vault object attributes, Unix seconds. */
export interface Attributes {
  enabled: boolean;
  created: number;
  updated: number;
  nbf?: number;
  exp?: number;
}

/** One secret version. */
export interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  attributes: Attributes;
}

/** A JSON Web Key as Key Vault returns it (kid is filled in per request). */
export type Jwk = Record<string, unknown> & { kty: string };

/** One key version. */
export interface KeyVersion {
  version: string;
  key: Jwk;
  tags?: Record<string, string>;
  attributes: Attributes;
}

/** One certificate version; its backing secret and key share the version. */
export interface CertificateVersion {
  version: string;
  /** Standard base64 of the DER certificate. */
  cer: string;
  /** Public JWK of the backing key, if seeded. */
  key?: Jwk;
  /** Value of the backing secret (PEM text or base64 PFX), if seeded. */
  value?: string;
  /** Content type of the backing secret. */
  contentType: string;
  tags?: Record<string, string>;
  attributes: Attributes;
}

/** A named object with its versions. */
export interface VersionedObject<V> {
  name: string;
  versions: V[];
}

/** A certificate also carries its (REST-shaped) policy. */
export interface Certificate extends VersionedObject<CertificateVersion> {
  policy?: Record<string, unknown>;
}

/** Permission strings as Key Vault names them in Forbidden messages. */
export type Permission =
  | "secrets get"
  | "secrets list"
  | "keys get"
  | "keys list"
  | "certificates get"
  | "certificates list";

/** Every read permission. */
export const ALL_READ_PERMISSIONS: Permission[] = [
  "secrets get",
  "secrets list",
  "keys get",
  "keys list",
  "certificates get",
  "certificates list",
];

/** A seeded vault after normalisation. */
export interface Vault {
  name: string;
  cloud: CloudName;
  tenant: string;
  location: string;
  /** `accessPolicy` (default) or `rbac`: only changes the 403 wording. */
  authorization: "accessPolicy" | "rbac";
  /** identity name -> granted permissions (readers get all read permissions). */
  access: Record<string, Permission[]>;
  secrets: VersionedObject<SecretVersion>[];
  keys: VersionedObject<KeyVersion>[];
  certificates: Certificate[];
  /** The hub of an AzureStackCloud vault that is not the seed's `azureStack` one. */
  azureStack?: AzureStackEndpoints;
}

/**
 * An OIDC issuer Entra trusts for federated credentials, with the public keys its JWKS would
 * publish (e.g. a Kubernetes API server's service-account issuer and signing key).
 */
export interface OidcIssuer {
  issuer: string;
  /** PEM public keys (SPKI); an assertion from this issuer must be signed by one of them. */
  publicKeys: string[];
}

/** The complete, validated seed. */
export interface Seed {
  tokenLifetimeSeconds?: number;
  defaultTenant: string;
  azureStack: AzureStackEndpoints;
  identities: Identity[];
  vaults: Vault[];
  /** Issuers whose assertions have their signature checked; others are not checked. */
  oidcIssuers: OidcIssuer[];
  aksCluster: AksCluster;
}

/** The AKS cluster whose API server and identity-binding token proxy the emulator plays. */
export interface AksCluster {
  /** The id in the API server certificate's `hcp-kubernetes.<id>.svc.cluster.local` name. */
  id: string;
  /** Where the token proxy serves Entra's paths, e.g. `/` (the default) or `/identity-proxy/`. */
  tokenProxyPath: string;
}

/** Loose input shape (YAML/JSON/object); see README.md for the format. */
export type SeedInput = Record<string, unknown>;

const DEFAULT_TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";
// Seeds without timestamps get versions one day apart from this instant, so
// "newest by created" is well defined and stable across runs.
const DEFAULT_CREATED = 1700000000;
const DAY = 86400;

/** Reads and normalises a seed file (`.yaml`, `.yml` or `.json`). */
export async function loadSeedFile(path: string): Promise<Seed> {
  const text = await Deno.readTextFile(path);
  const raw = path.endsWith(".json") ? JSON.parse(text) : parseYaml(text);
  return normalizeSeed(raw, path);
}

/** Validates a loose seed and fills in defaults. Throws with a field path on error. */
export function normalizeSeed(raw: unknown, where = "seed"): Seed {
  const root = asObject(raw ?? {}, where);
  const defaultTenant = optString(root.defaultTenant, `${where}.defaultTenant`) ??
    DEFAULT_TENANT;
  const stack = asObject(root.azureStack ?? {}, `${where}.azureStack`);
  const seed: Seed = {
    tokenLifetimeSeconds: optNumber(root.tokenLifetimeSeconds, `${where}.tokenLifetimeSeconds`),
    defaultTenant,
    azureStack: {
      loginHost: optString(stack.loginHost, `${where}.azureStack.loginHost`) ??
        DEFAULT_AZURE_STACK.loginHost,
      vaultDnsSuffix: optString(stack.vaultDnsSuffix, `${where}.azureStack.vaultDnsSuffix`) ??
        DEFAULT_AZURE_STACK.vaultDnsSuffix,
    },
    identities: asArray(root.identities ?? [], `${where}.identities`).map((v, i) =>
      normalizeIdentity(v, `${where}.identities[${i}]`, defaultTenant)
    ),
    vaults: [],
    oidcIssuers: asArray(root.oidcIssuers ?? [], `${where}.oidcIssuers`).map((v, i) =>
      normalizeIssuer(v, `${where}.oidcIssuers[${i}]`)
    ),
    aksCluster: normalizeAksCluster(root.aksCluster, `${where}.aksCluster`),
  };
  const names = new Set(seed.identities.map((i) => i.name));
  if (names.size !== seed.identities.length) throw new Error(`${where}: duplicate identity names`);
  seed.vaults = asArray(root.vaults ?? [], `${where}.vaults`).map((v, i) =>
    normalizeVault(v, `${where}.vaults[${i}]`, defaultTenant, names)
  );
  return seed;
}

function normalizeAksCluster(raw: unknown, where: string): AksCluster {
  const o = asObject(raw ?? {}, where);
  const path = optString(o.tokenProxyPath, `${where}.tokenProxyPath`) ?? "/";
  if (!path.startsWith("/")) throw new Error(`${where}.tokenProxyPath: must start with /`);
  return {
    id: optString(o.id, `${where}.id`) ?? derivedHex("aks-cluster").slice(0, 24),
    tokenProxyPath: path.endsWith("/") ? path : `${path}/`,
  };
}

function normalizeIdentity(raw: unknown, where: string, defaultTenant: string): Identity {
  const o = asObject(raw, where);
  const name = reqString(o.name, `${where}.name`);
  const kind = reqString(o.kind, `${where}.kind`) as IdentityKind;
  if (!["servicePrincipal", "workload", "managedIdentity", "podIdentity", "identityBinding"].includes(kind)) {
    throw new Error(`${where}.kind: unknown identity kind ${kind}`);
  }
  const seededClientId = optString(o.clientId, `${where}.clientId`);
  return {
    name,
    kind,
    tenant: optString(o.tenant, `${where}.tenant`) ?? defaultTenant,
    clientId: seededClientId ?? derivedGuid(`client:${name}`),
    objectId: optString(o.objectId, `${where}.objectId`) ?? derivedGuid(`object:${name}`),
    clientSecret: optString(o.clientSecret, `${where}.clientSecret`),
    subjects: optStrings(o.subjects, `${where}.subjects`),
    issuer: optString(o.issuer, `${where}.issuer`),
    systemAssigned: kind === "managedIdentity" && seededClientId === undefined,
    resourceId: optString(o.resourceId, `${where}.resourceId`),
    pods: optStrings(o.pods, `${where}.pods`),
    tokenLifetimeSeconds: optNumber(o.tokenLifetimeSeconds, `${where}.tokenLifetimeSeconds`),
  };
}

function normalizeIssuer(raw: unknown, where: string): OidcIssuer {
  const o = asObject(raw, where);
  const publicKeys = optStrings(o.publicKeys, `${where}.publicKeys`);
  publicKeys.forEach((pem, i) => {
    try {
      createPublicKey(pem);
    } catch {
      throw new Error(`${where}.publicKeys[${i}]: not a PEM public key`);
    }
  });
  if (publicKeys.length === 0) throw new Error(`${where}.publicKeys: at least one key required`);
  return { issuer: reqString(o.issuer, `${where}.issuer`), publicKeys };
}

function normalizeVault(
  raw: unknown,
  where: string,
  defaultTenant: string,
  identities: Set<string>,
): Vault {
  const o = asObject(raw, where);
  const name = reqString(o.name, `${where}.name`).toLowerCase();
  const cloudName = optString(o.cloud, `${where}.cloud`) ?? "AzurePublicCloud";
  const cloud = canonicalCloudName(cloudName);
  if (!cloud) throw new Error(`${where}.cloud: unknown cloud ${cloudName}`);
  const authorization = optString(o.authorization, `${where}.authorization`) ?? "accessPolicy";
  if (authorization !== "accessPolicy" && authorization !== "rbac") {
    throw new Error(`${where}.authorization: must be accessPolicy or rbac`);
  }
  const stack = o.azureStack === undefined ? undefined : asObject(o.azureStack, `${where}.azureStack`);
  if (stack && cloud !== "AzureStackCloud") {
    throw new Error(`${where}.azureStack: only a vault of cloud AzureStackCloud has a hub`);
  }
  const vault: Vault = {
    name,
    cloud,
    ...(stack && {
      azureStack: {
        loginHost: reqString(stack.loginHost, `${where}.azureStack.loginHost`),
        vaultDnsSuffix: reqString(stack.vaultDnsSuffix, `${where}.azureStack.vaultDnsSuffix`),
      },
    }),
    tenant: optString(o.tenant, `${where}.tenant`) ?? defaultTenant,
    location: optString(o.location, `${where}.location`) ?? "eastus",
    authorization,
    access: normalizeAccess(o, where, identities),
    secrets: asArray(o.secrets ?? [], `${where}.secrets`).map((s, i) =>
      normalizeObject(s, `${where}.secrets[${i}]`, `${name}/secrets`, normalizeSecretVersion)
    ),
    keys: asArray(o.keys ?? [], `${where}.keys`).map((k, i) =>
      normalizeObject(k, `${where}.keys[${i}]`, `${name}/keys`, normalizeKeyVersion)
    ),
    certificates: asArray(o.certificates ?? [], `${where}.certificates`).map((c, i) =>
      normalizeCertificate(c, `${where}.certificates[${i}]`, name)
    ),
  };
  checkNameClashes(vault, where);
  return vault;
}

// `readers` grants every read permission; `permissions` grants chosen ones,
// so tests can, e.g., allow `secrets get` but not `secrets list`.
function normalizeAccess(
  o: Record<string, unknown>,
  where: string,
  identities: Set<string>,
): Record<string, Permission[]> {
  const access: Record<string, Permission[]> = {};
  for (const reader of optStrings(o.readers, `${where}.readers`)) {
    access[reader] = [...ALL_READ_PERMISSIONS];
  }
  const perms = asObject(o.permissions ?? {}, `${where}.permissions`);
  for (const [identity, list] of Object.entries(perms)) {
    const granted = optStrings(list, `${where}.permissions.${identity}`) as Permission[];
    for (const p of granted) {
      if (!ALL_READ_PERMISSIONS.includes(p)) {
        throw new Error(`${where}.permissions.${identity}: unknown permission '${p}'`);
      }
    }
    access[identity] = [...new Set([...(access[identity] ?? []), ...granted])];
  }
  for (const identity of Object.keys(access)) {
    if (!identities.has(identity)) {
      throw new Error(`${where}: access granted to unknown identity '${identity}'`);
    }
  }
  return access;
}

function normalizeObject<V>(
  raw: unknown,
  where: string,
  scope: string,
  version: (raw: unknown, where: string, defaults: VersionDefaults) => V,
): VersionedObject<V> {
  const o = asObject(raw, where);
  const name = reqString(o.name, `${where}.name`);
  checkObjectName(name, `${where}.name`);
  const versions = asArray(o.versions ?? [], `${where}.versions`);
  if (versions.length === 0) throw new Error(`${where}.versions: at least one version required`);
  return {
    name,
    versions: versions.map((v, i) =>
      version(v, `${where}.versions[${i}]`, defaultsFor(`${scope}/${name}`, i))
    ),
  };
}

interface VersionDefaults {
  version: string;
  created: number;
}

function defaultsFor(scope: string, index: number): VersionDefaults {
  return {
    version: derivedHex(`${scope}/${index}`),
    created: DEFAULT_CREATED + index * DAY,
  };
}

function normalizeSecretVersion(raw: unknown, where: string, d: VersionDefaults): SecretVersion {
  const o = asObject(raw, where);
  return {
    version: versionOf(o, where, d),
    value: anyString(o.value, `${where}.value`),
    contentType: optString(o.contentType, `${where}.contentType`),
    tags: optTags(o.tags, `${where}.tags`),
    attributes: attributesOf(o, where, d),
  };
}

function normalizeKeyVersion(raw: unknown, where: string, d: VersionDefaults): KeyVersion {
  const o = asObject(raw, where);
  return {
    version: versionOf(o, where, d),
    key: jwkOf(o.key, `${where}.key`),
    tags: optTags(o.tags, `${where}.tags`),
    attributes: attributesOf(o, where, d),
  };
}

function normalizeCertificate(raw: unknown, where: string, vaultName: string): Certificate {
  const o = asObject(raw, where);
  const policy = o.policy === undefined ? undefined : asObject(o.policy, `${where}.policy`);
  const secretProps = asObject(policy?.secret_props ?? {}, `${where}.policy.secret_props`);
  const policyType = optString(secretProps.contentType, `${where}.policy.secret_props.contentType`);
  const base = normalizeObject(
    o,
    where,
    `${vaultName}/certificates`,
    (v, w, d) => normalizeCertificateVersion(v, w, d, policyType),
  );
  return { ...base, policy };
}

function normalizeCertificateVersion(
  raw: unknown,
  where: string,
  d: VersionDefaults,
  policyContentType: string | undefined,
): CertificateVersion {
  const o = asObject(raw, where);
  const cer = reqString(o.cer, `${where}.cer`).replace(/\s+/g, "");
  if (!/^[A-Za-z0-9+/]+=*$/.test(cer)) throw new Error(`${where}.cer: must be standard base64 DER`);
  return {
    version: versionOf(o, where, d),
    cer,
    key: o.key === undefined ? undefined : jwkOf(o.key, `${where}.key`),
    value: o.value === undefined ? undefined : anyString(o.value, `${where}.value`),
    contentType: optString(o.contentType, `${where}.contentType`) ?? policyContentType ??
      "application/x-pkcs12",
    tags: optTags(o.tags, `${where}.tags`),
    attributes: attributesOf(o, where, d),
  };
}

function versionOf(o: Record<string, unknown>, where: string, d: VersionDefaults): string {
  const version = optString(o.version, `${where}.version`) ?? d.version;
  checkObjectName(version, `${where}.version`);
  return version;
}

function attributesOf(o: Record<string, unknown>, where: string, d: VersionDefaults): Attributes {
  const created = optNumber(o.created, `${where}.created`) ?? d.created;
  const attrs: Attributes = {
    enabled: optBoolean(o.enabled, `${where}.enabled`) ?? true,
    created,
    updated: optNumber(o.updated, `${where}.updated`) ?? created,
  };
  const nbf = optNumber(o.nbf, `${where}.nbf`);
  const exp = optNumber(o.exp, `${where}.exp`);
  if (nbf !== undefined) attrs.nbf = nbf;
  if (exp !== undefined) attrs.exp = exp;
  return attrs;
}

function jwkOf(raw: unknown, where: string): Jwk {
  const jwk = asObject(raw, where);
  reqString(jwk.kty, `${where}.kty`);
  return { ...jwk } as Jwk;
}

// A certificate is also a secret and a key of the same name, so a plain
// secret or key of that name cannot coexist with it in one vault.
function checkNameClashes(vault: Vault, where: string): void {
  const lower = (xs: { name: string }[]) => xs.map((x) => x.name.toLowerCase());
  const certs = new Set(lower(vault.certificates));
  for (const [kind, names] of [["secrets", lower(vault.secrets)], ["keys", lower(vault.keys)]]) {
    for (const n of names as string[]) {
      if (certs.has(n)) throw new Error(`${where}.${kind}: '${n}' clashes with a certificate`);
    }
  }
  for (const list of [vault.secrets, vault.keys, vault.certificates]) {
    const names = lower(list);
    if (new Set(names).size !== names.length) throw new Error(`${where}: duplicate object names`);
  }
}

// Key Vault object names and versions: letters, digits and dashes.
function checkObjectName(name: string, where: string): void {
  if (!/^[0-9a-zA-Z-]{1,127}$/.test(name)) {
    throw new Error(`${where}: '${name}' is not a valid Key Vault name (0-9, a-z, A-Z, -)`);
  }
}

/** A stable GUID derived from a string (so seeds need not spell out ids). */
export function derivedGuid(input: string): string {
  const h = derivedHex(input);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

/** A stable 32-hex-digit id (the shape of a Key Vault version). */
export function derivedHex(input: string): string {
  return createHash("sha256").update(input).digest("hex").slice(0, 32);
}

function asObject(v: unknown, where: string): Record<string, unknown> {
  if (typeof v !== "object" || v === null || Array.isArray(v)) {
    throw new Error(`${where}: expected an object`);
  }
  return v as Record<string, unknown>;
}

function asArray(v: unknown, where: string): unknown[] {
  if (!Array.isArray(v)) throw new Error(`${where}: expected a list`);
  return v;
}

function reqString(v: unknown, where: string): string {
  if (typeof v !== "string" || v === "") throw new Error(`${where}: expected a non-empty string`);
  return v;
}

// Secret values and tag values may legitimately be empty.
function anyString(v: unknown, where: string): string {
  if (typeof v !== "string") throw new Error(`${where}: expected a string`);
  return v;
}

function optString(v: unknown, where: string): string | undefined {
  return v === undefined || v === null ? undefined : reqString(v, where);
}

function optNumber(v: unknown, where: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v)) throw new Error(`${where}: expected a number`);
  return v;
}

function optBoolean(v: unknown, where: string): boolean | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "boolean") throw new Error(`${where}: expected true or false`);
  return v;
}

function optStrings(v: unknown, where: string): string[] {
  if (v === undefined || v === null) return [];
  return asArray(v, where).map((s, i) => reqString(s, `${where}[${i}]`));
}

function optTags(v: unknown, where: string): Record<string, string> | undefined {
  if (v === undefined || v === null) return undefined;
  const o = asObject(v, where);
  for (const [k, val] of Object.entries(o)) anyString(val, `${where}.${k}`);
  return o as Record<string, string>;
}
