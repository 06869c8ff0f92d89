import { suggestName } from "../text/suggest.ts";
import type { YamlPath } from "../config/yaml.ts";
import type { Diagnostic } from "./diagnostic.ts";
import { isMap } from "./manifest.ts";

/** The files a mount of a SecretProviderClass writes, as `secretObjects` can name them. */
export interface OutputFiles {
  /** Paths every mount writes: the alias or name, `<alias>/<i>` with objectVersionHistory. */
  readonly paths: readonly string[];
  /** Paths of objects that have errors of their own: matching one is not reported again. */
  readonly pathsOfObjectsWithErrors?: readonly string[];
  /**
   * True when `<path>.crt` and `<path>.key` may also be written: the provider runs with
   * `--write-cert-and-key-in-separate-files` (and then only for certificate-backed secrets).
   */
  readonly certAndKeyFiles: boolean;
}

/** A problem and the path (from the SecretProviderClass's root) it is about. */
export interface PathProblem {
  readonly path: YamlPath;
  readonly diagnostic: Omit<Diagnostic, "line">;
}

const TLS_KEYS = ["tls.crt", "tls.key"];

/**
 * Checks `spec.secretObjects` as the driver's secret-sync controller will, once the files are
 * mounted: each needs `secretName`, `type` and `data`, and each `data[].objectName` must be a
 * path of the mount (the controller matches it against the files, not the Key Vault names).
 * The wording follows the controller's errors, which users otherwise see as pod events.
 * Without `files` (an objects entry could not be read), object names are not matched.
 */
export function checkSecretObjects(value: unknown, files: OutputFiles | undefined): PathProblem[] {
  const problems: PathProblem[] = [];
  const error = (path: YamlPath, message: string, suggestion?: string) =>
    problems.push({ path, diagnostic: { severity: "error", where: wherePath(path), message, suggestion } });
  const warning = (path: YamlPath, message: string) =>
    problems.push({ path, diagnostic: { severity: "warning", where: wherePath(path), message } });
  if (value === undefined || value === null) return problems;
  if (!Array.isArray(value)) {
    error(["spec", "secretObjects"], "secretObjects must be a list of secrets to sync");
    return problems;
  }
  value.forEach((secret, i) => {
    const at: YamlPath = ["spec", "secretObjects", i];
    if (!isMap(secret)) {
      return error(at, "each secretObjects entry must be a mapping (secretName, type, data)");
    }
    if (text(secret.secretName) === "") error([...at, "secretName"], "secret name is empty");
    const type = text(secret.type);
    if (type === "") error([...at, "type"], "secret type is empty (Opaque, kubernetes.io/tls, …)");
    if (!Array.isArray(secret.data) || secret.data.length === 0) {
      return error([...at, "data"], "data is empty: list the files to sync as objectName and key");
    }
    const keys = new Set<string>();
    secret.data.forEach((entry, j) => {
      const dataAt: YamlPath = [...at, "data", j];
      if (!isMap(entry)) return error(dataAt, "each data entry must be a mapping (objectName, key)");
      const objectName = text(entry.objectName);
      const key = text(entry.key);
      if (objectName === "") error([...dataAt, "objectName"], "object name in secretObjects.data is empty");
      else if (files) checkObjectName(objectName, files, [...dataAt, "objectName"], error);
      if (key === "") return error([...dataAt, "key"], "key in secretObjects.data is empty");
      if (type === "kubernetes.io/tls" && !TLS_KEYS.includes(key)) {
        error(
          [...dataAt, "key"],
          `key '${key}' is not supported. Only 'tls.key' and 'tls.crt' are supported`,
          suggestName(key, TLS_KEYS),
        );
      }
      if (keys.has(key)) {
        warning([...dataAt, "key"], `key ${JSON.stringify(key)} is listed twice; the last one wins`);
      }
      keys.add(key);
    });
  });
  return problems;
}

function checkObjectName(
  objectName: string,
  files: OutputFiles,
  path: YamlPath,
  error: (path: YamlPath, message: string, suggestion?: string) => void,
): void {
  if (files.paths.includes(objectName) || files.pathsOfObjectsWithErrors?.includes(objectName)) return;
  const split = /^(.*)\.(crt|key)$/.exec(objectName);
  if (split && files.paths.includes(split[1])) {
    if (files.certAndKeyFiles) return;
    error(
      path,
      `file matching objectName ${objectName} not found in the pod: ${objectName} is written only when the ` +
        "provider runs with --write-cert-and-key-in-separate-files (and only for a certificate-backed secret)",
    );
    return;
  }
  const suggestion = suggestName(objectName, files.paths);
  const hint = suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : "";
  const shown = files.paths.slice(0, 10).join(", ") + (files.paths.length > 10 ? ", …" : "");
  const written = files.paths.length > 0 ? ` (the mount writes ${shown})` : "";
  error(
    path,
    `file matching objectName ${objectName} not found in the pod: objectName must be the objectAlias, or ` +
      `the objectName when there is no alias${written}${hint}`,
    suggestion,
  );
}

function text(value: unknown): string {
  return typeof value === "string" ? value.trim() : "";
}

/** `["spec", "secretObjects", 0, "data"]` → `spec.secretObjects[0].data`. */
export function wherePath(path: YamlPath): string {
  return path.map((step, i) => typeof step === "number" ? `[${step}]` : i === 0 ? step : `.${step}`).join("");
}
