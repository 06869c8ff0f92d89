import type { ObjectSpec } from "../config/object_spec.ts";

/**
 * Why a key or cert object cannot have the spec's fields: `objectFormat: pfx` and any
 * `objectEncoding` (even `utf-8`) belong to secrets, as in the Go provider; so do this
 * provider's `jmesPath` and objectName patterns. Checked before any network call.
 */
export function secretOnlyFieldsProblem(spec: ObjectSpec): string | undefined {
  const problems: string[] = [];
  if (spec.objectFormat === "pfx") problems.push("PFX format only supported for objectType: secret");
  if (spec.objectEncodingSet) problems.push("objectEncoding only supported for objectType: secret");
  if (spec.jmesPath) problems.push("jmesPath only supported for objectType: secret");
  if (spec.namePattern) {
    problems.push("an objectName pattern ('*') only supported for objectType: secret");
  }
  return problems.length > 0 ? problems.join("; ") : undefined;
}

/**
 * Why a secret cannot have the spec's fields together: a pattern names many secrets, so no
 * one version, history or JSON field applies; JSON fields are files of one version.
 */
export function secretFieldsProblem(spec: ObjectSpec): string | undefined {
  const problems: string[] = [];
  if (spec.namePattern) {
    const misused = [
      spec.objectVersion !== "" && "objectVersion",
      spec.objectVersionHistory > 0 && "objectVersionHistory",
      spec.jmesPath && "jmesPath",
    ].filter((field) => typeof field === "string");
    if (misused.length > 0) {
      problems.push(
        `${
          misused.join(", ")
        } cannot be used with an objectName pattern ('*'): it matches many secrets, each mounted at its current version`,
      );
    }
  } else if (spec.jmesPath && spec.objectVersionHistory > 1) {
    problems.push("jmesPath cannot be used with objectVersionHistory: its files are made from one version");
  }
  return problems.length > 0 ? problems.join("; ") : undefined;
}
