import type { ConfigProblem } from "../config/problems.ts";
import type { YamlPath } from "../config/yaml.ts";
import type { ProviderOptions } from "../mount/mount_types.ts";
import { basePaths, inspectMount, type MountInspection } from "../mount/plan.ts";
import type { Diagnostic } from "./diagnostic.ts";
import { driverMountRequest } from "./driver_request.ts";
import { isMap, type SecretProviderClassDocument } from "./manifest.ts";
import { parameterLineFinder } from "./parameter_lines.ts";
import { checkSecretObjects, type OutputFiles, wherePath } from "./secret_objects.ts";
import { placeholderTokens } from "./driver_tokens.ts";
import { IDENTITY_TOKEN_AUDIENCES } from "../identity/registry.ts";

/** The provider name this provider serves: `spec.provider` and the socket's name. */
const PROVIDER = "azure";
/** The apiVersions the driver's CRD serves for SecretProviderClass. */
const API_VERSIONS = ["secrets-store.csi.x-k8s.io/v1", "secrets-store.csi.x-k8s.io/v1alpha1"];

/** What linting needs from outside. */
export interface LintOptions {
  /** The provider's mount options (`--cloud-name`, `--write-cert-and-key-in-separate-files`, …). */
  readonly mount: ProviderOptions;
  /** Reads a file the SecretProviderClass names (cloudEnvFileName); throws when it cannot. */
  readonly readTextFile: (path: string) => string;
  readonly now: Date;
}

/** What `validate` found in one SecretProviderClass. */
export interface SecretProviderClassLint {
  /** The identity a mount would use, in words (the pod's inputs being placeholders). */
  readonly identity?: string;
  /** The paths a mount writes, without the `.crt`/`.key` that some certificates add. */
  readonly files: readonly string[];
  /** What could not be checked here and why. */
  readonly notes: readonly string[];
  /** Errors and warnings, by line. */
  readonly problems: readonly Diagnostic[];
}

/** What `validate` stands in for what only a pod supplies; shown in `--help`. */
export const PLACEHOLDERS = {
  podName: "validate",
  serviceAccountName: "default",
  secrets: {
    clientid: "<clientid of the nodePublishSecretRef>",
    clientsecret: "<clientsecret of the nodePublishSecretRef>",
  },
  /** A stand-in token for every audience an identity mode exchanges. */
  audiences: IDENTITY_TOKEN_AUDIENCES,
} as const;

/**
 * Judges one SecretProviderClass as the API server, the driver and this provider will: the
 * manifest's shape first, then the same {@link inspectMount} the provider runs on every mount
 * (so warnings here are the warnings it logs), then `secretObjects` against the files. The
 * pod's inputs are {@link PLACEHOLDERS}. Makes no network call.
 */
export function lintSecretProviderClass(
  spc: SecretProviderClassDocument,
  options: LintOptions,
): SecretProviderClassLint {
  const inputs = classInputs(spc);
  const problems: Diagnostic[] = [...inputs.problems];
  const notes: string[] = [];
  const { parameters } = inputs;
  if (!parameters) return done({ files: [], notes, problems });

  const request = driverMountRequest({
    secretProviderClass: spc.name || "validate",
    parameters,
    pod: {
      name: PLACEHOLDERS.podName,
      namespace: spc.namespace || "default",
      uid: "00000000-0000-0000-0000-000000000000",
      serviceAccountName: PLACEHOLDERS.serviceAccountName,
    },
    serviceAccountTokens: placeholderTokens(
      PLACEHOLDERS.audiences,
      `system:serviceaccount:${spc.namespace || "default"}:${PLACEHOLDERS.serviceAccountName}`,
      options.now,
    ),
    secrets: PLACEHOLDERS.secrets,
    permission: 0o644,
  });
  const inspection = inspectMount(request, {
    defaultCloudName: options.mount.defaultCloudName,
    nmiAddress: options.mount.nmiAddress,
    tokenProxyUrl: options.mount.tokenProxyUrl,
    sniName: options.mount.sniName,
    readTextFile: (path) => readOrStandIn(path, options.readTextFile, notes),
  });
  const lineOf = parameterLineFinder(spc);
  for (const problem of inspection.problems) {
    // A value already rejected as not a string reaches the provider as missing: say it once.
    if (inputs.rejected.includes(problem.where)) continue;
    problems.push(fromConfig(problem, lineOf, spc));
  }

  const files = inspection.objects.flatMap(basePaths);
  // A pattern's files are named after the secrets it matches: known only when the vault is listed.
  const patterns = inspection.objects.filter((spec) => spec.namePattern);
  for (const spec of patterns) {
    const folder = spec.objectAlias ? ` in the folder ${JSON.stringify(spec.objectAlias)}` : "";
    notes.push(
      `objectName pattern ${JSON.stringify(spec.objectName)}: one file per matching secret${folder}, ` +
        "named after it; the files are known only when the vault is listed",
    );
  }
  const outputs = patterns.length > 0
    ? undefined
    : secretObjectFiles(inspection, options.mount.writeCertAndKeyInSeparateFiles);
  if (!outputs && inputs.secretObjects !== undefined) {
    const why = patterns.length > 0
      ? "a pattern's files are not known"
      : "an objects entry could not be read";
    notes.push(`secretObjects[].data[].objectName not matched against the files: ${why}`);
  }
  for (const { path, diagnostic } of checkSecretObjects(inputs.secretObjects, outputs)) {
    problems.push({ ...diagnostic, line: spc.lineOf(path) });
  }
  return done({ identity: inspection.identity?.description, files, notes, problems });
}

