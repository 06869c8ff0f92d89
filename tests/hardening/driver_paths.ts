/**
 * The Secrets Store CSI Driver's own checks of a `File.path` (`fileutil.WritePayloads` →
 * `validatePath`, then `filepath.Clean`), written from the driver contract independently of
 * src/config/paths.ts, so the fuzz test can prove every alias the provider accepts is one the
 * driver writes. Lengths are Go's `len`: UTF-8 bytes.
 */

const MAX_PATH_BYTES = 4096;
const MAX_ELEMENT_BYTES = 255;

/** Why the driver (on Linux) would refuse to write `path`, or `undefined` when it writes it. */
export function driverPathProblem(path: string): string | undefined {
  if (!path.isWellFormed()) return "not valid UTF-8 once encoded (lone surrogate)";
  if (path === "") return "empty";
  if (path.startsWith("/")) return "absolute";
  if (bytes(path) > MAX_PATH_BYTES) return "longer than 4096 bytes";
  const items = path.split("/");
  if (items.some((item) => item === "..")) return "has a '..' element";
  if (items.some((item) => bytes(item) > MAX_ELEMENT_BYTES)) return "has an element longer than 255 bytes";
  if (items[0].startsWith("..") && items[0].length > 2) return "first element starts with '..'";
  if (goClean(path) !== path) return `differs from its clean form ${JSON.stringify(goClean(path))}`;
  // The AtomicWriter reserves names starting with "..", and Linux refuses NUL in names.
  if (items.some((item) => item.startsWith(".."))) return "element starts with '..' (reserved)";
  if (path.includes("\u0000")) return "contains NUL";
  return undefined;
}

/** Go's `path.Clean`. */
export function goClean(path: string): string {
  if (path === "") return ".";
  const rooted = path.startsWith("/");
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      if (out.length > 0 && out[out.length - 1] !== "..") out.pop();
      else if (!rooted) out.push("..");
    } else out.push(part);
  }
  const cleaned = (rooted ? "/" : "") + out.join("/");
  return cleaned === "" ? (rooted ? "/" : ".") : cleaned;
}

function bytes(text: string): number {
  return new TextEncoder().encode(text).length;
}
