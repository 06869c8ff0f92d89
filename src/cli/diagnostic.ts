/** One problem `validate` reports: what is wrong, where in the manifest, and what may fix it. */
export interface Diagnostic {
  readonly severity: "error" | "warning";
  /** A path into the manifest: `spec.parameters.clientId`, `spec.secretObjects[0].data[1].objectName`, … */
  readonly where: string;
  readonly message: string;
  /** A replacement that probably fixes it (a parameter, field or file name). */
  readonly suggestion?: string;
  /** The 1-based line of the manifest the problem is on, when known. */
  readonly line?: number;
}

/** Counts errors and warnings. */
export function countBySeverity(diagnostics: readonly Diagnostic[]): { errors: number; warnings: number } {
  const errors = diagnostics.filter((diagnostic) => diagnostic.severity === "error").length;
  return { errors, warnings: diagnostics.length - errors };
}
