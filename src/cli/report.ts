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

/** The report for people: per file and document, each class's identity and files, then its problems. */
export function renderText(report: ValidationReport): string {
  const lines: string[] = [];
  const files = [
    ...new Set([...report.problems, ...report.secretProviderClasses].map((entry) => entry.file)),
  ];
  for (const file of files) {
    const problems = report.problems.filter((problem) => problem.file === file);
    const classes = report.secretProviderClasses.filter((summary) => summary.file === file);
    for (const problem of problems.filter((problem) => problem.document === undefined)) {
      lines.push(problemLine(problem));
    }
    const documents = [...new Set([...problems, ...classes].flatMap((entry) => entry.document ?? []))];
    for (const document of documents.sort((a, b) => a - b)) {
      const inDocument = problems.filter((problem) => problem.document === document);
      const ofClasses = classes.filter((summary) => summary.document === document);
      for (const summary of ofClasses) {
        lines.push(...classLines(summary));
        const own = inDocument.filter((problem) => problem.item === summary.item);
        lines.push(...own.map((problem) => `  ${problemLine(problem)}`));
      }
      if (ofClasses.length === 0) lines.push(...inDocument.map(problemLine));
    }
  }
  const classes = plural(report.secretProviderClasses.length, "SecretProviderClass", "SecretProviderClasses");
  lines.push(
    `${classes} in ${plural(files.length, "file")}: ${plural(report.errors, "error")}, ${
      plural(report.warnings, "warning")
    }`,
  );
  return lines.join("\n") + "\n";
}

/** `file:line: severity: where: message`, the form editors and CI annotate from. */
function problemLine(problem: ReportedProblem): string {
  const place = problem.line === undefined ? problem.file : `${problem.file}:${problem.line}`;
  const hint = problem.suggestion && !problem.message.includes(problem.suggestion)
    ? ` (suggestion: ${problem.suggestion})`
    : "";
  return `${place}: ${problem.severity}: ${problem.where}: ${problem.message}${hint}`;
}

function classLines(summary: ClassSummary): string[] {
  const item = summary.item === undefined ? "" : `, item ${summary.item}`;
  const namespace = summary.namespace ? `${summary.namespace}/` : "";
  const verdict = summary.errors + summary.warnings === 0
    ? "ok"
    : `${plural(summary.errors, "error")}, ${plural(summary.warnings, "warning")}`;
  return [
    `${summary.file} (document ${summary.document}${item}): SecretProviderClass ${namespace}${
      summary.name || "<no name>"
    }: ${verdict}`,
    ...(summary.identity ? [`  identity: ${summary.identity}`] : []),
    ...(summary.files.length > 0 ? [`  files: ${summary.files.join(", ")}`] : []),
    ...summary.notes.map((note) => `  note: ${note}`),
  ];
}

function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
