/** The output formats an object may ask for. */
export type ObjectFormat = "pem" | "pfx";
/** How a secret's value is decoded before it is written. */
export type ObjectEncoding = "utf-8" | "base64" | "hex";

/** One entry of the `objects` parameter, trimmed, defaulted and validated. */
export interface ObjectSpec {
  /** Position in the `array:` list, for messages. */
  readonly index: number;
  readonly objectName: string;
  readonly objectAlias: string;
  readonly objectType: string;
  /** The requested version; empty means the current one. */
  readonly objectVersion: string;
  /** How many versions to write; 0 and 1 mean one file. */
  readonly objectVersionHistory: number;
  readonly objectFormat: ObjectFormat;
  readonly objectEncoding: ObjectEncoding;
  /** Whether `objectEncoding` was written at all: only secrets accept it, even as `utf-8`. */
  readonly objectEncodingSet?: boolean;
  /** The file mode from `filePermission`, when set. */
  readonly filePermission?: number;
  /** The alias, or the name when there is no alias: the path of the file. */
  readonly fileName: string;
}

/** The words every object error starts with, naming the object as the Go provider does. */
export function objectLabel(spec: Pick<ObjectSpec, "objectType" | "objectName" | "objectVersion">): string {
  return `objectType:${spec.objectType}, objectName:${spec.objectName}, objectVersion:${spec.objectVersion}`;
}
