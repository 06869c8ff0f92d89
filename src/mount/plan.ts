import { InvalidMountConfigError } from "../errors.ts";
import type { ConfigEnvironment, MountConfig } from "../config/mount_config.ts";
import { readMountConfig } from "../config/mount_config.ts";
import { objectLabel, ObjectSpec } from "../config/object_spec.ts";
import { filePathProblem, PathSet } from "../config/paths.ts";
import { type ConfigProblem, ProblemList } from "../config/problems.ts";
import { clip } from "../text/readable_text.ts";
import { decodeMountRequest } from "../config/request.ts";
import { orList } from "../text/or_list.ts";
import { suggestName } from "../text/suggest.ts";
import type { IdentityContext, ResolvedIdentity } from "../identity/identity_mode.ts";
import type { ObjectType } from "../objects/object_type.ts";
import { OBJECT_TYPES } from "../objects/registry.ts";
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

/** What inspecting a mount request found: every problem, and the plan when there is no error. */
export interface MountInspection {
  /** Set only when no problem is an error. */
  readonly plan?: MountPlan;
  /** Errors and warnings, each with where it was found. */
  readonly problems: readonly ConfigProblem[];
  /** Every object entry that parsed, planned or not (to list the files a mount would write). */
  readonly objects: readonly ObjectSpec[];
  /** Object entries with errors in their fields; their files are where they would be written. */
  readonly rejectedObjects: readonly ObjectSpec[];
  /** The identity, resolved whenever the parameters allow it, even if objects have errors. */
  readonly identity?: ResolvedIdentity;
}

/**
 * Decodes and validates a mount request completely — parameters, objects, types, paths and
 * identity inputs — so that every bad input fails here, before Key Vault or Entra is called.
 * Throws InvalidMountConfigError listing every error.
 */
export function planMount(
  request: MountRequestFields,
  environment: ConfigEnvironment & IdentityContext,
): MountPlan {
  const { plan, problems } = inspectMount(request, environment);
  if (plan) return plan;
  const errors = problems.filter((problem) => problem.severity === "error");
  throw new InvalidMountConfigError(errorSummary(errors.map((problem) => problem.message)));
}

/** How many errors one message lists, and how long each may be, so that several fit in it. */
const LISTED_ERRORS = 8;
const LISTED_ERROR_LENGTH = 400;

/** The first errors, each cut to a length that leaves room for the others, and how many more. */
function errorSummary(messages: readonly string[]): string {
  const listed = messages.slice(0, LISTED_ERRORS).map((message) => clip(message, LISTED_ERROR_LENGTH));
  const more = messages.length - listed.length;
  return listed.join("; ") + (more > 0 ? `; and ${more} more ${more === 1 ? "error" : "errors"}` : "");
}

/**
 * The checks of {@link planMount}, collected instead of thrown: the provider plans with it, and
 * `validate` reports its problems, so both judge a SecretProviderClass the same way. Only a
 * request whose JSON fields do not decode throws (InvalidMountConfigError).
 */
export function inspectMount(
  request: MountRequestFields,
  environment: ConfigEnvironment & IdentityContext,
): MountInspection {
  const decoded = decodeMountRequest(request);
  const read = readMountConfig(decoded, environment);
  const problems = new ProblemList();
  problems.items.push(...read.problems);
  const objectErrors = problems.errors.some((problem) => problem.where.startsWith("objects"));
  if (read.objects.length === 0 && !objectErrors) {
    problems.error(
      "objects.array",
      "objects lists no object: add at least one entry under array: (the driver fails a mount that returns no object version)",
    );
  }
  const objects = planObjects(read.objects, problems);
  // Entries with errors are never planned, but every problem of every object is reported at once.
  planObjects(read.rejectedObjects, problems);
  checkPlannedPaths(read.objects, problems);
  const identity = read.config ? identityOf(read.config, environment, problems) : undefined;
  const result = {
    problems: problems.items,
    objects: read.objects,
    rejectedObjects: read.rejectedObjects,
    identity,
  };
  if (problems.errors.length > 0 || !read.config || !identity) return result;
  return { ...result, plan: { config: read.config, warnings: problems.warnings, identity, objects } };
}

