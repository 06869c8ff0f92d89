import { parseYamlStrings } from "../config/yaml.ts";
import { decodeGoBase64 } from "../text/go_encoding.ts";
import { isMap } from "./manifest.ts";
import { UsageError } from "./usage.ts";

/**
 * Reads the data of the pod's nodePublishSecretRef Secret from a file: either a Kubernetes
 * Secret manifest (`data` base64-decoded, `stringData` over it, as the API server merges them)
 * or a plain mapping such as `{clientid: …, clientsecret: …}`, in YAML or JSON. Every value
 * stays the string it was written as. Errors name keys, never values.
 */
export function readNodePublishSecret(text: string): Record<string, string> {
  let value: unknown;
  try {
    value = parseYamlStrings(text);
  } catch (error) {
    throw new UsageError(`the secret file is not YAML or JSON: ${(error as Error).message}`);
  }
  if (!isMap(value)) {
    throw new UsageError(
      "the secret file must hold a mapping of keys to strings (clientid, clientsecret) or a Secret",
    );
  }
  if (value.kind === "Secret") {
    const data = stringMap(value.data ?? {}, "data");
    const decoded = Object.fromEntries(
      Object.entries(data).map(([key, encoded]) => [key, base64(key, encoded)]),
    );
    return { ...decoded, ...stringMap(value.stringData ?? {}, "stringData") };
  }
  return stringMap(value, "the secret file");
}

function stringMap(value: unknown, where: string): Record<string, string> {
  if (!isMap(value)) throw new UsageError(`${where} must be a mapping of keys to strings`);
  const map: Record<string, string> = {};
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== "string") throw new UsageError(`the value of ${key} in ${where} must be a string`);
    map[key] = entry;
  }
  return map;
}

function base64(key: string, encoded: string): string {
  // YAML folds a long value written over several lines with spaces: none of them is data.
  const bytes = decodeGoBase64(encoded.replace(/\s+/g, ""));
  if (!bytes) {
    throw new UsageError(`data.${key} of the Secret is not base64 (put clear text under stringData instead)`);
  }
  return new TextDecoder().decode(bytes);
}
