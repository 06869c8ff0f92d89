import { isAbsolute, resolve } from "node:path";

/**
 * Resolves a path the user typed against the folder they typed it in. `deno task` runs in the
 * project's folder and passes the user's folder as INIT_CWD (as npm does); elsewhere the
 * variable is unset (or unreadable) and the path stays relative to the working folder.
 */
export function userPath(path: string): string {
  if (path === "-" || isAbsolute(path)) return path;
  const base = Deno.env.get("INIT_CWD");
  return base && isAbsolute(base) ? resolve(base, path) : path;
}
