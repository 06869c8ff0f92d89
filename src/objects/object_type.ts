import type { ObjectSpec } from "../config/object_spec.ts";
import type { VaultAccess } from "../keyvault/vault_clients.ts";

/** One version of an object as a version listing reports it. */
export interface VersionProperties {
  readonly version: string;
  readonly enabled: boolean;
  /** Creation time; a version without one sorts as the Unix epoch. */
  readonly createdOn?: Date;
}

/** One object of a vault as a listing of the vault reports it. */
export interface ListedObject {
  readonly name: string;
  readonly enabled: boolean;
}

/** An object as fetched from Key Vault: its version and what the type needs to format it. */
export interface Fetched<T> {
  readonly version: string;
  readonly value: T;
}

/** One file an object produces; `suffix` is appended to the object's file name. */
export interface OutputFile {
  readonly suffix: string;
  readonly contents: Uint8Array;
  /** A file of its own at this path (a `jmesPath` alias) instead of the object's name + suffix. */
  readonly path?: string;
}

/** The provider-wide choices that shape output files (flags). */
export interface FormatContext {
  readonly constructPemChain: boolean;
  readonly writeCertAndKeyInSeparateFiles: boolean;
  /** Logs a warning about this object (never its content). */
  warn(message: string): void;
}

/** Content that Key Vault returned but that cannot be turned into the requested files. */
export class ObjectFormatError extends Error {
  override name = "ObjectFormatError";
}

/**
 * One Key Vault object type (`secret`, `key`, `cert`): how it is fetched and how its bytes
 * become files. Adding a type means one module implementing this plus its registration.
 */
export interface ObjectType<T = unknown> {
  readonly type: string;
  /** Why this type cannot honour the spec's fields, checked before any network call. */
  checkSpec(spec: ObjectSpec): string | undefined;
  /** Fetches one version (`""` = the current one). */
  get(vault: VaultAccess, name: string, version: string, signal: AbortSignal): Promise<Fetched<T>>;
  /** Lists every version of the object, following every page. */
  listVersions(vault: VaultAccess, name: string, signal: AbortSignal): Promise<VersionProperties[]>;
  /** Lists the vault's objects of this type, following every page (types that take a name pattern). */
  listObjects?(vault: VaultAccess, signal: AbortSignal): Promise<ListedObject[]>;
  /** Turns fetched content into files; throws ObjectFormatError when it cannot. */
  toFiles(spec: ObjectSpec, value: T, context: FormatContext): OutputFile[];
}
