import { InvalidMountConfigError } from "../errors.ts";
import { describeJsonSyntaxError } from "../text/json_syntax.ts";

/** The three JSON-encoded fields of a MountRequest, decoded. */
export interface DecodedMountRequest {
  /** SecretProviderClass parameters merged with the pod's volume context. */
  readonly attributes: Readonly<Record<string, string>>;
  /** The nodePublishSecretRef data; `null` when the pod names no secret. */
  readonly secrets: Readonly<Record<string, string>> | null;
  /** The default file mode (e.g. 420 = 0644). */
  readonly permission: number;
}

/** The largest mode a File may carry (0777): the driver applies it verbatim. */
export const MAX_FILE_MODE = 0o777;

/** Decodes `attributes`, `secrets` and `permission` as the driver encodes them. */
export function decodeMountRequest(
  request: { attributes: string; secrets: string; permission: string },
): DecodedMountRequest {
  return {
    attributes: decodeStringMap("attributes", request.attributes, false) ?? {},
    secrets: decodeStringMap("secrets", request.secrets, true),
    permission: decodePermission(request.permission),
  };
}

function decodeStringMap(
  field: string,
  json: string,
  nullable: boolean,
): Record<string, string> | null {
  const value = parseJson(field, json);
  if (value === null && nullable) return null;
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw unmarshalError(field, `expected a JSON object of strings, got ${describe(value)}`);
  }
  const map: Record<string, string> = Object.create(null);
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== "string") {
      throw unmarshalError(
        field,
        `the value of ${JSON.stringify(key)} must be a string, got ${describe(entry)}`,
      );
    }
    map[key] = entry;
  }
  return map;
}

function decodePermission(json: string): number {
  const value = parseJson("file permission", json);
  if (typeof value !== "number" || !Number.isInteger(value)) {
    throw unmarshalError(
      "file permission",
      `expected a decimal file mode such as "420", got ${describe(value)}`,
    );
  }
  if (value < 0 || value > MAX_FILE_MODE) {
    throw unmarshalError(
      "file permission",
      `${value} is not a file mode between 0 and 511 (0777 octal)`,
    );
  }
  return value;
}

function parseJson(field: string, json: string): unknown {
  try {
    return JSON.parse(json);
  } catch (error) {
    const reason = json.trim() === "" ? "the field is empty" : describeJsonSyntaxError(error);
    throw unmarshalError(field, reason);
  }
}

function unmarshalError(field: string, reason: string): InvalidMountConfigError {
  return new InvalidMountConfigError(`failed to unmarshal ${field}, error: ${reason}`);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}
