const TRUE_WORDS = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE_WORDS = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** A value that Go's `strconv.ParseBool` refuses; the message names the parameter. */
export class GoBoolSyntaxError extends Error {
  override name = "GoBoolSyntaxError";
}

/**
 * Parses a boolean parameter the way Go's `strconv.ParseBool` does, so SecretProviderClasses
 * written for the Go provider keep their meaning. An empty value is false.
 */
export function parseGoBool(parameter: string, value: string): boolean {
  if (value === "" || FALSE_WORDS.has(value)) return false;
  if (TRUE_WORDS.has(value)) return true;
  throw new GoBoolSyntaxError(
    `failed to parse ${parameter} flag, error: strconv.ParseBool: parsing ${
      JSON.stringify(value)
    }: invalid syntax (use true or false)`,
  );
}
