/**
 * Writes a mount's files the way the driver does (Kubernetes' AtomicWriter, vendored by the
 * driver's `fileutil.WritePayloads`), so a folder written by `mount` looks like a pod's volume:
 *
 *   <target>/..2026_06_11_10_20_30.1234567890/   the files (folder 0755, files their mode)
 *   <target>/..data -> ..2026_06_11_10_20_30.1234567890
 *   <target>/<first path element> -> ..data/<first path element>
 *
 * A rewrite swaps `..data` atomically (rename of `..data_tmp`), prunes top-level links the
 * new payload no longer has, and removes the old timestamped folder; an unchanged payload is
 * not written at all.
 */
import { filePathProblem } from "../config/paths.ts";

/** One file to write. */
export interface Payload {
  readonly path: string;
  readonly mode: number;
  readonly contents: Uint8Array;
}

/** A target folder that holds something other than a previous write; nothing is changed. */
export class UnsafeTargetError extends Error {
  override name = "UnsafeTargetError";
}

/** What a write did. */
export interface WriteOutcome {
  /** False when the payload equals what `..data` already holds. */
  readonly written: boolean;
  /** The timestamped folder `..data` points to. */
  readonly dataDir: string;
}

/**
 * True when this process may create symlinks: Deno allows them only with unscoped read and
 * write permissions (a link's target is resolved later, outside any path grant), which the
 * compiled provider, scoped to /provider and /tmp, does not have.
 */
export async function symlinksAllowed(): Promise<boolean> {
  const write = await Deno.permissions.query({ name: "write" });
  const read = await Deno.permissions.query({ name: "read" });
  return write.state === "granted" && read.state === "granted";
}

const DATA_DIR = "..data";
const NEW_DATA_DIR = "..data_tmp";

/**
 * Writes `payload` into `target` atomically. `target` is created (mode 0700: on a workstation
 * the files are on disk, not on a pod's tmpfs) when missing; an existing folder must be empty
 * or hold a previous write.
 */
export async function writeAtomically(
  target: string,
  payload: readonly Payload[],
  now = new Date(),
): Promise<WriteOutcome> {
  for (const file of payload) {
    const problem = filePathProblem(file.path);
    if (problem) throw new UnsafeTargetError(`invalid path: ${problem}`);
  }
  await prepareTarget(target);
  const oldDir = await readLinkOrEmpty(`${target}/${DATA_DIR}`);
  let stale: string[] = [];
  if (oldDir !== "") {
    stale = await pathsToRemove(payload, `${target}/${oldDir}`);
    if (stale.length === 0 && !(await differs(payload, `${target}/${oldDir}`))) {
      return { written: false, dataDir: oldDir };
    }
  }
  const dataDir = await newTimestampDir(target, now);
  try {
    for (const file of payload) {
      const full = `${target}/${dataDir}/${file.path}`;
      await Deno.mkdir(full.slice(0, full.lastIndexOf("/")), { recursive: true, mode: 0o777 });
      await Deno.writeFile(full, file.contents, { mode: file.mode, createNew: true });
      // The mode is applied verbatim, whatever the umask (as the driver's chmod after write).
      await Deno.chmod(full, file.mode);
    }
    for (const first of new Set(payload.map((file) => file.path.split("/")[0]))) {
      if ((await readLinkOrEmpty(`${target}/${first}`)) === "") {
        await Deno.symlink(`${DATA_DIR}/${first}`, `${target}/${first}`);
      }
    }
    await Deno.symlink(dataDir, `${target}/${NEW_DATA_DIR}`);
    await Deno.rename(`${target}/${NEW_DATA_DIR}`, `${target}/${DATA_DIR}`);
  } catch (error) {
    await Deno.remove(`${target}/${NEW_DATA_DIR}`).catch(() => {});
    await Deno.remove(`${target}/${dataDir}`, { recursive: true }).catch(() => {});
    throw error;
  }
  for (const path of stale.filter((path) => !path.includes("/"))) await Deno.remove(`${target}/${path}`);
  if (oldDir !== "") await Deno.remove(`${target}/${oldDir}`, { recursive: true });
  return { written: true, dataDir };
}

async function prepareTarget(target: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(target);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    await Deno.mkdir(target, { recursive: true, mode: 0o700 });
    await Deno.chmod(target, 0o700);
    return;
  }
  if (!info.isDirectory) throw new UnsafeTargetError(`${target} exists and is not a folder`);
  for await (const entry of Deno.readDir(target)) {
    if (entry.name.startsWith("..")) continue;
    const link = entry.isSymlink ? await Deno.readLink(`${target}/${entry.name}`) : "";
    if (link !== `${DATA_DIR}/${entry.name}`) {
      throw new UnsafeTargetError(
        `${target} holds ${entry.name}, which a previous mount did not write: choose an empty or new --out folder`,
      );
    }
  }
}

async function newTimestampDir(target: string, now: Date): Promise<string> {
  const pad = (value: number) => String(value).padStart(2, "0");
  const stamp = `..${now.getUTCFullYear()}_${pad(now.getUTCMonth() + 1)}_${pad(now.getUTCDate())}_${
    pad(now.getUTCHours())
  }_${pad(now.getUTCMinutes())}_${pad(now.getUTCSeconds())}.`;
  for (;;) {
    // Go's os.MkdirTemp appends a random decimal number; retry on the rare collision.
    const name = stamp + crypto.getRandomValues(new Uint32Array(1))[0];
    try {
      await Deno.mkdir(`${target}/${name}`);
    } catch (error) {
      if (error instanceof Deno.errors.AlreadyExists) continue;
      throw error;
    }
    await Deno.chmod(`${target}/${name}`, 0o755);
    return name;
  }
}

/** Paths under the old folder that the new payload does not have (nor uses as a folder). */
async function pathsToRemove(payload: readonly Payload[], oldDir: string): Promise<string[]> {
  const keep = new Set<string>();
  for (const file of payload) {
    const elements = file.path.split("/");
    for (let i = 1; i <= elements.length; i++) keep.add(elements.slice(0, i).join("/"));
  }
  const old: string[] = [];
  const walk = async (relative: string) => {
    for await (const entry of Deno.readDir(relative === "" ? oldDir : `${oldDir}/${relative}`)) {
      const path = relative === "" ? entry.name : `${relative}/${entry.name}`;
      old.push(path);
      if (entry.isDirectory) await walk(path);
    }
  };
  try {
    await walk("");
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  return old.filter((path) => !keep.has(path));
}

/** True when some file is missing from the old folder or has other bytes (as the driver compares). */
async function differs(payload: readonly Payload[], oldDir: string): Promise<boolean> {
  for (const file of payload) {
    let current: Uint8Array;
    try {
      current = await Deno.readFile(`${oldDir}/${file.path}`);
    } catch (error) {
      // A file its own mode keeps us from reading (0000) is rewritten rather than compared.
      if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.PermissionDenied) return true;
      throw error;
    }
    if (current.length !== file.contents.length || current.some((byte, i) => byte !== file.contents[i])) {
      return true;
    }
  }
  return false;
}

async function readLinkOrEmpty(path: string): Promise<string> {
  try {
    return await Deno.readLink(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.InvalidData) return "";
    throw error;
  }
}
