import { abortSignalOf } from "../concurrency/abort_signal.ts";
import type { Throttles } from "../concurrency/throttle.ts";
import type { AdditionalPolicy } from "./connection_pool.ts";

/**
 * Throttled answers one request takes before it gives up: the first try and 3 more, as many as
 * the SDK's retry policy makes. A vault that throttles every try of a request fails the mount
 * with Unavailable (the driver retries it); one whose throttle outlasts the mount's deadline
 * fails it sooner (throttle_guard.ts).
 */
const THROTTLED_TRIES = 4;

/** The headers by which the SDK's retry policy would retry a 429 itself. */
const RETRY_HEADERS = ["retry-after", "retry-after-ms", "x-ms-retry-after-ms"];

/** The service endpoint a request goes to, as the governor counts them. */
export type EndpointOf = (url: URL) => string;

/** A vault: its host (all identities share its limits). */
export const vaultEndpoint: EndpointOf = (url) => url.host;

/** An Entra authority: its host and tenant, the first segment of every token request's path. */
export const authorityEndpoint: EndpointOf = (url) => `${url.host}/${url.pathname.split("/")[1] ?? ""}`;

/**
 * The throttle governor as a pipeline policy of every Key Vault client and Entra credential.
 * Each attempt takes a slot of its endpoint (all identities and mounts share it) and waits
 * while the endpoint throttles. A 429 is consumed here: the throttle is recorded for every mount,
 * and the request waits for it and is sent again within the caller's deadline.
 *
 * Why here and not in the SDK's retry policy: that policy (core-rest-pipeline's
 * `defaultRetryPolicy`) sleeps a 429's Retry-After for the one request that received it, at most
 * three times, while every other mount keeps sending to the throttled vault, and it returns a
 * 429 without Retry-After at once as an error. Placed per retry (after signing), this policy
 * sees every 429 first and the SDK's retry policy never sees one it would retry, so it never
 * sleeps blindly.
 */
export function throttlePolicy(throttles: Throttles, endpointOf: EndpointOf): AdditionalPolicy {
  return {
    position: "perRetry",
    policy: {
      name: "throttlePolicy",
      async sendRequest(request, next) {
        const host = endpointOf(new URL(request.url));
        const signal = abortSignalOf(request.abortSignal);
        for (let tries = 1;; tries++) {
          const release = await throttles.admit(host, signal);
          let response;
          try {
            response = await next(request);
          } finally {
            release();
          }
          if (response.status !== 429) {
            throttles.answered(host);
            return response;
          }
          throttles.throttled(host, retryAfterMs(response.headers));
          if (tries >= THROTTLED_TRIES) {
            // Passed on without its Retry-After, the SDK neither sleeps nor retries it: the
            // request fails with the 429 (`Key Vault answered 429 …`), the throttle stays recorded.
            for (const name of RETRY_HEADERS) response.headers.delete(name);
            return response;
          }
        }
      },
    },
  };
}

/**
 * The wait a throttled answer asks for, in ms: `retry-after-ms` / `x-ms-retry-after-ms`, or
 * `Retry-After` in seconds or as an HTTP date; undefined when none is usable.
 */
function retryAfterMs(headers: { get(name: string): string | undefined }): number | undefined {
  for (const name of ["retry-after-ms", "x-ms-retry-after-ms"]) {
    const value = Number(headers.get(name));
    if (headers.get(name) && Number.isFinite(value) && value >= 0) return value;
  }
  const header = headers.get("retry-after")?.trim();
  if (!header) return undefined;
  if (/^\d+(\.\d+)?$/.test(header)) return Number(header) * 1000;
  const date = Date.parse(header);
  return Number.isFinite(date) ? Math.max(0, date - Date.now()) : undefined;
}
