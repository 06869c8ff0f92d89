import type { ThrottleState } from "../concurrency/throttle.ts";

/** What kind of failure a Key Vault or token call met; the server maps it to a gRPC code. */
export type FailureKind =
  | "notFound"
  | "forbidden"
  | "unauthenticated"
  | "unavailable"
  | "deadline"
  | "cancelled"
  | "invalid"
  | "unsupported"
  | "unknown";

/** A failure described for users: its kind and one line that never holds secret content. */
export interface FailureDescription {
  readonly kind: FailureKind;
  readonly text: string;
}

/** A failure already described for users (a pattern that matches nothing, …): its description is kept as is. */
export class DescribedError extends Error {
  override name = "DescribedError";
  constructor(readonly failure: FailureDescription) {
    super(failure.text);
  }
}

interface AzureErrorFields {
  name?: string;
  message?: string;
  statusCode?: number;
  code?: string;
}

/**
 * Describes an error thrown by the Azure SDKs. Only the status, the service's error code and
 * its message are kept: those never carry a secret value or a token.
 */
export function describeAzureError(error: unknown, signal?: AbortSignal): FailureDescription {
  if (signal?.aborted) return describeAbort(signal);
  const fields = (typeof error === "object" && error !== null ? error : {}) as AzureErrorFields;
  const message = oneLine(fields.message ?? String(error));
  switch (fields.name) {
    case "AbortError":
      return { kind: "cancelled", text: "the request was cancelled" };
    case "AuthenticationError":
    case "CredentialUnavailableError":
    case "AuthenticationRequiredError":
      return { kind: "unauthenticated", text: `failed to get a token: ${message}` };
  }
  if (fields.name === "RestError" || fields.statusCode !== undefined) {
    return describeRestError(fields, message);
  }
  return { kind: "unknown", text: message };
}

function describeRestError(fields: AzureErrorFields, message: string): FailureDescription {
  const status = fields.statusCode;
  if (status === undefined) {
    return { kind: "unavailable", text: `cannot reach Key Vault: ${message}` };
  }
  const code = fields.code ? ` ${fields.code}` : "";
  const text = `Key Vault answered ${status}${code}: ${message}`;
  if (status === 404) return { kind: "notFound", text };
  if (status === 403) return { kind: "forbidden", text };
  if (status === 401) return { kind: "unauthenticated", text };
  if (status === 400) return { kind: "invalid", text };
  if (status === 429 || status >= 500) return { kind: "unavailable", text };
  return { kind: "unknown", text };
}

/** A service the throttle governor holds requests back from. */
export type ThrottledService = "Key Vault" | "Entra ID";

/** Why a mount stopped waiting: `endpoint` throttles beyond the mount's deadline. */
export class ThrottledError extends Error {
  override name = "ThrottledError";
  constructor(
    readonly service: ThrottledService,
    readonly endpoint: string,
    readonly throttle: ThrottleState,
  ) {
    super(describeThrottle(service, endpoint, throttle).text);
  }
}

/**
 * The failure of a mount that a throttle of `endpoint` (a vault's host, an Entra authority)
 * outlasts: Unavailable, since the service asked to be left alone and will answer again (the
 * driver retries the mount).
 */
export function describeThrottle(
  service: ThrottledService,
  endpoint: string,
  throttle: ThrottleState,
): FailureDescription {
  const until = new Date(throttle.until).toISOString().replace(/\.\d+Z$/, "Z");
  const how = throttle.retryAfter ? "its Retry-After ends" : "the provider's backoff ends";
  return {
    kind: "unavailable",
    text:
      `${service} ${endpoint} is throttling requests from this node (429 Too Many Requests; ${how} at ${until}), past this mount's deadline: the driver will retry the mount`,
  };
}

/** Describes why a signal was aborted: the call's deadline, or the caller going away. */
function describeAbort(signal: AbortSignal): FailureDescription {
  const reason = signal.reason as { name?: string } | undefined;
  if (reason?.name === "TimeoutError") {
    return { kind: "deadline", text: "the mount's deadline passed before Key Vault answered" };
  }
  return { kind: "cancelled", text: "the mount was cancelled by the caller" };
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}
