/** The output formats an object may ask for. */
export type ObjectFormat = "pem" | "pfx";
/** How a secret's value is decoded before it is written. */
export type ObjectEncoding = "utf-8" | "base64" | "hex";

/** One JSON field of a secret written as a file of its own (an entry of `jmesPath`). */
export interface JsonField {
  /** A JMESPath expression, evaluated on the secret's value parsed as JSON. */
  readonly path: string;
  /** The file the result is written to. */
  readonly objectAlias: string;
}

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
  /** The vault this object is read from instead of the class's (`keyvaultName`); "" for the class's. */
  readonly keyvaultName?: string;
  /** JSON fields of the secret written as files of their own (`jmesPath`). */
  readonly jmesPath?: readonly JsonField[];
  /**
   * Set when objectName is a pattern (`*`): every enabled secret whose name matches, each
   * in a file named after it, inside the folder objectAlias when there is one.
   */
  readonly namePattern?: boolean;
}

/** The words every object error starts with, naming the object as the Go provider does. */
export function objectLabel(
  spec: Pick<ObjectSpec, "objectType" | "objectName" | "objectVersion" | "keyvaultName">,
): string {
  // The vault is named only when it is the object's own: a Go provider class reads as before.
  const vault = spec.keyvaultName ? `, keyvaultName:${spec.keyvaultName}` : "";
  return `objectType:${spec.objectType}, objectName:${spec.objectName}, objectVersion:${spec.objectVersion}${vault}`;
}
