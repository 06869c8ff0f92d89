import type { ObjectType } from "./object_type.ts";
import { secretType } from "./secret.ts";

/** Every object type by its `objectType` name (exact, case-sensitive). */
export const OBJECT_TYPES: ReadonlyMap<string, ObjectType> = new Map<string, ObjectType>(
  [secretType as ObjectType].map((type) => [type.type, type]),
);
