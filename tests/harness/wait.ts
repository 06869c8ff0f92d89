/** Waiting for a condition, as tests must: polled, with a generous deadline, never a fixed timer. */

/** The default deadline: generous, because the test machine may be shared and slow. */
const DEFAULT_TIMEOUT_MS = 60_000;
/** How often the condition is checked. */
const INTERVAL_MS = 20;

/** What a condition returns once it holds: anything but a falsy value. */
export type Truthy<T> = Exclude<T, false | 0 | "" | null | undefined>;

/** How long {@link until} waits and how often it looks. */
export interface UntilOptions {
  readonly timeoutMs?: number;
  readonly intervalMs?: number;
}

/**
 * Polls `check` until it returns a truthy value and returns that value (so a test can wait for a
 * record and use it). Throws `timed out waiting for <what>` if the deadline passes first: the
 * deadline bounds a failing test, it is never what a test asserts.
 */
export async function until<T>(
  check: () => T | Promise<T>,
  what: string,
  options: UntilOptions = {},
): Promise<Truthy<T>> {
  const deadline = Date.now() + (options.timeoutMs ?? DEFAULT_TIMEOUT_MS);
  for (;;) {
    const value = await check();
    if (value) return value as Truthy<T>;
    if (Date.now() >= deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? INTERVAL_MS));
  }
}
