import { parseLocatedStrings } from "../config/yaml.ts";
import type { SecretProviderClassDocument } from "./manifest.ts";

/**
 * Finds the manifest line of a problem the mount pipeline found, from its `where`
 * (`keyvaultName`, `objects.array[2].objectAlias`). Inside `objects`, which is YAML within a
 * YAML string, lines are exact when each level is written as a literal block (`|`), as the
 * documentation shows; otherwise the nearest enclosing line is given.
 */
export function parameterLineFinder(spc: SecretProviderClassDocument): (where: string) => number | undefined {
  const parameters = ["spec", "parameters"];
  const objects = lazyObjectLines(spc);
  return (where) => {
    if (where === "objects" || where.startsWith("objects.")) return objects(where);
    return spc.lineOf([...parameters, where]);
  };
}

function lazyObjectLines(spc: SecretProviderClassDocument): (where: string) => number | undefined {
  const path = ["spec", "parameters", "objects"];
  const keyLine = spc.lineOf(path);
  const textLine = spc.textLineOf(path);
  const parameters = spc.value.spec as { parameters?: Record<string, unknown> } | undefined;
  const text = parameters?.parameters?.objects;
  let parsed: ReturnType<typeof parseLocatedStrings> | undefined;
  return (where) => {
    // `objects.array[2].objectAlias`, or a field of a list inside an object: `….jmesPath[0].path`.
    const match = /^objects(\.array(?:\[(\d+)\](?:\.(\w+)(?:\[(\d+)\](?:\.(\w+))?)?)?)?)?$/.exec(where);
    if (!match || textLine === undefined || typeof text !== "string") return keyLine;
    parsed ??= parseLocatedStrings(text);
    if (parsed.error !== undefined || match[1] === undefined) return keyLine;
    const inObjects = (line: number | undefined) => line === undefined ? keyLine : textLine + line - 1;
    if (match[2] === undefined) return inObjects(parsed.lineOf(["array"]));
    const index = Number(match[2]);
    const itemLine = inObjects(parsed.lineOf(["array", index]) ?? parsed.lineOf(["array"]));
    const itemTextLine = parsed.textLineOf(["array", index]);
    const array = (parsed.value as { array?: unknown[] } | undefined)?.array;
    const itemText = Array.isArray(array) ? array[index] : undefined;
    if (match[3] === undefined || itemTextLine === undefined || typeof itemText !== "string") return itemLine;
    const item = parseLocatedStrings(itemText);
    // The deepest part of the path that has a line: a missing field falls back to its entry.
    const field: (string | number)[] = [match[3]];
    if (match[4] !== undefined) field.push(Number(match[4]));
    if (match[5] !== undefined) field.push(match[5]);
    const fieldLine = item.error === undefined
      ? field.map((_, i) => item.lineOf(field.slice(0, field.length - i))).find((line) => line !== undefined)
      : undefined;
    return fieldLine === undefined ? itemLine : textLine + itemTextLine - 1 + fieldLine - 1;
  };
}
