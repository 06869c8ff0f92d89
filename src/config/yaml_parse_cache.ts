import { BoundedMap } from "../cache/bounded_map.ts";
import { parseYamlStrings, type TokenBudget, TokenBudgetError, YamlError } from "./yaml.ts";

/**
 * Documents parsed lately, by their text. A node mounts the same few SecretProviderClasses
 * over and over (every pod of a workload, and again at every rotation), and parsing is most of
 * a warm mount's CPU: about half a millisecond per object document. Bounded in entries and in
 * the size of what it keeps; the texts hold object names and options, never a secret value.
 */
const recent = new BoundedMap<string, { value: unknown } | { error: string }>(256);
const LONGEST_REMEMBERED = 16 * 1024;

/**
 * {@link parseYamlStrings}, answered from the documents parsed lately when the same text comes
 * again (a failure fails again with the same message). Each call returns its own copy of the
 * value, so a caller cannot change what the next one gets.
 */
export function parseRecentYamlStrings(text: string, budget?: TokenBudget): unknown {
  if (text.length > LONGEST_REMEMBERED) return parseYamlStrings(text, budget);
  const parsed = recent.getOrCreate(text, () => {
    try {
      return { value: parseYamlStrings(text, budget) };
    } catch (error) {
      // Running out of a budget says nothing about the text: never remembered.
      if (error instanceof TokenBudgetError) throw error;
      return { error: (error as Error).message };
    }
  });
  if ("error" in parsed) throw new YamlError(parsed.error);
  return copyOf(parsed.value);
}

/** A deep copy of what the failsafe schema yields: strings, null, arrays and plain objects. */
function copyOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(copyOf);
  if (value !== null && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, copyOf(item)]));
  }
  return value;
}
