/**
 * What an objectName pattern mounts: the enabled secrets of the listing whose names match,
 * and how a failed listing is explained (it needs a permission a named object does not).
 */
import { matchesNamePattern } from "../config/name_pattern.ts";
import { MAX_OBJECTS } from "../config/objects_parameter.ts";
import { describeAzureError, DescribedError, type FailureDescription } from "../keyvault/errors.ts";
import { type ListedObject, ObjectFormatError } from "../objects/object_type.ts";

/**
 * The names of the enabled listed objects that match `pattern`, in the listing's order.
 * Throws DescribedError: NotFound naming the pattern when none matches, InvalidArgument when
 * more match than one mount may hold.
 */
export function matchingNames(listed: readonly ListedObject[], pattern: string, vault: string): string[] {
  const names = listed.filter((object) => object.enabled && matchesNamePattern(pattern, object.name))
    .map((object) => object.name);
  if (names.length === 0) {
    throw new DescribedError({
      kind: "notFound",
      text: `no enabled secret of vault ${vault} matches the objectName pattern ${JSON.stringify(pattern)}`,
    });
  }
  if (names.length > MAX_OBJECTS) {
    throw new DescribedError({
      kind: "invalid",
      text: `the objectName pattern ${
        JSON.stringify(pattern)
      } matches ${names.length} secrets; at most ${MAX_OBJECTS} are mounted at once: narrow the pattern`,
    });
  }
  return names;
}

/**
 * A failed listing, described: a 403 says which permission a pattern needs, since the same
 * identity may read each secret by name (`get`) yet not list them (`list`).
 */
export function listingFailure(error: unknown, signal: AbortSignal): FailureDescription {
  const described = describeAzureError(error, signal);
  // The SDK's pager keeps the status and the service's error code, not its message.
  const text = described.text.replace(
    /: Pagination failed with unexpected statusCode \d+$/,
    " to the listing of the vault's secrets",
  );
  const failure = { kind: described.kind, text };
  if (failure.kind !== "forbidden") return failure;
  return {
    kind: "forbidden",
    text: `${failure.text} (an objectName pattern lists the vault's secrets: the identity needs the list ` +
      `permission on secrets, "secrets list" in an access policy or ` +
      `Microsoft.KeyVault/vaults/secrets/readMetadata/action with RBAC, as in "Key Vault Secrets User")`,
  };
}

/** A failure of one matched secret, naming it: the object's label names only the pattern. */
export function matchedSecretFailure(name: string, error: unknown, signal: AbortSignal): DescribedError {
  const failure = error instanceof DescribedError
    ? error.failure
    : error instanceof ObjectFormatError
    ? { kind: "unsupported" as const, text: error.message }
    : describeAzureError(error, signal);
  return new DescribedError({ kind: failure.kind, text: `secret ${name}: ${failure.text}` });
}
