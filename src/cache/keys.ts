/**
 * The cache keys of the provider, one named type each, each built by one function. A key is
 * the JSON encoding of an array of strings, so no choice of field values can make two
 * different field lists encode alike (`a|x`+`y` and `a`+`x|y` cannot meet), and each key
 * contains the one below it: identity key ⊂ vault key ⊂ client and object keys. Nothing cached under an
 * object key can therefore be found by another identity or another vault.
 *
 * @example
 * ```ts
 * const identity = identityKey("vmManagedIdentity", { clientId: "system" });
 * const vault = vaultKey(identity, "https://demo.vault.azure.net");
 * const object = objectKey(vault, { objectType: "secret", objectName: "db", objectVersion: "" });
 * ```
 */

declare const named: unique symbol;

/** A string that only the function building a key of `Name` returns. */
type Key<Name extends string> = string & { readonly [named]: Name };

/**
 * Who a credential authenticates as: the mode and every field the token's issuer decides by
 * (tenant, client id, subject, pod, …). Two identities never share one; secrets enter it
 * only as a salted hash.
 */
export type IdentityKey = Key<"identity">;

/** One vault as one identity: an identity key and the vault's URL. */
export type VaultKey = Key<"vault">;

/** One Key Vault SDK client: a vault key and the client kind (`secrets`, `keys`, …). */
export type ClientKey = Key<"client">;

/** One fetch of one object: a vault key, the object type, its name and version. */
export type ObjectKey = Key<"object">;

/** The key of the listing of an object's versions: a vault key, the object type and name. */
export type VersionListKey = Key<"versions">;

/** The key of the listing of a vault's objects of one type (an objectName pattern): a vault key and the type. */
export type ObjectListKey = Key<"objects">;

/**
 * One token request of one credential: the scopes and the options that change the token
 * (tenant, claims, continuous access evaluation). Requests with the same key share one exchange.
 */
export type TokenRequestKey = Key<"token">;

function encode<Name extends string>(parts: readonly string[]): Key<Name> {
  return JSON.stringify(parts) as Key<Name>;
}

/**
 * The key of an identity of `mode`, from the fields that tell its identities apart. The field
 * names are part of the key, in sorted order, so a mode cannot build the same key from
 * different fields by accident.
 */
export function identityKey(mode: string, fields: Readonly<Record<string, string>>): IdentityKey {
  const names = Object.keys(fields).sort();
  return encode(["identity", mode, ...names.flatMap((name) => [name, fields[name]])]);
}

/** The key of `vaultUrl` as `identity`. */
export function vaultKey(identity: IdentityKey, vaultUrl: string): VaultKey {
  return encode(["vault", identity, vaultUrl]);
}

/** The key of the `kind` SDK client of a vault. */
export function clientKey(vault: VaultKey, kind: string): ClientKey {
  return encode(["client", vault, kind]);
}

/** What names one fetched object within a vault. */
export interface ObjectFields {
  readonly objectType: string;
  readonly objectName: string;
  /** "" for the current version. */
  readonly objectVersion: string;
}

/** The key of one fetch of one object of a vault. */
export function objectKey(vault: VaultKey, fields: ObjectFields): ObjectKey {
  return encode(["object", vault, fields.objectType, fields.objectName, fields.objectVersion]);
}

/** The key of the version listing of one object of a vault. */
export function versionListKey(
  vault: VaultKey,
  fields: Pick<ObjectFields, "objectType" | "objectName">,
): VersionListKey {
  return encode(["versions", vault, fields.objectType, fields.objectName]);
}

/** The key of the listing of every object of `objectType` in a vault. */
export function objectListKey(vault: VaultKey, objectType: string): ObjectListKey {
  return encode(["objects", vault, objectType]);
}

/** What decides the token a credential returns, besides the credential itself. */
export interface TokenRequestFields {
  readonly scopes: string | readonly string[];
  readonly tenantId?: string;
  readonly claims?: string;
  readonly enableCae?: boolean;
}

/** The key of one token request of one credential. */
export function tokenRequestKey(fields: TokenRequestFields): TokenRequestKey {
  const scopes = typeof fields.scopes === "string" ? [fields.scopes] : [...fields.scopes];
  return encode([
    "token",
    JSON.stringify(scopes),
    fields.tenantId ?? "",
    fields.claims ?? "",
    String(fields.enableCae ?? false),
  ]);
}
