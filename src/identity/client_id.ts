import { InvalidMountConfigError } from "../errors.ts";

const GUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Checks that `value` of `parameter` is a client id (a GUID), before any call that would only
 * fail later with a vaguer "application not found" or "Identity not found". A resource id,
 * a frequent mix-up, gets its own hint.
 */
export function checkClientId(parameter: string, value: string): void {
  if (GUID.test(value)) return;
  const hint = value.toLowerCase().startsWith("/subscriptions/")
    ? "it looks like a resource id; use the identity's client id instead"
    : "expected a GUID such as 00000000-0000-0000-0000-000000000000";
  throw new InvalidMountConfigError(
    `${parameter} ${JSON.stringify(value)} is not a client id: ${hint}`,
  );
}
