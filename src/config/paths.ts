/**
 * The rules a file path must follow to be written by the driver (`WritePayloads`) and
 * accepted by the Go provider, checked before any network call so a bad alias fails early
 * with a message that says what to change.
 */

/** The longest path the driver writes. */
export const MAX_PATH_LENGTH = 4096;
/** The longest element of a path the driver writes. */
export const MAX_ELEMENT_LENGTH = 255;

/** Returns why `path` cannot be an output file path, or `undefined` when it can. */
export function filePathProblem(path: string): string | undefined {
  if (path === "") return "file name must not be empty";
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) {
    return "file name must be a relative path";
  }
  if (path.includes("..")) return "file name must not contain '..'";
  if (path.includes("\\")) return "file name must not contain a backslash (use '/' for folders)";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return "file name must not contain control characters";
  if (path.length > MAX_PATH_LENGTH) {
    return `file name must be at most ${MAX_PATH_LENGTH} characters long`;
  }
  const elements = path.split("/");
  if (elements.some((element) => element === "" || element === ".")) {
    return "file name must be a clean path: no '.' element, no empty element, no leading or trailing '/'";
  }
  if (elements.some((element) => new TextEncoder().encode(element).length > MAX_ELEMENT_LENGTH)) {
    return `each folder or file name must be at most ${MAX_ELEMENT_LENGTH} bytes long`;
  }
  return undefined;
}

/**
 * Finds the first pair of paths that cannot both be written: the same path twice, or a path
 * used both as a file and as a folder (`a` and `a/0`).
 */
export function conflictingPaths(paths: readonly string[]): [string, string] | undefined {
  const seen = new Set<string>();
  for (const path of paths) {
    if (seen.has(path)) return [path, path];
    seen.add(path);
  }
  for (const path of paths) {
    const elements = path.split("/");
    for (let i = 1; i < elements.length; i++) {
      const folder = elements.slice(0, i).join("/");
      if (seen.has(folder)) return [folder, path];
    }
  }
  return undefined;
}
