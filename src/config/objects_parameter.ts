import { JsonField, ObjectEncoding, ObjectFormat, objectLabel, ObjectSpec } from "./object_spec.ts";
import { jmesPathProblem } from "./jmespath.ts";
import { isNamePattern, namePatternProblem } from "./name_pattern.ts";
import { vaultNameProblem } from "./vault_name.ts";
import { filePathProblem } from "./paths.ts";
import { ProblemList } from "./problems.ts";
import { suggestName } from "../text/suggest.ts";
import { TokenBudget, TokenBudgetError, YamlError } from "./yaml.ts";
import { parseRecentYamlStrings } from "./yaml_parse_cache.ts";
import { MAX_FILE_MODE } from "./request.ts";

/** The fields an object entry may have; the Go provider silently ignores any other. */
const OBJECT_FIELDS = [
  "objectName",
  "objectAlias",
  "objectType",
  "objectVersion",
  "objectVersionHistory",
  "objectFormat",
  "objectEncoding",
  "filePermission",
  "keyvaultName",
  "jmesPath",
] as const;

/** The fields of one `jmesPath` entry, as AWS's provider spells them. */
export const JSON_FIELD_FIELDS = ["path", "objectAlias"] as const;
/** The most `jmesPath` entries one object has: each is a file. */
export const MAX_JSON_FIELDS = 100;

const FORMATS: readonly ObjectFormat[] = ["pem", "pfx"];
const ENCODINGS: readonly ObjectEncoding[] = ["utf-8", "base64", "hex"];
/** More versions than this in one file set is a mistake, not a wish. */
const MAX_VERSION_HISTORY = 1000;
/**
 * The most objects one mount lists, and the longest `objects` parameter read. The YAML is
 * parsed on every mount, on the thread that serves every pod of the node: each document is
 * also bounded in tokens (yaml.ts), and these bound the total: about a second of CPU for the
 * most hostile text, measured with V8's interpreter only (`--lite-mode`), the slowest
 * setting. 1,000 objects of five fields each take 170 KB.
 */
export const MAX_OBJECTS = 1000;
const MAX_OBJECTS_BYTES = 256 * 1024;
/** The YAML tokens of the `objects` parameter and all its items (1,000 five-field objects: about 43,000). */
const MAX_OBJECTS_TOKENS = 50_000;

const SHAPE_HINT = 'objects must be a YAML mapping whose "array:" key lists one YAML string ' +
  'per object (write each item as "- |" followed by its fields)';

/**
 * Reads the `objects` parameter: a YAML mapping whose `array:` lists YAML strings, each one
 * object. Problems are collected; the specs returned are the entries that were valid. Entries
 * that were mappings of fields but had errors go to `rejected` (a bad field read as its
 * default), so that later checks can still judge their other fields and tell their files.
 */
export function parseObjects(text: string, problems: ProblemList, rejected: ObjectSpec[] = []): ObjectSpec[] {
  const budget = new TokenBudget(MAX_OBJECTS_TOKENS);
  const items = objectDocuments(text, problems, budget);
  const specs: ObjectSpec[] = [];
  for (const [index, item] of items.entries()) {
    const parsed = parseObject(item, index, problems, budget);
    if (parsed) (parsed.valid ? specs : rejected).push(parsed.spec);
    if (budget.remaining <= 0) break;
  }
  return specs;
}

function objectDocuments(text: string, problems: ProblemList, budget: TokenBudget): string[] {
  const size = new TextEncoder().encode(text).length;
  if (size > MAX_OBJECTS_BYTES) {
    problems.error(
      "objects",
      `objects is ${size} bytes long; at most ${MAX_OBJECTS_BYTES} are read on each mount: split the objects over several SecretProviderClasses`,
    );
    return [];
  }
  let root: unknown;
  try {
    root = parseRecentYamlStrings(text, budget);
  } catch (error) {
    problems.error("objects", `failed to yaml unmarshal objects, error: ${(error as Error).message}`);
    return [];
  }
  if (!isMap(root) || !("array" in root)) {
    problems.error("objects", `failed to yaml unmarshal objects: ${SHAPE_HINT}`);
    return [];
  }
  const array = root.array;
  if (array === null || array === "") return [];
  if (!Array.isArray(array)) {
    problems.error("objects.array", `failed to yaml unmarshal objects: ${SHAPE_HINT}`);
    return [];
  }
  if (array.length > MAX_OBJECTS) {
    problems.error(
      "objects.array",
      `objects lists ${array.length} objects; at most ${MAX_OBJECTS} are mounted at once: split them over several SecretProviderClasses`,
    );
    return [];
  }
  const documents: string[] = [];
  array.forEach((item, index) => {
    if (typeof item === "string") documents.push(item);
    else {
      problems.error(
        `objects.array[${index}]`,
        `failed to yaml unmarshal objects: item ${index} is ${describe(item)}; ${SHAPE_HINT}`,
      );
    }
  });
  return documents;
}

