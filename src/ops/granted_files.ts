/**
 * Reading files the provider's permission list may not grant. The provider runs with
 * `--allow-read` limited to a few folders (deploy/permissions.linux), so a path outside them is
 * refused by Deno with advice meant for developers ("run again with the --allow-read flag");
 * operators of the compiled binary get advice they can act on instead.
 */

/** Thrown when the permission list does not grant reading a path. */
export class ReadNotGrantedError extends Error {
  override name = "ReadNotGrantedError";
}

/** Where an AzureStackCloud environment file may be mounted on Linux nodes (read-only grant). */
const CLOUD_ENV_FOLDER = "/cloudEnv";

/** Reads a text file; a path outside the granted folders throws {@link ReadNotGrantedError}. */
export function readGrantedTextFile(path: string): string {
  try {
    return Deno.readTextFileSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotCapable)) throw error;
    throw new ReadNotGrantedError(
      `the provider's permission list does not allow reading ${path}; mount the file under ${CLOUD_ENV_FOLDER}/ ` +
        `(or at /etc/kubernetes/azurestackcloud.json) on Linux nodes`,
    );
  }
}
