import { objectKey, objectListKey, versionListKey } from "../cache/keys.ts";
import { InFlight } from "../concurrency/in_flight.ts";
import { MountedPods } from "../keyvault/mounted_pods.ts";
import { approximateBytes, ObjectCache } from "../keyvault/object_cache.ts";
import type { VaultAccess } from "../keyvault/vault_clients.ts";
import type { Fetched, ListedObject, ObjectType, VersionProperties } from "../objects/object_type.ts";
import { ObjectFormatError } from "../objects/object_type.ts";
import type { MountObserver } from "./mount_types.ts";

/**
 * Bounds of the object cache: far more than the objects of one node's identities (110 pods
 * with a few objects each), and 8 MiB of values against the 160 MiB memory limit.
 */
const CACHED_OBJECTS = 4096;
const CACHED_BYTES = 8 * 1024 * 1024;
/** Pods remembered as mounted: many times one node's 110; a forgotten one reads Key Vault again. */
const MOUNTED_PODS_KEPT = 4096;

/** One mount's reads: whether the object cache may answer them, and how many it did. */
export interface MountReads {
  /** True when this pod was mounted before, so its objects may come from the cache. */
  readonly remount: boolean;
  cached: number;
}

/**
 * Everything mounts read from Key Vault, and what they share: identical reads under way are
 * joined (by {@link ObjectKey}, {@link VersionListKey} and object-list keys, so only within one
 * identity and vault), and the remounts of a pod are answered from the object cache within its
 * time to live. Failures are never kept, so an identity that cannot read an object asks Key
 * Vault every time.
 */
export class ObjectReader {
  readonly #fetches = new InFlight<Fetched<unknown>>();
  readonly #versionLists = new InFlight<VersionProperties[]>();
  readonly #objectLists = new InFlight<ListedObject[]>();
  readonly #cache: ObjectCache<Fetched<unknown>>;
  readonly #pods = new MountedPods(MOUNTED_PODS_KEPT);

  constructor(objectCacheTtlMs: number, private readonly observer?: MountObserver) {
    this.#cache = new ObjectCache({
      ttlMs: objectCacheTtlMs,
      maxEntries: CACHED_OBJECTS,
      maxBytes: CACHED_BYTES,
    });
  }

  /** Starts the reads of one mount of the pod `podUid` ("" when the driver sent none). */
  startMount(podUid: string): MountReads {
    return { remount: this.#pods.has(podUid), cached: 0 };
  }

  /** Records that the pod `podUid` was mounted (successfully or not): its next mount is a remount. */
  endMount(podUid: string): void {
    this.#pods.add(podUid);
  }

  /** One version ("" for the current one) of the object `name` of `type` in `vault`. */
  async get(
    vault: VaultAccess,
    type: ObjectType,
    name: string,
    version: string,
    signal: AbortSignal,
    reads: MountReads,
  ): Promise<Fetched<unknown>> {
    const key = objectKey(vault.key, { objectType: type.type, objectName: name, objectVersion: version });
    const cached = reads.remount ? this.#cache.get(key) : undefined;
    if (this.#cache.enabled) this.observer?.objectCache?.({ objectType: type.type, hit: !!cached });
    if (cached) {
      reads.cached++;
      return cached;
    }
    const fetched = await this.#fetches.run(key, signal, (shared) => type.get(vault, name, version, shared));
    this.#cache.set(key, fetched, approximateBytes(fetched));
    return fetched;
  }

  /** The versions of the object `name` of `type` in `vault`, newest first. */
  versions(
    vault: VaultAccess,
    type: ObjectType,
    name: string,
    signal: AbortSignal,
  ): Promise<VersionProperties[]> {
    const key = versionListKey(vault.key, { objectType: type.type, objectName: name });
    return this.#versionLists.run(key, signal, (shared) => type.listVersions(vault, name, shared));
  }

  /** Every object of `type` in `vault`, all pages (for an objectName pattern). */
  list(vault: VaultAccess, type: ObjectType, signal: AbortSignal): Promise<ListedObject[]> {
    return this.#objectLists.run(objectListKey(vault.key, type.type), signal, (shared) => {
      // checkSpec accepts a pattern only for types that list (secrets).
      if (!type.listObjects) throw new ObjectFormatError(`objectType ${type.type} cannot be listed`);
      return type.listObjects(vault, shared);
    });
  }
}
