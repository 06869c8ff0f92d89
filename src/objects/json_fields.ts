/**
 * `jmesPath`: fields of a secret whose value is JSON, each written to a file of its own, as
 * AWS's provider does. A string result is written as its text, anything else as compact
 * JSON. Errors name the object (by the caller) and the path, never the value or a result.
 */
import type { JsonField } from "../config/object_spec.ts";
import { evaluateJmesPath, JmesPathEvaluationError } from "../config/jmespath.ts";
import { ObjectFormatError, OutputFile } from "./object_type.ts";

/** The files of `fields`, evaluated on `value` (the secret's text). */
export function jsonFieldFiles(fields: readonly JsonField[], value: string): OutputFile[] {
  let json: unknown;
  try {
    json = JSON.parse(value);
  } catch {
    // JSON.parse's message quotes the text around the error: never pass it on.
    throw new ObjectFormatError(
      `jmesPath needs the secret's value to be JSON, but it does not parse as JSON (path ${
        JSON.stringify(fields[0].path)
      })`,
    );
  }
  return fields.map((field) => ({
    suffix: "",
    path: field.objectAlias,
    contents: new TextEncoder().encode(fieldText(field, json)),
  }));
}

function fieldText(field: JsonField, json: unknown): string {
  let result: unknown;
  try {
    result = evaluateJmesPath(field.path, json);
  } catch (error) {
    if (!(error instanceof JmesPathEvaluationError)) throw error;
    throw new ObjectFormatError(`jmesPath path ${JSON.stringify(field.path)} failed: ${error.message}`);
  }
  if (result === null || result === undefined) {
    throw new ObjectFormatError(
      `jmesPath path ${JSON.stringify(field.path)} has no result in the secret's JSON value`,
    );
  }
  return typeof result === "string" ? result : JSON.stringify(result);
}
