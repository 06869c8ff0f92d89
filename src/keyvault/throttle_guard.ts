import { deadlineOf } from "../concurrency/deadline.ts";
import type { Throttles } from "../concurrency/throttle.ts";
import { VaultThrottledError } from "./errors.ts";

/** A mount's view of its vault's throttle; `stop` ends it when the mount is done. */
export interface ThrottleGuard {
  /** Fires with a VaultThrottledError once a throttle of the vault outlasts the mount's deadline. */
  readonly signal: AbortSignal;
  stop(): void;
}

/**
 * Watches the throttle of `vaultUrl`'s host for one mount whose `signal` carries a deadline.
 * A mount that cannot be served before its deadline fails at once with Unavailable naming the
 * throttle, rather than waiting until the caller's own deadline turns it into DeadlineExceeded
 * (which the driver's gRPC client reports before any answer of ours could arrive).
 */
export function guardDeadline(throttles: Throttles, vaultUrl: string, signal: AbortSignal): ThrottleGuard {
  const deadline = deadlineOf(signal);
  const controller = new AbortController();
  if (deadline === undefined) return { signal: controller.signal, stop: () => {} };
  const host = new URL(vaultUrl).host;
  const judge = (throttle: { until: number; retryAfter: boolean }) => {
    if (throttle.until > deadline && !controller.signal.aborted) {
      controller.abort(new VaultThrottledError(host, throttle));
    }
  };
  const now = throttles.current(host);
  if (now) judge(now);
  return { signal: controller.signal, stop: throttles.watch(host, judge) };
}
