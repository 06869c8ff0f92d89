/**
 * The deadline an AbortSignal stands for, when it stands for one: the server registers the
 * signal of each call with its deadline, and work below can ask whether a wait it knows the end
 * of (a throttle) ends in time, instead of waiting until the caller has given up.
 */
const deadlines = new WeakMap<AbortSignal, number>();

/** Records that `signal` fires at `deadlineMs` (epoch ms) at the latest. */
export function rememberDeadline(signal: AbortSignal, deadlineMs: number): void {
  deadlines.set(signal, deadlineMs);
}

/** The deadline (epoch ms) recorded for `signal`, if any. */
export function deadlineOf(signal: AbortSignal): number | undefined {
  return deadlines.get(signal);
}
