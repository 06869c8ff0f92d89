/**
 * The one place that knows which YAML library we use, so it can be swapped. Aliases are
 * bounded and duplicate keys rejected: every YAML we read is user input.
 */
import { parse, parseAllDocuments } from "yaml";

/** A YAML document that did not parse; the message is the parser's, positions included. */
export class YamlError extends Error {
  override name = "YamlError";
}

const LIMITS = { maxAliasCount: 100, uniqueKeys: true, prettyErrors: false } as const;

/**
 * Parses one YAML document with every scalar kept as the string it was written as (YAML's
 * failsafe schema), the way Go decodes the provider's string fields: `0644` stays "0644".
 */
export function parseYamlStrings(text: string): unknown {
  try {
    return parse(text, { ...LIMITS, schema: "failsafe" });
  } catch (error) {
    throw new YamlError(firstLine(error));
  }
}

/** Parses a multi-document YAML stream (Kubernetes manifests) with the core schema. */
export function parseYamlDocuments(text: string): unknown[] {
  const documents = parseAllDocuments(text, LIMITS);
  const list = Array.isArray(documents) ? documents : [documents];
  return list.map((document) => {
    if (document.errors.length > 0) throw new YamlError(firstLine(document.errors[0]));
    return document.toJS({ maxAliasCount: LIMITS.maxAliasCount });
  });
}

function firstLine(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0];
}
