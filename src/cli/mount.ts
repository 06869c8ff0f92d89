import { status as GrpcStatus } from "@grpc/grpc-js";
import { parseArgs } from "node:util";
import { Mounter } from "../mount/mount.ts";
import type { MountResult } from "../mount/mount_types.ts";
import { duration } from "../ops/flags.ts";
import { createLogger } from "../log/logger.ts";
import { mountOptions } from "../ops/flags.ts";
import { mountStatus } from "../server/status.ts";
import { type Payload, symlinksAllowed, writeAtomically } from "./atomic_writer.ts";
import type { Diagnostic } from "./diagnostic.ts";
import { driverMountRequest } from "./driver_request.ts";
import { classInputs } from "./validate_class.ts";
import { readManifest, type SecretProviderClassDocument } from "./manifest.ts";
import { readNodePublishSecret } from "./node_publish_secret.ts";
import { tokensFromJwt } from "./driver_tokens.ts";
import { providerFlagHelp, takeProviderFlags, UsageError, usageFailure } from "./usage.ts";
import { userPath } from "./user_paths.ts";
import { goCodeName } from "../ops/grpc_code_names.ts";

/** Provider flags that shape a mount, accepted by `mount` with the provider's meaning. */
const PROVIDER_FLAGS = [
  "cloud-name",
  "construct-pem-chain",
  "write-cert-and-key-in-separate-files",
  "nmi-address",
  "object-concurrency",
  "v",
  "log-format-json",
];

/** What `mount` was asked to do, read from its command line and input files. */
interface MountCommand {
  readonly spcFile: string;
  readonly spc: SecretProviderClassDocument;
  readonly pod: string;
  readonly namespace: string;
  readonly serviceAccount: string;
  readonly secrets: Record<string, string> | null;
  readonly tokenFile?: string;
  readonly permission: number;
  readonly timeoutMs: number;
  readonly out?: string;
  readonly json: boolean;
}

/**
 * `mount --spc f.yaml --pod p [--namespace n] …`: one Mount exactly as the driver would make it
 * for that pod — the same MountRequest JSON, through the provider's own Mounter — then the
 * files written with the driver's layout (`--out`) and a summary that never shows a value.
 * Exit 0 mounted, 1 the mount failed (printed as the driver would report it), 2 usage.
 */
