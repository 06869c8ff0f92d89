import { countBySeverity, type Diagnostic } from "./diagnostic.ts";

/** One SecretProviderClass that `validate` read. */
export interface ClassSummary {
  readonly file: string;
  /** Its document in the file, from 0. */
  readonly document: number;
  /** Its position in a `kind: List`'s items. */
  readonly item?: number;
  readonly name: string;
  readonly namespace: string;
  /** The identity a mount would use, in words; absent when the class has errors. */
  readonly identity?: string;
  /** The paths a mount writes (secretObjects name these). */
  readonly files: readonly string[];
  readonly notes: readonly string[];
  readonly errors: number;
  readonly warnings: number;
}

/** A problem, with the file (and document) it is in. */
export interface ReportedProblem extends Diagnostic {
  readonly file: string;
  readonly document?: number;
  readonly item?: number;
}

/** Everything `validate` found, as `--json` prints it. */
export interface ValidationReport {
  readonly errors: number;
  readonly warnings: number;
  readonly secretProviderClasses: readonly ClassSummary[];
  readonly problems: readonly ReportedProblem[];
}

/** Assembles a report from classes and problems, counting them. */
export function buildReport(
  classes: readonly ClassSummary[],
  problems: readonly ReportedProblem[],
): ValidationReport {
  return { ...countBySeverity(problems), secretProviderClasses: classes, problems };
}

/** The report for people: per class, its identity and files, then one line per problem. */
export function renderText(report: ValidationReport): string {
  const lines: string[] = [];
  const problemLine = (problem: ReportedProblem) => {
    const place = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
    const hint = problem.suggestion && !problem.message.includes(JSON.stringify(problem.suggestion))
      ? ` (suggestion: ${problem.suggestion})`
      : "";
    return `${place}: ${problem.severity}: ${problem.where}: ${problem.message}${hint}`;
  };
  const files = [
    ...new Set([...report.problems, ...report.secretProviderClasses].map((entry) => entry.file)),
  ];
  for (const file of files) {
    const ofFile = report.problems.filter((problem) => problem.file === file);
    for (const problem of ofFile.filter((problem) => problem.document === undefined)) {
      lines.push(problemLine(problem));
    }
    for (const summary of report.secretProviderClasses.filter((summary) => summary.file === file)) {
      const item = summary.item === undefined ? "" : `, item ${summary.item}`;
      const namespace = summary.namespace ? `${summary.namespace}/` : "";
      const verdict = summary.errors + summary.warnings === 0
        ? "ok"
        : `${plural(summary.errors, "error")}, ${plural(summary.warnings, "warning")}`;
      lines.push(
        `${file} (document ${summary.document}${item}): SecretProviderClass ${namespace}${
          summary.name || "<no name>"
        }: ${verdict}`,
      );
      if (summary.identity) lines.push(`  identity: ${summary.identity}`);
      if (summary.files.length > 0) lines.push(`  files: ${summary.files.join(", ")}`);
      for (const note of summary.notes) lines.push(`  note: ${note}`);
      const own = ofFile.filter((problem) =>
        problem.document === summary.document && problem.item === summary.item
      );
      for (const problem of own) lines.push(`  ${problemLine(problem)}`);
    }
    for (
      const problem of ofFile.filter((problem) =>
        problem.document !== undefined &&
        !report.secretProviderClasses.some((summary) =>
          summary.file === file && summary.document === problem.document
        )
      )
    ) lines.push(problemLine(problem));
  }
  const classes = plural(report.secretProviderClasses.length, "SecretProviderClass", "SecretProviderClasses");
  lines.push(
    `${classes} in ${plural(files.length, "file")}: ${plural(report.errors, "error")}, ${
      plural(report.warnings, "warning")
    }`,
  );
  return lines.join("\n") + "\n";
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
