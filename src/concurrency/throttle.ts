/**
 * A throttle governor: for each service endpoint (a vault's host, an Entra authority) it keeps
 * the time until which the service asked not to be called and bounds the requests in flight to
 * it. Every mount of the process asks it before sending, so one 429 holds back every mount, not
 * only the one that received it, and a burst of mounts cannot overrun a service by itself.
 */

/** What the governor reports (metrics); every method is optional work. */
export interface ThrottleObserver {
  /** A throttled answer (429) from `endpoint`. */
  throttled?(endpoint: string): void;
  /** A request waited `seconds` for `endpoint`'s throttle to end before it was sent. */
  waited?(endpoint: string, seconds: number): void;
}

/** How the governor spaces and bounds requests. */
export interface ThrottleOptions {
  /** Requests in flight to one endpoint at most; further ones queue in arrival order. */
  readonly concurrency: number;
  readonly observer?: ThrottleObserver;
}

/** Why requests to an endpoint are held back, and until when (epoch ms). */
export interface ThrottleState {
  readonly until: number;
  /** True when the service named the time (Retry-After), false for our own backoff. */
  readonly retryAfter: boolean;
}

/** Released slot of one request; calling it twice is harmless. */
export type Release = () => void;

interface Endpoint {
  until: number;
  retryAfter: boolean;
  /** True from a 429 until the endpoint answers anything else. */
  throttling: boolean;
  /** 429s without Retry-After in a row, for the exponential backoff. */
  consecutive: number;
  inFlight: number;
  readonly queue: (() => void)[];
}

/** Default first backoff: Key Vault's throttling guidance starts its exponential retries at 1 s. */
const BASE_BACKOFF_MS = 1000;
/** Upper bound of one backoff: long enough to relieve the service, short of a mount's deadline. */
const MAX_BACKOFF_MS = 32_000;

/** Holds requests back per endpoint while it throttles, and bounds those in flight. */
export class Throttles {
  readonly #endpoints = new Map<string, Endpoint>();
  readonly #watchers = new Map<string, Set<(state: ThrottleState) => void>>();

  constructor(private readonly options: ThrottleOptions) {
    if (!(options.concurrency >= 1)) throw new RangeError("concurrency must be at least 1");
  }

  /**
   * Waits until `endpoint` is not throttled and a slot is free, then takes the slot. Rejects
   * with `signal.reason` when the signal fires first; the caller must call the returned release.
   */
  async admit(endpoint: string, signal: AbortSignal): Promise<Release> {
    const started = performance.now();
    let waitedForThrottle = false;
    let state: Endpoint;
    for (;;) {
      signal.throwIfAborted();
      // Looked up on every turn: an idle endpoint is forgotten, and recreated by the next 429.
      state = this.#endpoint(endpoint);
      const wait = state.until - Date.now();
      if (wait > 0) {
        waitedForThrottle = true;
        await sleep(wait, signal);
        continue;
      }
      if (state.inFlight < this.options.concurrency) break;
      await this.#queued(state, signal);
    }
    if (waitedForThrottle) this.options.observer?.waited?.(endpoint, (performance.now() - started) / 1000);
    state.inFlight++;
    const taken = state;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      taken.inFlight--;
      // Every waiter looks again: one that gave up, or now sleeps on a throttle, must not keep
      // the freed slot from the others. Those that find no slot queue again.
      for (const wake of taken.queue.splice(0)) wake();
      this.#tidy(endpoint, taken);
    };
  }

  /**
   * Records a 429 from `endpoint`: nothing is sent to it for `retryAfterMs` when the service
   * said so, else for an exponential backoff with jitter (half fixed, half random, so that
   * providers on many nodes do not come back in step).
   */
  throttled(endpoint: string, retryAfterMs: number | undefined): ThrottleState {
    const state = this.#endpoint(endpoint);
    state.throttling = true;
    this.options.observer?.throttled?.(endpoint);
    let wait: number;
    if (retryAfterMs !== undefined) {
      wait = retryAfterMs;
    } else {
      const full = Math.min(MAX_BACKOFF_MS, BASE_BACKOFF_MS * 2 ** state.consecutive);
      state.consecutive++;
      wait = full / 2 + Math.random() * full / 2;
    }
    const until = Date.now() + wait;
    if (until > state.until) {
      state.until = until;
      state.retryAfter = retryAfterMs !== undefined;
    }
    const current = { until: state.until, retryAfter: state.retryAfter };
    for (const watcher of this.#watchers.get(endpoint) ?? []) watcher(current);
    return current;
  }

  /**
   * Calls `watcher` with every throttle recorded for `endpoint` until the returned function is
   * called: a mount learns at once that a throttle outlasts its deadline.
   */
  watch(endpoint: string, watcher: (state: ThrottleState) => void): () => void {
    let watchers = this.#watchers.get(endpoint);
    if (!watchers) this.#watchers.set(endpoint, watchers = new Set());
    watchers.add(watcher);
    return () => {
      watchers.delete(watcher);
      if (watchers.size === 0 && this.#watchers.get(endpoint) === watchers) this.#watchers.delete(endpoint);
    };
  }

  /** Records an answer that was not a 429: the backoff starts again from its first step. */
  answered(endpoint: string): void {
    const state = this.#endpoints.get(endpoint);
    if (!state) return;
    state.consecutive = 0;
    state.throttling = false;
  }

  /**
   * The throttle of `endpoint` when it holds requests back now or its last answer was a 429
   * (a request sent again after the wait is still under way): what a mount whose deadline
   * passed meanwhile was waiting for.
   */
  current(endpoint: string): ThrottleState | undefined {
    const state = this.#endpoints.get(endpoint);
    if (!state || (!state.throttling && state.until <= Date.now())) return undefined;
    return { until: state.until, retryAfter: state.retryAfter };
  }

  #endpoint(endpoint: string): Endpoint {
    let state = this.#endpoints.get(endpoint);
    if (!state) {
      state = { until: 0, retryAfter: false, throttling: false, consecutive: 0, inFlight: 0, queue: [] };
      this.#endpoints.set(endpoint, state);
    }
    return state;
  }

  /** Waits for a slot of `state`, leaving the queue when the signal fires. */
  #queued(state: Endpoint, signal: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const wake = () => {
        signal.removeEventListener("abort", onAbort);
        resolve();
      };
      const onAbort = () => {
        const index = state.queue.indexOf(wake);
        if (index >= 0) state.queue.splice(index, 1);
        reject(signal.reason);
      };
      state.queue.push(wake);
      signal.addEventListener("abort", onAbort, { once: true });
    });
  }

  /** Forgets an endpoint with nothing to remember, so the map holds only endpoints in use. */
  #tidy(endpoint: string, state: Endpoint): void {
    const idle = state.inFlight === 0 && state.queue.length === 0;
    if (idle && !state.throttling && state.consecutive === 0 && state.until <= Date.now()) {
      this.#endpoints.delete(endpoint);
    }
  }
}

/** Resolves after `ms`, or rejects with the signal's reason when it fires first. */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
