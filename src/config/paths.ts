/**
 * The rules a file path must follow to be written by the driver (`WritePayloads`) and
 * accepted by the Go provider, checked before any network call so a bad alias fails early
 * with a message that says what to change.
 */

import { Buffer } from "node:buffer";
import { clip } from "../text/readable_text.ts";

/** The longest path the driver writes. */
const MAX_PATH_LENGTH = 4096;
/** The longest element of a path the driver writes. */
const MAX_ELEMENT_LENGTH = 255;

/**
 * Returns why `path` cannot be an output file path, or `undefined` when it can. The message
 * quotes the path (escaped, and cut when long), as the other object errors quote their value.
 */
export function filePathProblem(path: string): string | undefined {
  if (path === "") return "file name must not be empty";
  const rule = pathRuleBroken(path);
  return rule && `file name ${quotePath(path)} ${rule}`;
}

/** The longest part of a path quoted in a message. */
const QUOTED_PATH_LENGTH = 120;

function quotePath(path: string): string {
  return JSON.stringify(clip(path, QUOTED_PATH_LENGTH));
}

/** The rule a non-empty path breaks, worded to follow "file name <path>". */
function pathRuleBroken(path: string): string | undefined {
  if (path.startsWith("/") || /^[A-Za-z]:/.test(path)) return "must be a relative path";
  if (path.includes("..")) return "must not contain '..'";
  if (path.includes("\\")) return "must not contain a backslash (use '/' for folders)";
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(path)) return "must not contain control characters";
  // A lone surrogate reaches the driver as U+FFFD, so two different names could become one.
  if (!path.isWellFormed()) return "must be valid Unicode (it has a lone surrogate)";
  // The driver counts bytes (Go's len), not characters.
  if (Buffer.byteLength(path, "utf8") > MAX_PATH_LENGTH) {
    return `must be at most ${MAX_PATH_LENGTH} bytes long`;
  }
  const elements = path.split("/");
  if (elements.some((element) => element === "" || element === ".")) {
    return "must be a clean path: no '.' element, no empty element, no leading or trailing '/'";
  }
  if (elements.some((element) => Buffer.byteLength(element, "utf8") > MAX_ELEMENT_LENGTH)) {
    return `must have no folder or file name longer than ${MAX_ELEMENT_LENGTH} bytes`;
  }
  return undefined;
}

/**
 * Finds the first pair of paths that cannot both be written: the same path twice, or a path
 * used both as a file and as a folder (`a` and `a/0`).
 */
export function conflictingPaths(paths: readonly string[]): [string, string] | undefined {
  const set = new PathSet();
  for (const path of paths) {
    const conflict = set.add(path);
    if (conflict) return conflict;
  }
  return undefined;
}

/**
 * The paths of one mount so far, checked as each is added, in time linear in the number of
 * path elements: a SecretProviderClass may list thousands of objects.
 */
export class PathSet {
  readonly #files = new Set<string>();
  /** Every folder some file sits in, mapped to the first such file. */
  readonly #folders = new Map<string, string>();

  /** Adds `path`, or returns the pair it conflicts in without adding it. */
  add(path: string): [string, string] | undefined {
    const conflict = this.conflictWith(path);
    if (conflict) return conflict;
    this.#files.add(path);
    for (const folder of foldersOf(path)) if (!this.#folders.has(folder)) this.#folders.set(folder, path);
    return undefined;
  }

  /** The pair `path` would conflict in (an earlier path first), or `undefined`. */
  conflictWith(path: string): [string, string] | undefined {
    if (this.#files.has(path)) return [path, path];
    const inside = this.#folders.get(path);
    if (inside !== undefined) return [path, inside];
    const file = foldersOf(path).find((folder) => this.#files.has(folder));
    return file === undefined ? undefined : [file, path];
  }
}

/** `a/b/c` → `a`, `a/b`. */
function foldersOf(path: string): string[] {
  const folders: string[] = [];
  for (let slash = path.indexOf("/"); slash >= 0; slash = path.indexOf("/", slash + 1)) {
    folders.push(path.slice(0, slash));
  }
  return folders;
}
