import { BoundedMap } from "../cache/bounded_map.ts";

/**
 * The uids of pods this process has mounted, so that only a remount may be answered from the
 * object cache: a pod's first mount always reads Key Vault, so a user who updates a secret and
 * then starts new pods gets the new value. A restarted provider knows no pod. Bounded: a pod
 * forgotten in a long-running process merely reads Key Vault again.
 */
export class MountedPods {
  readonly #uids: BoundedMap<string, true>;

  constructor(capacity: number) {
    this.#uids = new BoundedMap(capacity);
  }

  /** True when a mount of the pod `uid` was made before (a uid of "" never is). */
  has(uid: string): boolean {
    return uid !== "" && this.#uids.get(uid) === true;
  }

  /** Records that the pod `uid` has been mounted. */
  add(uid: string): void {
    if (uid !== "") this.#uids.getOrCreate(uid, () => true);
  }
}
