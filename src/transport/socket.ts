/**
 * Removes a socket file left by a provider that did not exit cleanly, so a restarted
 * provider can bind the same path the driver keeps dialing. Anything that is not a socket
 * is left alone: removing a user's file by mistake is worse than failing to start.
 */
export async function removeStaleSocket(path: string): Promise<void> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.lstat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  if (!isLeftoverSocket(info)) {
    throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  }
  await Deno.remove(path);
}

/**
 * Whether what `lstat` found at the socket path is a socket. Deno tells on Linux; on Windows
 * it reports no file types beyond file, folder and link, and an AF_UNIX socket is an empty
 * reparse-point file, so there an empty file counts as one (removing it loses nothing) and a
 * file with content does not.
 */
export function isLeftoverSocket(
  info: Pick<Deno.FileInfo, "isSocket" | "isFile" | "isDirectory" | "size">,
  os: string = Deno.build.os,
): boolean {
  if (os === "windows") return !info.isDirectory && info.size === 0;
  return info.isSocket === true && !info.isFile && !info.isDirectory;
}

/**
 * Binds a Unix socket that only its owner (root, like the driver) can dial, with no moment in
 * which it is reachable with looser permissions: the socket is bound inside a private 0700
 * folder next to `path`, made 0600, then renamed into place. (The Go provider sets the
 * process umask instead; Deno would need the whole `--allow-sys` grant for that.)
 */
export async function bindPrivateSocket(
  path: string,
  bind: (path: string) => Promise<unknown>,
): Promise<void> {
  if (Deno.build.os === "windows") return void await bind(path);
  const slash = path.lastIndexOf("/");
  const folder = `${path.slice(0, slash)}/.${path.slice(slash + 1)}.${crypto.randomUUID()}`;
  await Deno.mkdir(folder, { mode: 0o700 });
  try {
    const privatePath = `${folder}/socket`;
    await bind(privatePath);
    await Deno.chmod(privatePath, 0o600);
    await Deno.rename(privatePath, path);
  } finally {
    await Deno.remove(folder, { recursive: true }).catch(() => {});
  }
}