/**
 * The files `secretObjects` may name: those of the objects, and those an object with errors in
 * its fields would write (a name matching one is not reported: that object's own error is).
 * Unknown when an entry, or the list itself, could not be read: its files could be anything.
 */
function secretObjectFiles(inspection: MountInspection, certAndKeyFiles: boolean): OutputFiles | undefined {
  const read = new Set([...inspection.objects, ...inspection.rejectedObjects].map((spec) => spec.index));
  const unreadable = inspection.problems.some((problem) => {
    const index = /^objects\.array\[(\d+)\]/.exec(problem.where)?.[1];
    const lost = index === undefined ? problem.where.startsWith("objects") : !read.has(Number(index));
    return problem.severity === "error" && lost;
  });
  if (unreadable) return undefined;
  return {
    paths: inspection.objects.flatMap(basePaths),
    pathsOfObjectsWithErrors: inspection.rejectedObjects.flatMap(basePaths),
    certAndKeyFiles,
  };
}

/** What the driver takes from a SecretProviderClass, once the API server and it accepted it. */
export interface ClassInputs {
  /** `spec.parameters` as strings; absent when the class would never reach this provider. */
  readonly parameters?: Readonly<Record<string, string>>;
  /** `spec.secretObjects`, unchecked. */
  readonly secretObjects: unknown;
  /** What the API server or the driver would reject (apiVersion, name, provider, parameters). */
  readonly problems: readonly Diagnostic[];
  /** Parameters left out of `parameters` because they are lists or mappings. */
  readonly rejected: readonly string[];
}

/**
 * The checks made before the provider is called: the manifest's apiVersion and name (API
 * server), `spec.provider` (the driver picks the socket by it) and `spec.parameters` (a map of
 * strings). `mount` runs these too, then hands the parameters to the provider.
 */
export function classInputs(spc: SecretProviderClassDocument): ClassInputs {
  const problems: Diagnostic[] = [];
  const report: Report = (path, severity, message, suggestion) =>
    problems.push({ severity, where: wherePath(path), message, suggestion, line: spc.lineOf(path) });
  checkHeader(spc, report);
  const spec = spc.value.spec;
  if (!isMap(spec)) {
    report(["spec"], "error", "spec is required: provider and parameters");
    return { secretObjects: undefined, problems, rejected: [] };
  }
  const ours = checkProvider(spec.provider, report);
  const rejected: string[] = [];
  const parameters = ours ? readParameters(spec.parameters, report, rejected) : undefined;
  return { parameters, secretObjects: spec.secretObjects, problems, rejected };
}

type Report = (
  path: YamlPath,
  severity: Diagnostic["severity"],
  message: string,
  suggestion?: string,
) => void;

function checkHeader(spc: SecretProviderClassDocument, report: Report): void {
  const apiVersion = spc.value.apiVersion;
  if (typeof apiVersion !== "string" || !API_VERSIONS.includes(apiVersion)) {
    report(
      ["apiVersion"],
      "error",
      `apiVersion ${JSON.stringify(apiVersion ?? "")} does not serve SecretProviderClass; use ${
        API_VERSIONS[0]
      }`,
      API_VERSIONS[0],
    );
  }
  if (spc.name === "") report(["metadata", "name"], "error", "metadata.name is required");
}

