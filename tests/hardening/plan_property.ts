/**
 * What must hold for every Mount request, however hostile, on the provider's path before the
 * network (Mounter.plan): it is accepted, or rejected with InvalidMountConfigError (gRPC
 * InvalidArgument) and a message fit to show a user; an accepted request only writes paths the
 * driver writes. How long each input took is reported, not asserted: `deno task fuzz` holds the
 * slowest to {@link INPUT_TIME_BOUND_MS}; a test never asserts on time.
 */
import assert from "node:assert/strict";
import process from "node:process";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { InvalidMountConfigError } from "../../src/errors.ts";
import { Mounter } from "../../src/mount/mount.ts";
import { mountOptions, parseFlags } from "../../src/ops/flags.ts";
import { basePaths } from "../../src/mount/plan.ts";
import { silentLogger } from "../harness/logger.ts";
import { mountStatus } from "../../src/server/status.ts";
import { driverPathProblem } from "./driver_paths.ts";
import { CLOUD_FILE, FILE_MARK, type MountInput, SECRET_MARK } from "./mount_inputs.ts";

/**
 * The longest any one input may take to be judged in `deno task fuzz`, measured as the lesser of wall-clock time
 * and the process's CPU time, so neither a busy machine nor other workers inflate it. Real
 * requests take about a millisecond; the slowest generated ones (1,000 objects, or the most
 * YAML tokens allowed) a few hundred, and about two seconds with V8's interpreter only (`--lite-mode`).
 */
export const INPUT_TIME_BOUND_MS = 5_000;

/** The longest rejection message (docs/security.md: a gRPC status travels in an HTTP/2 trailer). */
const MAX_MESSAGE_LENGTH = 2048;

/** What judging one input found. */
export interface PlanOutcome {
  readonly accepted: boolean;
  readonly ms: number;
  /** The rejection message, for a rejected input. */
  readonly message?: string;
}

/** Judges one input through a Mounter built as the provider builds it, and checks the outcome. */
export function checkPlan(input: MountInput): PlanOutcome {
  const mounter = new Mounter({
    options: mountOptions(parseFlags([])),
    logger: silentLogger,
    readTextFile: (path) => {
      if (path === CLOUD_FILE) return input.cloudFile;
      throw new Deno.errors.NotFound(`No such file or directory (os error 2): readfile '${path}'`);
    },
  });
  const started = performance.now();
  const cpuStarted = process.cpuUsage();
  const elapsed = () => {
    const cpu = process.cpuUsage(cpuStarted);
    return Math.min(performance.now() - started, (cpu.user + cpu.system) / 1000);
  };
  let outcome: PlanOutcome;
  try {
    const plan = mounter.plan(input.request);
    outcome = { accepted: true, ms: elapsed() };
    checkAccepted(plan);
  } catch (error) {
    const ms = elapsed();
    if (error instanceof assert.AssertionError) throw error;
    if (!(error instanceof InvalidMountConfigError)) {
      throw new assert.AssertionError({
        message: `not an InvalidMountConfigError: ${(error as Error)?.stack ?? String(error)}`,
      });
    }
    checkMessage(error.message);
    assert.equal(mountStatus(error).code, GrpcStatus.INVALID_ARGUMENT);
    outcome = { accepted: false, ms, message: error.message };
  }
  return outcome;
}

/** A rejection message users can read: one bounded line, no dumps, no secret, no file content. */
export function checkMessage(message: string): void {
  assert.ok(message.trim().length > 0, "empty message");
  // deno-lint-ignore no-control-regex
  assert.ok(!/[\u0000-\u001f\u007f\u2028\u2029]/.test(message), `not one line: ${JSON.stringify(message)}`);
  assert.ok(message.isWellFormed(), "lone surrogate in message");
  assert.ok(message.length <= MAX_MESSAGE_LENGTH, `message of ${message.length} characters`);
  assert.ok(!/\[object \w+\]|at .*\.ts:\d+/.test(message), `raw dump: ${message.slice(0, 300)}`);
  assert.ok(!message.includes(SECRET_MARK), `secret echoed: ${message.slice(0, 300)}`);
  assert.ok(!message.includes(FILE_MARK), `file content echoed: ${message.slice(0, 300)}`);
}

