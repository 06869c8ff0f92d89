/**
 * Runs main.ts's one-shot commands as a user would: a child process with the permission flags
 * of the compiled binary (deploy/permissions.linux) or of a deno task, a clean environment.
 */
import { fileURLToPath } from "node:url";
import { productionPermissions } from "../harness/provider_process.ts";
import { baseEnv } from "../harness/env.ts";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const CORPUS = fileURLToPath(new URL("./corpus/", import.meta.url));

/** What a command printed and how it exited. */
export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runCli}. */
export interface CliOptions {
  readonly cwd?: string;
  readonly env?: Record<string, string>;
  /** Permission flags; the compiled binary's by default. */
  readonly permissions?: readonly string[];
  readonly stdin?: string;
}

/** The permission flags of a deno task that runs main.ts (`deno run <flags> main.ts …`). */
export function taskPermissions(task: string): string[] {
  const command: string = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)).tasks[task];
  const match = /^deno run (.*) main\.ts /.exec(command);
  if (!match) throw new Error(`task ${task} does not run main.ts: ${command}`);
  // `$(cat deploy/permissions.tools)` is how tasks share a permission file.
  const flags = match[1].replace(/\$\(cat ([^)]+)\)/g, (_, file) => Deno.readTextFileSync(`${ROOT}${file}`));
  return flags.split(/\s+/).filter(Boolean);
}

/** Runs `deno run <permissions> main.ts <args>`. */
export function runCli(args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return run([
    "run",
    ...(options.permissions ?? productionPermissions()),
    `${ROOT}main.ts`,
    ...args,
  ], options);
}

/** Runs `deno task <task> <args>` in the project folder, as the README shows. */
export function runTask(task: string, args: readonly string[], options: CliOptions = {}): Promise<CliRun> {
  return run(["task", "--quiet", task, ...args], { ...options, cwd: options.cwd ?? ROOT });
}

async function run(args: string[], options: CliOptions): Promise<CliRun> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: options.cwd,
    clearEnv: true,
    env: { ...baseEnv(), ...(options.env ?? {}) },
    stdin: options.stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (options.stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(options.stdin));
    await writer.close();
  }
  const output = await child.output();
  const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
  return { code: output.code, stdout: decode(output.stdout), stderr: decode(output.stderr) };
}

/** The corpus manifests, sorted. */
export function corpusFiles(): string[] {
  return [...Deno.readDirSync(CORPUS)].map((entry) => entry.name).filter((name) => name.endsWith(".yaml"))
    .sort();
}

/**
 * Validates every corpus manifest in one run of the binary (production permissions, so from a
 * copy under /tmp, the only place besides /provider it may read) and splits the JSON report
 * by file: what `<name>.expected.json` holds.
 */
export async function validateCorpus(): Promise<{ code: number; byFile: Map<string, unknown> }> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "spc-corpus-" });
  try {
    const files = corpusFiles();
    for (const file of files) await Deno.copyFile(`${CORPUS}${file}`, `${dir}/${file}`);
    const result = await runCli(["validate", "--json", ...files], { cwd: dir });
    if (result.stderr !== "") throw new Error(`validate wrote to stderr:\n${result.stderr}`);
    const report = JSON.parse(result.stdout) as {
      secretProviderClasses: { file: string }[];
      problems: { file: string }[];
    };
    const byFile = new Map(files.map((file) => [file, {
      secretProviderClasses: report.secretProviderClasses.filter((entry) => entry.file === file),
      problems: report.problems.filter((entry) => entry.file === file),
    }]));
    return { code: result.code, byFile };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}
