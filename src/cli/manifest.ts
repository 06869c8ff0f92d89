import { type LocatedDocument, parseManifestDocuments, type YamlPath } from "../config/yaml.ts";
import type { Diagnostic } from "./diagnostic.ts";

/** The kind `validate` and `mount` read; every other kind in a file is skipped. */
const SECRET_PROVIDER_CLASS = "SecretProviderClass";

/** One SecretProviderClass found in a manifest file. */
export interface SecretProviderClassDocument {
  /** Position of its YAML document in the file, from 0. */
  readonly document: number;
  /** Position in the `items:` of a `kind: List` document (as `kubectl get -o yaml` prints). */
  readonly item?: number;
  /** `metadata.name`, "" when missing. */
  readonly name: string;
  /** `metadata.namespace`, "" when missing. */
  readonly namespace: string;
  /** The whole object, as parsed. */
  readonly value: Record<string, unknown>;
  /**
   * The line of the value at `path` (relative to this object) or, when it is not written, of
   * its nearest written ancestor, so that "x is required" points at where x belongs.
   */
  lineOf(path: YamlPath): number | undefined;
  /** See {@link LocatedDocument.textLineOf}; paths are relative to this object. */
  textLineOf(path: YamlPath): number | undefined;
}

/** A problem of the file rather than of one SecretProviderClass. */
export interface FileProblem {
  readonly document?: number;
  readonly diagnostic: Diagnostic;
}

/** What a manifest file holds. */
export interface ManifestContents {
  readonly classes: SecretProviderClassDocument[];
  readonly problems: FileProblem[];
}

/**
 * Finds the SecretProviderClasses of a multi-document manifest (other kinds are skipped). A
 * document that does not parse is reported and the others are still read.
 */
export function readManifest(text: string): ManifestContents {
  const classes: SecretProviderClassDocument[] = [];
  const problems: FileProblem[] = [];
  const otherKinds: string[] = [];
  parseManifestDocuments(text).forEach((source, document) => {
    if (source.error !== undefined) {
      problems.push({
        document,
        diagnostic: {
          severity: "error",
          where: "yaml",
          message: `not valid YAML: ${source.error}`,
          line: source.line,
        },
      });
      return;
    }
    const value = source.value;
    if (!isMap(value)) return;
    if (value.kind === "List" && Array.isArray(value.items)) {
      value.items.forEach((item, index) => {
        if (isMap(item) && item.kind === SECRET_PROVIDER_CLASS) {
          classes.push(located(item, source, document, ["items", index], index));
        } else otherKinds.push(kindOf(item));
      });
    } else if (value.kind === SECRET_PROVIDER_CLASS) {
      classes.push(located(value, source, document, []));
    } else otherKinds.push(kindOf(value));
  });
  if (classes.length === 0 && problems.length === 0) {
    const found = otherKinds.length > 0 ? ` (found ${[...new Set(otherKinds)].join(", ")})` : "";
    problems.push({
      diagnostic: {
        severity: "error",
        where: "kind",
        message: `no document of kind ${SECRET_PROVIDER_CLASS} in this file${found}`,
      },
    });
  }
  return { classes, problems };
}

function located(
  value: Record<string, unknown>,
  source: LocatedDocument,
  document: number,
  base: YamlPath,
  item?: number,
): SecretProviderClassDocument {
  const metadata = isMap(value.metadata) ? value.metadata : {};
  return {
    document,
    item,
    name: typeof metadata.name === "string" ? metadata.name : "",
    namespace: typeof metadata.namespace === "string" ? metadata.namespace : "",
    value,
    lineOf: (path) => {
      for (let length = path.length; length > 0; length--) {
        const line = source.lineOf([...base, ...path.slice(0, length)]);
        if (line !== undefined) return line;
      }
      return source.lineOf(base) ?? source.line;
    },
    textLineOf: (path) => source.textLineOf([...base, ...path]),
  };
}

function kindOf(value: unknown): string {
  return isMap(value) && typeof value.kind === "string" ? value.kind : "a document without kind";
}

/** True for a YAML mapping (a plain object). */
export function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