function planObjects(specs: readonly ObjectSpec[], problems: ProblemList): PlannedObject[] {
  const planned: PlannedObject[] = [];
  for (const spec of specs) {
    if (spec.objectType === "") continue; // reported as required already
    const where = `objects.array[${spec.index}]`;
    const type = OBJECT_TYPES.get(spec.objectType);
    if (!type) {
      const known = [...OBJECT_TYPES.keys()];
      const suggestion = suggestName(spec.objectType, known);
      const hint = suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : "";
      problems.error(
        `${where}.objectType`,
        `failed to get ${objectLabel(spec)}: invalid objectType ${
          JSON.stringify(spec.objectType)
        }, should be ${orList(known)}${hint}`,
        suggestion,
      );
      continue;
    }
    const problem = type.checkSpec(spec);
    if (problem) problems.error(where, `failed to get ${objectLabel(spec)}: ${problem}`);
    else planned.push({ spec, type });
  }
  return planned;
}

/**
 * The file paths an object certainly produces (suffixes such as `.crt` come later; a name
 * pattern's files are known only once the vault is listed).
 */
export function basePaths(spec: ObjectSpec): string[] {
  return [...ownPaths(spec), ...(spec.jmesPath ?? []).map((field) => field.objectAlias)];
}

/** The object's own files: its name, or one per version of a history. */
function ownPaths(spec: ObjectSpec): string[] {
  if (spec.namePattern) return [];
  if (spec.objectVersionHistory <= 1) return [spec.fileName];
  return Array.from({ length: spec.objectVersionHistory }, (_, i) => `${spec.fileName}/${i}`);
}

/** Reports each object whose files collide with an earlier object's, at its alias (or name). */
function checkPlannedPaths(specs: readonly ObjectSpec[], problems: ProblemList): void {
  const earlier = new PathSet();
  for (const spec of specs) {
    const paths = ownPaths(spec);
    const field = spec.objectAlias ? "objectAlias" : "objectName";
    // The name itself was checked; the files of a history (`name/0`…) are one element longer.
    const problem = paths.map(filePathProblem).find((found) => found);
    if (problem) {
      problems.error(
        `objects.array[${spec.index}].${field}`,
        `failed to get ${objectLabel(spec)}: ${problem} (with objectVersionHistory the files are ${
          JSON.stringify(`${spec.fileName}/0`)
        } and so on)`,
      );
      continue;
    }
    const conflict = paths.map((path) => earlier.conflictWith(path)).find((found) => found);
    if (conflict) {
      problems.error(`objects.array[${spec.index}].${field}`, conflictMessage(conflict));
      continue;
    }
    for (const path of paths) earlier.add(path);
    checkJsonFieldPaths(spec, earlier, problems);
  }
}

/** Adds the files of an object's `jmesPath` fields, reporting each that collides at its alias. */
function checkJsonFieldPaths(spec: ObjectSpec, earlier: PathSet, problems: ProblemList): void {
  for (const [index, field] of (spec.jmesPath ?? []).entries()) {
    const conflict = earlier.add(field.objectAlias);
    if (!conflict) continue;
    problems.error(
      `objects.array[${spec.index}].jmesPath[${index}].objectAlias`,
      `failed to get ${objectLabel(spec)}: jmesPath[${index}] (path ${JSON.stringify(field.path)}): ${
        conflictMessage(conflict)
      }`,
    );
  }
}

/** The message for two objects whose files collide. */
export function conflictMessage([first, second]: [string, string]): string {
  return first === second
    ? `two objects write the same file ${JSON.stringify(first)}: give one of them another objectAlias`
    : `${JSON.stringify(first)} is both a file and the folder of ${
      JSON.stringify(second)
    }: give one of them another objectAlias`;
}

function identityOf(
  config: MountConfig,
  context: IdentityContext,
  problems: ProblemList,
): ResolvedIdentity | undefined {
  try {
    const identity = config.identityMode.resolve(config.identity, context);
    for (const warning of identity.warnings ?? []) problems.warning("identity", warning);
    return identity;
  } catch (error) {
    if (!(error instanceof InvalidMountConfigError)) throw error;
    problems.error("identity", error.message);
    return undefined;
  }
}
