/**
 * `objectName` patterns: a name with `*` stands for every secret whose name matches, `*`
 * matching any run of characters (none included). Key Vault names are letters, digits and
 * '-', compared without regard to case, and so are patterns.
 */

/** The longest secret name Key Vault accepts, and so the longest useful pattern. */
export const MAX_PATTERN_LENGTH = 127;

/** True when `objectName` is a pattern rather than one object's name. */
export function isNamePattern(objectName: string): boolean {
  return objectName.includes("*");
}

/** Why `pattern` can match no secret name, or `undefined` when it is a usable pattern. */
export function namePatternProblem(pattern: string): string | undefined {
  if (pattern.length > MAX_PATTERN_LENGTH) {
    return `the objectName pattern is ${pattern.length} characters long; secret names have at most ${MAX_PATTERN_LENGTH}`;
  }
  if (!/^[-A-Za-z0-9*]+$/.test(pattern)) {
    return "an objectName pattern may only hold letters, digits, '-' and '*': secret names have no other character";
  }
  return undefined;
}

/**
 * Whether `name` matches `pattern`, ignoring case. Greedy matching that backs up only to the
 * last `*`: time proportional to the product of the lengths at worst, whatever the pattern
 * (a regular expression of many `.*` can take exponential time).
 */
export function matchesNamePattern(pattern: string, name: string): boolean {
  const p = pattern.toLowerCase();
  const n = name.toLowerCase();
  let i = 0;
  let j = 0;
  let star = -1;
  let resume = 0;
  while (j < n.length) {
    if (i < p.length && p[i] === "*") {
      star = i++;
      resume = j;
    } else if (i < p.length && p[i] === n[j]) {
      i++;
      j++;
    } else if (star >= 0) {
      i = star + 1;
      j = ++resume;
    } else {
      return false;
    }
  }
  while (i < p.length && p[i] === "*") i++;
  return i === p.length;
}
