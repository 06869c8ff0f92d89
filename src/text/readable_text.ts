/**
 * Text that came from users (parameter values, object names, keys) ends up in gRPC statuses,
 * pod events and log lines. Made readable here: one line, valid Unicode, bounded length, so a
 * hostile SecretProviderClass can neither forge log lines nor flood events and trailers.
 */

/**
 * The longest message sent in a gRPC status. The status travels in an HTTP/2 trailer whose
 * size clients cap (grpc-go: 16 KiB for all headers); percent-encoded, 2048 UTF-16 units of
 * text stay under 12 KiB whatever the characters.
 */
const MAX_MESSAGE_LENGTH = 2048;

// C0 and C1 controls, line and paragraph separators, and the bidirectional overrides and
// isolates that make text display in another order than it is stored.
// deno-lint-ignore no-control-regex
const UNREADABLE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u202a-\u202e\u2066-\u2069]/g;
const NAMED: Readonly<Record<string, string>> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

/**
 * Returns `text` as one readable line: control and direction characters escaped (`\n`,
 * `\u001b`), lone surrogates replaced by U+FFFD, and at most `max` characters, the cut said.
 */
export function readableLine(text: string, max: number = MAX_MESSAGE_LENGTH): string {
  const line = text.toWellFormed().replace(
    UNREADABLE,
    (char) => NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  return clip(line, max);
}

/** Cuts `text` to at most `max` characters, saying how many were left out. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  const note = (left: number) => `… (${left} more characters)`;
  let keep = Math.max(0, max - note(text.length).length);
  // Never cut a surrogate pair in two.
  if (keep > 0 && /[\ud800-\udbff]/.test(text[keep - 1])) keep--;
  return text.slice(0, keep) + note(text.length - keep);
}
