import type { FailureDescription } from "../keyvault/errors.ts";

/**
 * The error of one object of a mount, whatever failed (the fetch, or turning the value into
 * files): names the object, then says what went wrong. Its failure kind decides the gRPC code.
 */
export class ObjectError extends Error {
  override name = "ObjectError";
  constructor(readonly label: string, readonly failure: FailureDescription) {
    super(`failed to get ${label}: ${failure.text}`);
  }
}