/** An object entry read as fields; `valid` unless one of them had an error. */
interface ParsedObject {
  readonly spec: ObjectSpec;
  readonly valid: boolean;
}

function parseObject(
  text: string,
  index: number,
  problems: ProblemList,
  budget: TokenBudget,
): ParsedObject | undefined {
  const where = `objects.array[${index}]`;
  let fields: unknown;
  try {
    fields = parseRecentYamlStrings(text, budget);
  } catch (error) {
    if (error instanceof TokenBudgetError) {
      budget.remaining = 0;
      problems.error(
        "objects",
        `objects holds ${error.message} up to item ${index}; the provider parses it on each mount: split the objects over several SecretProviderClasses`,
      );
      return undefined;
    }
    const reason = error instanceof YamlError ? error.message : String(error);
    problems.error(where, `unmarshal failed for keyVaultObjects at index ${index}, error: ${reason}`);
    return undefined;
  }
  if (!isMap(fields)) {
    problems.error(
      where,
      `unmarshal failed for keyVaultObjects at index ${index}, error: expected a mapping of object fields, got ${
        describe(fields)
      }`,
    );
    return undefined;
  }
  const before = problems.errors.length;
  const read = (field: string): string =>
    readScalar(fields as Record<string, unknown>, field, where, problems);
  warnUnknownFields(fields, where, problems);
  const objectName = read("objectName");
  const objectAlias = read("objectAlias");
  const objectType = read("objectType");
  const objectVersion = read("objectVersion");
  const keyvaultName = read("keyvaultName");
  const label = objectLabel({ objectType, objectName, objectVersion, keyvaultName });
  const fail = (field: string, message: string, suggestion?: string) =>
    problems.error(`${where}.${field}`, `failed to get ${label}: ${message}`, suggestion);

  if (objectName === "") fail("objectName", "objectName is required");
  if (objectType === "") fail("objectType", "objectType is required: secret, key, or cert");
  const namePattern = isNamePattern(objectName);
  const patternProblem = namePattern ? namePatternProblem(objectName) : undefined;
  if (patternProblem) fail("objectName", patternProblem);
  const fileName = objectAlias || objectName;
  // A pattern's files are named after the secrets it matches (inside the alias folder, if any).
  const pathProblem = fileName === "" || (namePattern && !objectAlias)
    ? undefined
    : filePathProblem(fileName);
  if (pathProblem) fail(objectAlias ? "objectAlias" : "objectName", pathProblem);
  const vaultProblem = keyvaultName === "" ? undefined : vaultNameProblem(keyvaultName);
  if (vaultProblem) fail("keyvaultName", vaultProblem.message, vaultProblem.suggestion);
  const jmesPath = readJsonFields(fields.jmesPath, `${where}.jmesPath`, fail, problems);
  const objectFormat = readChoice(read("objectFormat"), FORMATS, "pem", "objectFormat", fail);
  const encodingText = read("objectEncoding");
  const objectEncoding = readChoice(encodingText, ENCODINGS, "utf-8", "objectEncoding", fail);
  const permissionText = read("filePermission");
  const filePermission = readFilePermission(permissionText, fail);
  warnDecimalMode(permissionText, `${where}.filePermission`, problems);
  const objectVersionHistory = readHistory(read("objectVersionHistory"), fail);
  const spec = {
    index,
    objectName,
    objectAlias,
    objectType,
    objectVersion,
    objectVersionHistory,
    objectFormat,
    objectEncoding,
    objectEncodingSet: encodingText !== "",
    filePermission,
    fileName,
    ...(keyvaultName ? { keyvaultName } : {}),
    ...(jmesPath.length > 0 ? { jmesPath } : {}),
    ...(namePattern ? { namePattern } : {}),
  };
  return { spec, valid: problems.errors.length === before };
}

/**
 * Reads `jmesPath`: a list of `{path, objectAlias}` mappings, as AWS's provider takes it. Each
 * path must compile and each alias be a valid file path; collisions are judged with the other
 * files of the mount (plan.ts).
 */
