/**
 * Coalesces identical concurrent work: while a task for a key runs, later callers share its
 * result instead of starting another. The shared task is cancelled only when every caller
 * that waits for it has given up, so one cancelled pod never fails another pod's mount.
 */
export class InFlight<T> {
  readonly #tasks = new Map<string, Shared<T>>();

  /** Number of distinct tasks running now. */
  get size(): number {
    return this.#tasks.size;
  }

  /** Runs `work` for `key`, or joins the run already under way. */
  run(key: string, signal: AbortSignal, work: (signal: AbortSignal) => Promise<T>): Promise<T> {
    signal.throwIfAborted();
    let shared = this.#tasks.get(key);
    if (!shared) {
      const controller = new AbortController();
      shared = { controller, waiters: 0, promise: Promise.resolve() as Promise<T> };
      const entry = shared;
      entry.promise = work(controller.signal).finally(() => {
        if (this.#tasks.get(key) === entry) this.#tasks.delete(key);
      });
      this.#tasks.set(key, entry);
    }
    return this.#wait(key, shared, signal);
  }

  #wait(key: string, shared: Shared<T>, signal: AbortSignal): Promise<T> {
    shared.waiters++;
    return new Promise<T>((resolve, reject) => {
      const onAbort = () => {
        settle();
        reject(signal.reason);
        if (shared.waiters === 0) {
          if (this.#tasks.get(key) === shared) this.#tasks.delete(key);
          shared.controller.abort(signal.reason);
        }
      };
      let settled = false;
      const settle = () => {
        if (settled) return;
        settled = true;
        shared.waiters--;
        signal.removeEventListener("abort", onAbort);
      };
      signal.addEventListener("abort", onAbort, { once: true });
      shared.promise.then(
        (value) => {
          if (settled) return;
          settle();
          resolve(value);
        },
        (error) => {
          if (settled) return;
          settle();
          reject(error);
        },
      );
    });
  }
}

interface Shared<T> {
  controller: AbortController;
  waiters: number;
  promise: Promise<T>;
}
