import { InvalidMountConfigError } from "../config/errors.ts";
import type { ConfigEnvironment, MountConfig } from "../config/mount_config.ts";
import { requireMountConfig } from "../config/mount_config.ts";
import { objectLabel, ObjectSpec } from "../config/object_spec.ts";
import { conflictingPaths } from "../config/paths.ts";
import type { ConfigProblem } from "../config/problems.ts";
import { decodeMountRequest } from "../config/request.ts";
import type { IdentityContext, ResolvedIdentity } from "../identity/identity_mode.ts";
import { resolveIdentity } from "../identity/modes.ts";
import type { ObjectType } from "../objects/object_type.ts";
import { OBJECT_TYPES } from "../objects/types.ts";
import type { MountRequestFields } from "./mount_types.ts";

/** One object of a mount with the type strategy that will fetch and format it. */
export interface PlannedObject {
  readonly spec: ObjectSpec;
  readonly type: ObjectType;
}

/** Everything a mount will do, decided before any network call. */
export interface MountPlan {
  readonly config: MountConfig;
  readonly warnings: readonly ConfigProblem[];
  readonly identity: ResolvedIdentity;
  readonly objects: readonly PlannedObject[];
}

/**
 * Decodes and validates a mount request completely — parameters, objects, types, paths and
 * identity inputs — so that every bad input fails here, before Key Vault or Entra is called.
 */
export function planMount(
  request: MountRequestFields,
  environment: ConfigEnvironment & IdentityContext,
): MountPlan {
  const decoded = decodeMountRequest(request);
  const { config, warnings } = requireMountConfig(decoded, environment);
  if (config.objects.length === 0) {
    throw new InvalidMountConfigError(
      "objects lists no object: add at least one entry under array: (the driver fails a mount that returns no object version)",
    );
  }
  const objects = config.objects.map(planObject);
  checkPlannedPaths(objects);
  const identity = resolveIdentity(config, environment);
  return { config, warnings, identity, objects };
}

function planObject(spec: ObjectSpec): PlannedObject {
  const type = OBJECT_TYPES.get(spec.objectType);
  const fail = (message: string) =>
    new InvalidMountConfigError(`failed to get ${objectLabel(spec)}: ${message}`);
  if (!type) {
    throw fail(`invalid objectType ${JSON.stringify(spec.objectType)}, should be secret, key, or cert`);
  }
  const problem = type.checkSpec(spec);
  if (problem) throw fail(problem);
  return { spec, type };
}

/** The file paths an object certainly produces (suffixes such as `.crt` come later). */
export function basePaths(spec: ObjectSpec): string[] {
  if (spec.objectVersionHistory <= 1) return [spec.fileName];
  return Array.from({ length: spec.objectVersionHistory }, (_, i) => `${spec.fileName}/${i}`);
}

function checkPlannedPaths(objects: readonly PlannedObject[]): void {
  const conflict = conflictingPaths(objects.flatMap(({ spec }) => basePaths(spec)));
  if (conflict) throw new InvalidMountConfigError(conflictMessage(conflict));
}

/** The message for two objects whose files collide. */
export function conflictMessage([first, second]: [string, string]): string {
  return first === second
    ? `two objects write the same file ${JSON.stringify(first)}: give one of them another objectAlias`
    : `${JSON.stringify(first)} is both a file and the folder of ${
      JSON.stringify(second)
    }: give one of them another objectAlias`;
}
