import { deadlineOf } from "../concurrency/deadline.ts";
import type { Throttles, ThrottleState } from "../concurrency/throttle.ts";
import { ThrottledError, type ThrottledService } from "./errors.ts";

/** A mount's view of the throttles it depends on; `stop` ends it when the mount is done. */
export interface ThrottleGuard {
  /** Fires with a ThrottledError once a throttle outlasts the mount's deadline. */
  readonly signal: AbortSignal;
  stop(): void;
}

/** One endpoint a mount sends to, and the governor that holds its throttle. */
export interface ThrottleWatch {
  readonly service: ThrottledService;
  readonly throttles: Throttles;
  readonly endpoint: string;
}

/**
 * Watches the throttles of the endpoints one mount sends to (its vault, its Entra authority),
 * when its `signal` carries a deadline. A mount that cannot be served before its deadline fails
 * at once with Unavailable naming the throttle, rather than waiting until the caller's own
 * deadline turns it into DeadlineExceeded (which the driver's gRPC client reports before any
 * answer of ours could arrive).
 */
export function guardDeadline(signal: AbortSignal, watches: readonly ThrottleWatch[]): ThrottleGuard {
  const deadline = deadlineOf(signal);
  const controller = new AbortController();
  if (deadline === undefined) return { signal: controller.signal, stop: () => {} };
  const stops = watches.map(({ service, throttles, endpoint }) => {
    const judge = (throttle: ThrottleState) => {
      if (throttle.until > deadline && !controller.signal.aborted) {
        controller.abort(new ThrottledError(service, endpoint, throttle));
      }
    };
    const now = throttles.current(endpoint);
    if (now) judge(now);
    return throttles.watch(endpoint, judge);
  });
  return { signal: controller.signal, stop: () => stops.forEach((stop) => stop()) };
}