export async function runMount(args: readonly string[]): Promise<number> {
  let flags, command: MountCommand | undefined;
  try {
    const taken = takeProviderFlags(args, PROVIDER_FLAGS);
    flags = taken.flags;
    command = await readCommand(taken.rest);
  } catch (error) {
    return usageFailure(error);
  }
  if (!command) {
    console.log(mountUsage());
    return 0;
  }
  if (command.out !== undefined && !(await symlinksAllowed())) {
    return usageFailure(
      new UsageError(
        "--out writes the driver's layout (..data and one symlink per top-level name), and Deno creates " +
          "symlinks only with unscoped --allow-read and --allow-write, which this process (like the compiled " +
          "provider) does not have: use deno task mount, or leave out --out to fetch and list the files",
      ),
    );
  }
  const inputs = classInputs(command.spc);
  printDiagnostics(command.spcFile, inputs.problems);
  if (!inputs.parameters) return 1;
  if (inputs.problems.some((problem) => problem.severity === "error")) return 1;
  if (command.spc.namespace !== "" && command.spc.namespace !== command.namespace) {
    console.error(
      `warning: the SecretProviderClass is in namespace ${command.spc.namespace}; the driver looks it up in ` +
        `the pod's namespace (${command.namespace})`,
    );
  }

  const now = new Date();
  let tokens;
  try {
    tokens = command.tokenFile === undefined
      ? undefined
      : tokensFromJwt(await Deno.readTextFile(userPath(command.tokenFile)), now);
  } catch (error) {
    return usageFailure(
      error instanceof UsageError ? error : new UsageError(readFailure(command.tokenFile!, error)),
    );
  }
  const request = driverMountRequest({
    secretProviderClass: command.spc.name,
    parameters: inputs.parameters,
    pod: {
      name: command.pod,
      namespace: command.namespace,
      uid: crypto.randomUUID(),
      serviceAccountName: command.serviceAccount,
    },
    serviceAccountTokens: tokens,
    secrets: command.secrets,
    permission: command.permission,
  });
  const logger = createLogger({ json: flags.logFormatJson, verbosity: flags.verbosity });
  const mounter = new Mounter({
    options: mountOptions(flags),
    logger,
    readTextFile: (path) => Deno.readTextFileSync(path),
  });

  let identity: string;
  let result: MountResult;
  try {
    identity = mounter.plan(request).identity.description;
    result = await mounter.mount(request, AbortSignal.timeout(command.timeoutMs));
  } catch (error) {
    const { code, details } = mountStatus(error);
    console.error(`mount failed: rpc error: code = ${goCodeName(code)} desc = ${details}`);
    if (code === GrpcStatus.INVALID_ARGUMENT) {
      console.error(
        `(validate ${command.spcFile} shows the line of each problem in the SecretProviderClass)`,
      );
    }
    return 1;
  }
  let written;
  if (command.out !== undefined) {
    try {
      written = await writeAtomically(userPath(command.out), result.files as Payload[], now);
    } catch (error) {
      console.error(`error: cannot write ${command.out}: ${(error as Error).message}`);
      return 1;
    }
  }
  const summary = {
    secretProviderClass: command.spc.name,
    pod: `${command.namespace}/${command.pod}`,
    identity,
    files: result.files.map((file) => ({
      path: file.path,
      mode: `0${file.mode.toString(8).padStart(3, "0")}`,
      size: file.contents.length,
      object: file.source?.id ?? "",
      version: file.source?.version ?? "",
    })),
    objectVersions: result.objectVersions,
    out: command.out === undefined ? undefined : { folder: command.out, ...written },
  };
  console.log(command.json ? JSON.stringify(summary, null, 2) : renderSummary(summary));
  return 0;
}

