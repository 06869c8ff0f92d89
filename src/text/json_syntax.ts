/**
 * Says why a text is not JSON without quoting it. V8's own messages quote the text around the
 * error (`Unexpected token 'x', "{"clientsecret": "…"... is not valid JSON`), and the texts
 * parsed here hold client secrets, service-account tokens and files the user named.
 */
export function describeJsonSyntaxError(error: unknown): string {
  const message = error instanceof Error ? error.message : "";
  if (/Unexpected end of JSON input/.test(message)) return "the JSON ends too early";
  const position = /at position (\d+)(?: \(line (\d+) column (\d+)\))?/.exec(message);
  if (!position) return "not valid JSON";
  const [, offset, line, column] = position;
  return line ? `not valid JSON at line ${line} column ${column}` : `not valid JSON at position ${offset}`;
}
