import { HOST_OS } from "./os_conventions.ts";

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
  if (!HOST_OS.isLeftoverSocket(info)) {
    throw new Error(`${path} exists and is not a socket; refusing to replace it`);
  }
  await Deno.remove(path);
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
  if (!HOST_OS.bindsPrivately) return void await bind(path);
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
