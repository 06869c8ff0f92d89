import { certificateType } from "./certificate.ts";
import { keyType } from "./key.ts";
import type { ObjectType } from "./object_type.ts";
import { secretType } from "./secret.ts";

/** Every object type by its `objectType` name (exact, case-sensitive). */
export const OBJECT_TYPES: ReadonlyMap<string, ObjectType> = new Map<string, ObjectType>(
  [secretType as ObjectType, keyType as ObjectType, certificateType as ObjectType].map((
    type,
  ) => [type.type, type]),
);
