import type { VersionProperties } from "./object_type.ts";

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
