import type { ObjectSpec } from "../config/object_spec.ts";

/**
 * Why a key or cert object cannot have the spec's fields: `objectFormat: pfx` and any
 * `objectEncoding` (even `utf-8`) belong to secrets, as in the Go provider. Checked before
 * any network call.
 */
export function secretOnlyFieldsProblem(spec: ObjectSpec): string | undefined {
  const problems: string[] = [];
  if (spec.objectFormat === "pfx") problems.push("PFX format only supported for objectType: secret");
  if (spec.objectEncodingSet) problems.push("objectEncoding only supported for objectType: secret");
  return problems.length > 0 ? problems.join("; ") : undefined;
}
