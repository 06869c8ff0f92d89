import type { ObjectKey } from "../cache/keys.ts";

/** The bounds of the object cache. */
export interface ObjectCacheLimits {
  /** How long a fetched value may answer remounts, in ms; 0 turns the cache off. */
  readonly ttlMs: number;
  /** Entries kept at most; the least recently used goes first. */
  readonly maxEntries: number;
  /** Approximate bytes of the values kept at most; the least recently used goes first. */
  readonly maxBytes: number;
}

interface Entry<V> {
  readonly value: V;
  readonly bytes: number;
  readonly expires: number;
}

/**
 * Objects fetched from Key Vault, kept for a short time so that the remounts of a rotation poll
 * by one identity share one GET per object. Keyed by {@link ObjectKey}, which holds the identity
 * key and the vault, so nothing fetched by one identity can answer another. Bounded in entries
 * and bytes (least recently used first out) and dropped at expiry, whether asked for or not:
 * secret values do not stay in memory longer than the time to live.
 */
export class ObjectCache<V> {
  /** In least-recently-used order (a read moves an entry to the end). */
  readonly #entries = new Map<ObjectKey, Entry<V>>();
  /** In expiry order: every entry gets the same time to live, so insertion order is expiry order. */
  #expiries: { key: ObjectKey; entry: Entry<V> }[] = [];
  #bytes = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly limits: ObjectCacheLimits) {}

  /** False when the time to live is 0: nothing is kept. */
  get enabled(): boolean {
    return this.limits.ttlMs > 0;
  }

  /** The unexpired value under `key`, marked as recently used. */
  get(key: ObjectKey): V | undefined {
    this.#dropExpired();
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    this.#entries.delete(key);
    this.#entries.set(key, entry);
    return entry.value;
  }

  /** Keeps `value` (about `bytes` large) under `key` for the time to live. */
  set(key: ObjectKey, value: V, bytes: number): void {
    if (!this.enabled) return;
    this.#dropExpired();
    this.#remove(key);
    // Too large to keep: the remounts that want it read Key Vault (never the older value).
    if (bytes > this.limits.maxBytes) return;
    const entry = { value, bytes, expires: Date.now() + this.limits.ttlMs };
    this.#entries.set(key, entry);
    this.#expiries.push({ key, entry });
    this.#bytes += bytes;
    while (this.#entries.size > this.limits.maxEntries || this.#bytes > this.limits.maxBytes) {
      this.#remove(this.#entries.keys().next().value as ObjectKey);
    }
    this.#schedule();
  }

  #remove(key: ObjectKey): void {
    const entry = this.#entries.get(key);
    if (!entry) return;
    this.#entries.delete(key);
    this.#bytes -= entry.bytes;
  }

  #dropExpired(): void {
    const now = Date.now();
    let expired = 0;
    while (expired < this.#expiries.length && this.#expiries[expired].entry.expires <= now) {
      const { key, entry } = this.#expiries[expired++];
      if (this.#entries.get(key) === entry) this.#remove(key);
    }
    if (expired > 0) this.#expiries = this.#expiries.slice(expired);
    // Entries replaced or evicted early leave stale records behind; compact when they dominate.
    if (this.#expiries.length > 2 * this.#entries.size + 64) {
      this.#expiries = this.#expiries.filter(({ key, entry }) => this.#entries.get(key) === entry);
    }
  }

  /** One timer for the next expiry, so values leave memory even when no mount asks again. */
  #schedule(): void {
    if (this.#timer !== undefined || this.#expiries.length === 0) return;
    const wait = Math.max(0, this.#expiries[0].entry.expires - Date.now());
    const timer = setTimeout(() => {
      this.#timer = undefined;
      this.#dropExpired();
      this.#schedule();
    }, wait);
    // The timer must not keep a stopping provider alive.
    Deno.unrefTimer(timer);
    this.#timer = timer;
  }
}

/**
 * About how many bytes a fetched value holds: its strings' lengths and its byte arrays' sizes,
 * walked to any depth. The bound is on what users store in Key Vault, so this is close enough.
 */
export function approximateBytes(value: unknown, seen = new Set<object>()): number {
  if (typeof value === "string") return value.length;
  if (value instanceof Uint8Array) return value.byteLength;
  if (typeof value !== "object" || value === null || seen.has(value)) return 8;
  seen.add(value);
  let total = 16;
  for (const [name, item] of Object.entries(value)) total += name.length + approximateBytes(item, seen);
  return total;
}