function checkAccepted(plan: ReturnType<Mounter["plan"]>): void {
  assert.ok(plan.objects.length > 0, "accepted with no object");
  assert.ok(plan.config.defaultFileMode >= 0 && plan.config.defaultFileMode <= 0o777);
  assert.ok(/^[-A-Za-z0-9]{3,24}$/.test(plan.config.keyvaultName), "vault name");
  const written = new Set<string>();
  for (const { spec } of plan.objects) {
    if (spec.filePermission !== undefined) {
      assert.ok(spec.filePermission >= 0 && spec.filePermission <= 0o777);
    }
    checkAdditions(spec);
    for (const path of basePaths(spec)) {
      const problem = driverPathProblem(path);
      assert.equal(
        problem,
        undefined,
        `accepted ${JSON.stringify(path.slice(0, 200))}: the driver refuses it, ${problem}`,
      );
      assert.ok(!written.has(path), `two objects write ${JSON.stringify(path)}`);
      written.add(path);
    }
  }
  for (const path of written) {
    const parts = path.split("/");
    for (let i = 1; i < parts.length; i++) {
      const folder = parts.slice(0, i).join("/");
      assert.ok(!written.has(folder), `${JSON.stringify(folder)} is a file and a folder`);
    }
  }
}

/**
 * The objects additions keep their rules: an object's own vault is a vault name; a name
 * pattern is a secret pattern with nothing that names one version, and its folder is a path
 * the driver writes; JSON fields belong to one version of a secret.
 */
function checkAdditions(spec: ReturnType<Mounter["plan"]>["objects"][number]["spec"]): void {
  if (spec.keyvaultName !== undefined) {
    assert.ok(
      /^[-A-Za-z0-9]{3,24}$/.test(spec.keyvaultName),
      `object vault ${spec.keyvaultName.slice(0, 40)}`,
    );
  }
  assert.equal(spec.namePattern === true, spec.objectName.includes("*"), "a name with * is a pattern");
  if (spec.namePattern) {
    assert.equal(spec.objectType, "secret");
    assert.ok(/^[-A-Za-z0-9*]{1,127}$/.test(spec.objectName), `pattern ${spec.objectName.slice(0, 40)}`);
    assert.equal(spec.objectVersion, "");
    assert.equal(spec.objectVersionHistory, 0);
    assert.equal(spec.jmesPath, undefined);
    if (spec.objectAlias) assert.equal(driverPathProblem(spec.objectAlias), undefined, "pattern folder");
  }
  if (spec.jmesPath) {
    assert.equal(spec.objectType, "secret");
    assert.ok(spec.objectVersionHistory <= 1, "jmesPath with a history");
    for (const field of spec.jmesPath) assert.ok(field.path.length > 0 && field.path.length <= 1000);
  }
}

/** Running totals of a fuzz run. */
export class FuzzTally {
  inputs = 0;
  accepted = 0;
  rejected = 0;
  maxMs = 0;
  totalMs = 0;
  readonly slowest: number[] = [];
  /** Rejections by their first words, to show what the generators reach. */
  readonly reasons = new Map<string, number>();

  add(outcome: PlanOutcome): void {
    this.inputs++;
    if (outcome.accepted) this.accepted++;
    else this.rejected++;
    this.maxMs = Math.max(this.maxMs, outcome.ms);
    this.totalMs += outcome.ms;
    if (outcome.message) {
      const reason = outcome.message.replace(/[:,;(].*$/, "").replace(/\d+/g, "N").slice(0, 60);
      this.reasons.set(reason, (this.reasons.get(reason) ?? 0) + 1);
    }
  }
}