async function readCommand(args: readonly string[]): Promise<MountCommand | undefined> {
  const { values } = parseArgs({
    args: [...args],
    options: {
      spc: { type: "string" },
      name: { type: "string" },
      pod: { type: "string" },
      namespace: { type: "string" },
      "service-account": { type: "string", default: "default" },
      "secret-file": { type: "string" },
      "service-account-token-file": { type: "string" },
      out: { type: "string" },
      permission: { type: "string", default: "0644" },
      timeout: { type: "string", default: "2m" },
      json: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
    allowPositionals: false,
    strict: true,
  });
  if (values.help) return undefined;
  if (!values.spc) throw new UsageError("--spc names the SecretProviderClass manifest to mount");
  if (!values.pod) throw new UsageError("--pod names the pod to mount for (the driver sends its name)");
  const spc = chooseClass(values.spc, await readText(values.spc), values.name);
  const secretFile = values["secret-file"];
  return {
    spcFile: values.spc,
    spc,
    pod: values.pod,
    namespace: values.namespace || spc.namespace || "default",
    serviceAccount: values["service-account"],
    secrets: secretFile === undefined ? null : readNodePublishSecret(await readText(secretFile)),
    tokenFile: values["service-account-token-file"],
    permission: fileMode(values.permission),
    timeoutMs: timeout(values.timeout),
    out: values.out,
    json: values.json,
  };
}

function chooseClass(file: string, text: string, name: string | undefined): SecretProviderClassDocument {
  const manifest = readManifest(text);
  if (manifest.problems.length > 0) {
    throw new UsageError(
      `${file}: ${manifest.problems.map((problem) => problem.diagnostic.message).join("; ")}`,
    );
  }
  const named = name === undefined ? manifest.classes : manifest.classes.filter((spc) => spc.name === name);
  if (named.length === 1) return named[0];
  const names = manifest.classes.map((spc) => spc.name).join(", ");
  throw new UsageError(
    named.length === 0
      ? `${file} has no SecretProviderClass named ${name} (it has ${names})`
      : `${file} has several SecretProviderClasses (${names}): choose one with --name`,
  );
}

async function readText(file: string): Promise<string> {
  try {
    return file === "-"
      ? await new Response(Deno.stdin.readable).text()
      : await Deno.readTextFile(userPath(file));
  } catch (error) {
    throw new UsageError(readFailure(file, error));
  }
}

function readFailure(file: string, error: unknown): string {
  const name = (error as Error).name;
  return name === "NotCapable"
    ? `not allowed to read ${file} (grant read access to it, or pass it on stdin with -)`
    : `cannot read ${file}: ${(error as Error).message}`;
}

/** `0644`, `644` or `0o644` → 420; the driver's default mode for files without filePermission. */
function fileMode(text: string): number {
  const match = /^(?:0o?)?([0-7]{3})$/.exec(text);
  if (!match) {
    throw new UsageError(`--permission must be an octal file mode such as 0644, got ${JSON.stringify(text)}`);
  }
  return parseInt(match[1], 8);
}

function timeout(text: string): number {
  try {
    return duration("timeout", text);
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
}

function printDiagnostics(file: string, problems: readonly Diagnostic[]): void {
  for (const problem of problems) {
    const place = problem.line === undefined ? file : `${file}:${problem.line}`;
    console.error(`${place}: ${problem.severity}: ${problem.where}: ${problem.message}`);
  }
}

interface Summary {
  readonly secretProviderClass: string;
  readonly pod: string;
  readonly identity: string;
  readonly files: readonly { path: string; mode: string; size: number; object: string; version: string }[];
  readonly out?: { folder: string; written?: boolean; dataDir?: string };
}

function renderSummary(summary: Summary): string {
  const header = ["PATH", "MODE", "SIZE", "OBJECT", "VERSION"];
  const rows = summary.files.map((
    file,
  ) => [file.path, file.mode, String(file.size), file.object, file.version]);
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) =>
    cells.map((cell, i) => i === 2 ? cell.padStart(widths[i]) : cell.padEnd(widths[i])).join("  ").trimEnd();
  const where = summary.out === undefined
    ? "not written (no --out): the files were fetched and formatted, then dropped"
    : summary.out.written
    ? `written to ${summary.out.folder} (${summary.out.dataDir}, ..data and one link per top-level name)`
    : `${summary.out.folder} already holds these files (${summary.out.dataDir}): nothing rewritten`;
  return [
    `mounted SecretProviderClass ${summary.secretProviderClass} for pod ${summary.pod} as ${summary.identity}`,
    line(header),
    ...rows.map(line),
    where,
  ].join("\n");
}

function mountUsage(): string {
  return [
    "Usage: mount --spc <file.yaml> --pod <name> [options] [provider flags]",
    "",
    "Makes the Mount the driver would make for the pod, against the real Key Vault (or whatever",
    "HTTPS_PROXY leads to), and writes the files as the driver does. Prints path, mode, size, object",
    "and version of every file, never a value. Exit code: 0 mounted, 1 the mount failed, 2 usage error.",
    "",
    "  --spc <file>                         the SecretProviderClass manifest (- reads stdin)",
    "  --name <name>                        which SecretProviderClass, when the file has several",
    "  --pod <name>                         the pod's name (csi.storage.k8s.io/pod.name)",
    "  --namespace <ns>                     the pod's namespace (default: the class's, else default)",
    "  --service-account <name>             the pod's service account (default default)",
    "  --secret-file <file>                 the nodePublishSecretRef data: a Secret manifest, or a",
    "                                       YAML/JSON mapping with clientid and clientsecret",
    "  --service-account-token-file <file>  a service-account token (JWT) for workload identity; filed",
    "                                       under the audience of its aud claim",
    "  --out <folder>                       write the files there (created 0700; else nothing is written)",
    "  --permission <mode>                  default file mode, as the driver's (default 0644)",
    "  --timeout <duration>                 deadline of the mount (default 2m, like kubelet's)",
    "  --json                               print the summary as JSON",
    ...providerFlagHelp(PROVIDER_FLAGS),
  ].join("\n");
}