/** False when the class is for another provider, whose parameters are not ours to judge. */
function checkProvider(provider: unknown, report: Report): boolean {
  if (provider === PROVIDER) return true;
  if (typeof provider !== "string" || provider.trim() === "") {
    report(["spec", "provider"], "error", `spec.provider is required: set it to ${PROVIDER}`, PROVIDER);
    return true;
  }
  if (provider.trim().toLowerCase() === PROVIDER) {
    report(
      ["spec", "provider"],
      "error",
      `spec.provider ${JSON.stringify(provider)} is not ${
        JSON.stringify(PROVIDER)
      }: the driver would look for ` +
        `a provider socket named ${provider}.sock and fail with "provider not found"`,
      PROVIDER,
    );
    return true;
  }
  report(
    ["spec", "provider"],
    "error",
    `spec.provider is ${
      JSON.stringify(provider)
    }: this SecretProviderClass is for another provider, not ${PROVIDER}`,
  );
  return false;
}

/**
 * `spec.parameters` as the driver passes it: a map of strings. A value that YAML reads as a
 * number, boolean, list or mapping is rejected by the API server, so it is an error here too;
 * scalars are still checked as the string they would be once quoted.
 */
function readParameters(
  value: unknown,
  report: Report,
  rejected: string[],
): Record<string, string> | undefined {
  if (value === undefined || value === null) {
    report(
      ["spec", "parameters"],
      "error",
      "parameters not set: keyvaultName, tenantID and objects are required",
    );
    return undefined;
  }
  if (!isMap(value)) {
    report(
      ["spec", "parameters"],
      "error",
      "spec.parameters must be a mapping of parameter names to strings",
    );
    return undefined;
  }
  const parameters: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    const path = ["spec", "parameters", key];
    if (typeof entry === "string") parameters[key] = entry;
    else if (entry === null) parameters[key] = "";
    else if (typeof entry === "object") {
      const hint = key === "objects"
        ? 'write "objects: |" and indent the array: below it, so that objects is one string'
        : "parameters are strings";
      rejected.push(key);
      report(
        path,
        "error",
        `spec.parameters.${key} must be a string, not a ${
          Array.isArray(entry) ? "list" : "mapping"
        }: ${hint}`,
      );
    } else {
      const quoted = JSON.stringify(String(entry));
      report(
        path,
        "error",
        `spec.parameters.${key} must be a string, but YAML reads it as a ${typeof entry}: quote it (${quoted}); ` +
          "the API server rejects the manifest otherwise",
      );
      parameters[key] = String(entry);
    }
  }
  return parameters;
}

function fromConfig(
  problem: ConfigProblem,
  lineOf: (where: string) => number | undefined,
  spc: SecretProviderClassDocument,
): Diagnostic {
  const inParameters = problem.where !== "identity";
  return {
    severity: problem.severity,
    where: inParameters ? `spec.parameters.${problem.where}` : "identity",
    message: problem.message,
    suggestion: problem.suggestion,
    line: inParameters ? lineOf(problem.where) : spc.lineOf(["spec", "parameters"]),
  };
}

/**
 * A file the SecretProviderClass names is read on the node at mount time; when it cannot be
 * read here, a stand-in with the right shape keeps the rest of the checks going.
 */
function readOrStandIn(path: string, read: (path: string) => string, notes: string[]): string {
  try {
    return read(path);
  } catch {
    notes.push(
      `cloudEnvFileName ${path} is read on the node at mount time; it could not be read here, so its ` +
        "content was not checked",
    );
    return JSON.stringify({
      activeDirectoryEndpoint: "https://login.azurestack.invalid",
      keyVaultEndpoint: "https://vault.azurestack.invalid",
      keyVaultDNSSuffix: "vault.azurestack.invalid",
    });
  }
}

function done(lint: SecretProviderClassLint): SecretProviderClassLint {
  const line = (diagnostic: Diagnostic) => diagnostic.line ?? Number.MAX_SAFE_INTEGER;
  const byLine = [...lint.problems].sort((a, b) => line(a) - line(b));
  return { ...lint, problems: byLine };
}
