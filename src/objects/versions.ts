import { ObjectFormatError, type VersionProperties } from "./object_type.ts";

/** What every SDK version listing yields per version (secrets, keys and certificates alike). */
interface ListedVersion {
  readonly version?: string;
  readonly enabled?: boolean;
  readonly createdOn?: Date;
}

/**
 * Reads a version listing to the end (the SDK pager follows every `nextLink`), keeping what
 * history mounts need. An entry without a version id cannot be fetched and is skipped.
 */
export async function collectVersions(pages: AsyncIterable<ListedVersion>): Promise<VersionProperties[]> {
  const versions: VersionProperties[] = [];
  for await (const properties of pages) {
    if (!properties.version) continue;
    versions.push({
      version: properties.version,
      enabled: properties.enabled !== false,
      createdOn: properties.createdOn,
    });
  }
  return versions;
}

/**
 * Chooses the versions a history mount writes: enabled ones, newest first, starting at the
 * requested version (the newest for "" or "latest"), at most `count` of them.
 */
export function pickVersions(
  listed: readonly VersionProperties[],
  startVersion: string,
  count: number,
): VersionProperties[] {
  const created = (version: VersionProperties) => version.createdOn?.getTime() ?? 0;
  const enabled = listed.filter((version) => version.enabled).sort((a, b) => created(b) - created(a));
  const start = startVersion === "" || startVersion.toLowerCase() === "latest"
    ? 0
    : enabled.findIndex((version) => version.version === startVersion);
  if (start < 0) {
    throw new ObjectFormatError(
      `objectVersion ${startVersion} is not among the ${enabled.length} enabled versions of this object`,
    );
  }
  return enabled.slice(start, start + count);
}
