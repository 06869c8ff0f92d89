/**
 * Lists words the Go provider's way: `a`, `a or b`, `a, b, or c`.
 *
 * @example
 * ```ts
 * orList(["secret", "key", "cert"]); // "secret, key, or cert"
 * ```
 */
export function orList(words: readonly string[]): string {
  if (words.length <= 2) return words.join(" or ");
  return `${words.slice(0, -1).join(", ")}, or ${words[words.length - 1]}`;
}
