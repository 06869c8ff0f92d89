/**
 * A map that keeps at most `capacity` entries and forgets the least recently used one first.
 * Used for credentials and Key Vault clients, whose number grows with the identities a node
 * serves and must not grow without end.
 */
export class BoundedMap<K, V> {
  readonly #entries = new Map<K, V>();

  constructor(readonly capacity: number) {
    if (!(capacity >= 1)) throw new RangeError("capacity must be at least 1");
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Returns the value for `key`, marking it as recently used. */
  get(key: K): V | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
    }
    return value;
  }

  /** Returns the value for `key`, creating and storing it first when absent. */
  getOrCreate(key: K, create: () => V): V {
    const found = this.get(key);
    if (found !== undefined) return found;
    const value = create();
    this.#entries.set(key, value);
    if (this.#entries.size > this.capacity) {
      this.#entries.delete(this.#entries.keys().next().value as K);
    }
    return value;
  }

  delete(key: K): boolean {
    return this.#entries.delete(key);
  }
}