function readJsonFields(
  value: unknown,
  where: string,
  fail: (field: string, message: string) => void,
  problems: ProblemList,
): JsonField[] {
  if (value === undefined || value === null || value === "") return [];
  if (!Array.isArray(value)) {
    fail("jmesPath", `jmesPath must be a list of {path, objectAlias} entries, got ${describe(value)}`);
    return [];
  }
  if (value.length > MAX_JSON_FIELDS) {
    fail("jmesPath", `jmesPath lists ${value.length} entries; at most ${MAX_JSON_FIELDS} are read`);
    return [];
  }
  const fields: JsonField[] = [];
  value.forEach((entry, index) => {
    const at = `jmesPath[${index}]`;
    if (!isMap(entry)) {
      fail(at, `each jmesPath entry must be a mapping with path and objectAlias, got ${describe(entry)}`);
      return;
    }
    warnUnknownKeys(entry, JSON_FIELD_FIELDS, `${where}[${index}]`, "jmesPath field", problems);
    const path = readScalar(entry, "path", `${where}[${index}]`, problems);
    const objectAlias = readScalar(entry, "objectAlias", `${where}[${index}]`, problems);
    const pathProblem = path === "" ? "path is required" : jmesPathProblem(path);
    if (pathProblem) {
      fail(
        `${at}.path`,
        path === "" ? `${at}: ${pathProblem}` : `${at}: path ${JSON.stringify(path)} ${pathProblem}`,
      );
    }
    const aliasProblem = objectAlias === "" ? "objectAlias is required" : filePathProblem(objectAlias);
    if (aliasProblem) fail(`${at}.objectAlias`, `${at} (path ${JSON.stringify(path)}): ${aliasProblem}`);
    if (!pathProblem && !aliasProblem) fields.push({ path, objectAlias });
  });
  return fields;
}

function readScalar(
  fields: Record<string, unknown>,
  field: string,
  where: string,
  problems: ProblemList,
): string {
  const value = fields[field];
  if (value === undefined || value === null) return "";
  if (typeof value !== "string") {
    problems.error(`${where}.${field}`, `${field} must be a single value, got ${describe(value)}`);
    return "";
  }
  return value.trim();
}

function readChoice<T extends string>(
  value: string,
  choices: readonly T[],
  fallback: T,
  field: string,
  fail: (field: string, message: string) => void,
): T {
  if (value === "") return fallback;
  const lower = value.toLowerCase() as T;
  if (choices.includes(lower)) return lower;
  const expected = field === "objectFormat" ? "should be PEM or PFX" : "should be hex, base64 or utf-8";
  fail(field, `invalid ${field}: ${value}, ${expected}`);
  return fallback;
}

function readFilePermission(
  value: string,
  fail: (field: string, message: string) => void,
): number | undefined {
  if (value === "") return undefined;
  const mode = /^[0-7]{1,4}$/.test(value) ? parseInt(value, 8) : NaN;
  if (!(mode >= 0 && mode <= MAX_FILE_MODE)) {
    fail(
      "filePermission",
      `file permission must be an octal file mode between 0000 and 0777 such as "0644", got ${
        JSON.stringify(value)
      }`,
    );
    return undefined;
  }
  return mode;
}

/** Modes people mean, by the decimal number Kubernetes manifests show for them (420 = 0644). */
const DECIMAL_MODES = new Map(
  [0o644, 0o640, 0o600, 0o664, 0o660, 0o444, 0o440, 0o400, 0o755, 0o750, 0o700, 0o777].map((mode) => [
    String(mode),
    `0${mode.toString(8)}`,
  ]),
);

/**
 * `filePermission: "420"` is the octal mode 0420 (r---w----), a valid but unlikely mode: the
 * value is almost always the decimal form of 0644 copied from a driver log or a pod spec.
 */
function warnDecimalMode(value: string, where: string, problems: ProblemList): void {
  const meant = DECIMAL_MODES.get(value);
  if (!meant) return;
  problems.warning(
    where,
    `filePermission ${JSON.stringify(value)} is read as the octal mode 0${value}; ${value} is the decimal ` +
      `form of ${meant}: write ${JSON.stringify(meant)} if that is what you mean`,
    meant,
  );
}

function readHistory(value: string, fail: (field: string, message: string) => void): number {
  if (value === "") return 0;
  const count = /^[+]?\d{1,10}$/.test(value) ? Number(value) : NaN;
  if (!(count >= 0 && count <= MAX_VERSION_HISTORY)) {
    fail(
      "objectVersionHistory",
      `objectVersionHistory must be a whole number from 0 to ${MAX_VERSION_HISTORY}, got ${
        JSON.stringify(value)
      }`,
    );
    return 0;
  }
  return count;
}

function warnUnknownFields(fields: Record<string, unknown>, where: string, problems: ProblemList): void {
  warnUnknownKeys(fields, OBJECT_FIELDS, where, "object field", problems);
}

function warnUnknownKeys(
  fields: Record<string, unknown>,
  known: readonly string[],
  where: string,
  what: string,
  problems: ProblemList,
): void {
  for (const key of Object.keys(fields)) {
    if (known.includes(key)) continue;
    const suggestion = suggestName(key, known);
    const hint = suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : "";
    problems.warning(
      `${where}.${key}`,
      `unknown ${what} ${JSON.stringify(key)} is ignored${hint}`,
      suggestion,
    );
  }
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null || value === undefined) return "empty";
  if (Array.isArray(value)) return "a list";
  return typeof value === "object" ? "a mapping" : `a ${typeof value}`;
}
