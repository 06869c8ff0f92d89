import { parseArgs } from "node:util";
import { countBySeverity } from "./diagnostic.ts";
import { type LintOptions, lintSecretProviderClass, PLACEHOLDERS } from "./validate_class.ts";
import { readManifest } from "./manifest.ts";
import {
  buildReport,
  type ClassSummary,
  renderText,
  type ReportedProblem,
  type ValidationReport,
} from "./report.ts";
import { providerFlagHelp, takeProviderFlags, UsageError, usageFailure } from "./usage.ts";
import { userPath } from "./user_paths.ts";
import { mountOptions } from "../ops/flags.ts";

/** Provider flags that change what `validate` finds. */
const PROVIDER_FLAGS = ["cloud-name", "write-cert-and-key-in-separate-files"];

/** A manifest to validate: its name for messages, and its text (or why it could not be read). */
export interface ManifestInput {
  readonly file: string;
  readonly text?: string;
  readonly readError?: string;
}

/**
 * Validates SecretProviderClass manifests without a cluster or a network call: every
 * SecretProviderClass of every file, each problem with its file, document, path and line.
 */
function validateManifests(inputs: readonly ManifestInput[], options: LintOptions): ValidationReport {
  const classes: ClassSummary[] = [];
  const problems: ReportedProblem[] = [];
  for (const input of inputs) {
    if (input.text === undefined) {
      problems.push({
        file: input.file,
        severity: "error",
        where: "file",
        message: `cannot read ${input.file}: ${input.readError}`,
      });
      continue;
    }
    const manifest = readManifest(input.text);
    for (const { document, diagnostic } of manifest.problems) {
      problems.push({ file: input.file, document, ...diagnostic });
    }
    for (const spc of manifest.classes) {
      const lint = lintSecretProviderClass(spc, options);
      const place = { file: input.file, document: spc.document, item: spc.item };
      classes.push({
        ...place,
        name: spc.name,
        namespace: spc.namespace,
        identity: lint.identity,
        files: lint.files,
        notes: lint.notes,
        ...countBySeverity(lint.problems),
      });
      for (const diagnostic of lint.problems) problems.push({ ...place, ...diagnostic });
    }
  }
  return buildReport(classes, problems);
}

/** `validate [--json] [--strict] [provider flags] file…`: prints the report; exit 0, 1 or 2. */
export async function runValidate(args: readonly string[]): Promise<number> {
  let parsed;
  try {
    const { flags, rest } = takeProviderFlags(args, PROVIDER_FLAGS);
    const { values, positionals } = parseArgs({
      args: rest,
      options: {
        json: { type: "boolean" },
        strict: { type: "boolean" },
        help: { type: "boolean", short: "h" },
      },
      allowPositionals: true,
      strict: true,
    });
    if (values.help) {
      console.log(validateUsage());
      return 0;
    }
    if (positionals.length === 0) throw new UsageError("name at least one manifest file (or - for stdin)");
    parsed = { flags, values, files: positionals };
  } catch (error) {
    return usageFailure(error);
  }
  const inputs = await Promise.all(parsed.files.map(readInput));
  const report = validateManifests(inputs, {
    mount: mountOptions(parsed.flags),
    readTextFile: (path) => Deno.readTextFileSync(path),
    now: new Date(),
  });
  const output = parsed.values.json ? JSON.stringify(report, null, 2) + "\n" : renderText(report);
  await writeAll(Deno.stdout, output);
  if (report.errors > 0 || (parsed.values.strict && report.warnings > 0)) return 1;
  return 0;
}

async function readInput(file: string): Promise<ManifestInput> {
  try {
    const text = file === "-"
      ? await new Response(Deno.stdin.readable).text()
      : await Deno.readTextFile(userPath(file));
    return { file, text };
  } catch (error) {
    const name = (error as Error).name;
    const hint = name === "NotCapable"
      ? " (this binary may read only some folders; pipe the file instead: validate - < file)"
      : "";
    return {
      file,
      readError: `${name === "NotCapable" ? "not allowed to read it" : (error as Error).message}${hint}`,
    };
  }
}

async function writeAll(writer: { write(data: Uint8Array): Promise<number> }, text: string): Promise<void> {
  let data = new TextEncoder().encode(text);
  while (data.length > 0) data = data.subarray(await writer.write(data));
}

function validateUsage(): string {
  return [
    "Usage: validate [--json] [--strict] [provider flags] <file.yaml>… (- reads stdin)",
    "",
    "Checks SecretProviderClass manifests as the API server, the driver and this provider will, without",
    "a cluster and without calling Azure. Every problem is printed with its file, line and path.",
    "Exit code: 0 no error (warnings allowed), 1 errors (or warnings with --strict), 2 usage error.",
    "",
    "  --json    print the report as JSON",
    "  --strict  fail on warnings too",
    ...providerFlagHelp(PROVIDER_FLAGS),
    "",
    "What only a pod supplies is assumed: pod " + JSON.stringify(PLACEHOLDERS.podName) +
    " in the class's namespace, a nodePublishSecretRef",
    "with clientid and clientsecret, and service-account tokens for " + PLACEHOLDERS.audiences.join(" and ") +
    ".",
  ].join("\n");
}
