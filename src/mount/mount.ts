import { Throttles } from "../concurrency/throttle.ts";
import { mapLimited } from "../concurrency/limiter.ts";
import { InvalidMountConfigError } from "../errors.ts";
import { objectLabel } from "../config/object_spec.ts";
import { conflictingPaths, filePathProblem } from "../config/paths.ts";
import { CredentialCache } from "../identity/credentials.ts";
import { describeAzureError, DescribedError, describeThrottle, ThrottledError } from "../keyvault/errors.ts";
import { guardDeadline, type ThrottleGuard } from "../keyvault/throttle_guard.ts";
import { ObjectError } from "./object_error.ts";
import { VaultAccess, VaultClients } from "../keyvault/vault_clients.ts";
import { vaultEndpoint } from "../net/throttle_policy.ts";
import { objectVaultUrl } from "../config/mount_config.ts";
import { ObjectFormatError, type OutputFile } from "../objects/object_type.ts";
import { type MountReads, ObjectReader } from "./object_reader.ts";
import { listingFailure, matchedSecretFailure, matchingNames } from "./name_pattern_objects.ts";
import { pickVersions } from "../objects/versions.ts";
import type { Logger } from "../log/logger.ts";
import type {
  MountFile,
  MountObserver,
  MountRequestFields,
  MountResult,
  ObjectVersion,
} from "./mount_types.ts";
import { ProviderOptions } from "./mount_types.ts";
import { conflictMessage, MountPlan, planMount, PlannedObject } from "./plan.ts";
import {
  DRIVER_MAX_RESPONSE_BYTES,
  KUBERNETES_SECRET_MAX_BYTES,
  mountResponseSize,
  ResponseTooLargeError,
  responseTooLargeMessage,
} from "./response_size.ts";

/** How many of one mount's warnings are logged one by one. */
const LOGGED_WARNINGS = 20;

/**
 * Token requests in flight to one Entra authority at most: as many as the pooled connections
 * per origin. Entra's limits are per tenant and far above one node's token requests (one per
 * identity and hour); the governor is there for its 429s.
 */
const ENTRA_CONCURRENCY = 64;

/** What the mount pipeline is built from; one instance serves every mount of the process. */
export interface MounterDependencies {
  readonly options: ProviderOptions;
  readonly logger: Logger;
  /** Reads a cloud environment file (AzureStackCloud). */
  readonly readTextFile: (path: string) => string;
  readonly observer?: MountObserver;
}

/** The files one object produced and the version they came from. */
interface ObjectOutput {
  readonly files: MountFile[];
  readonly versions: ObjectVersion[];
}

/**
 * One Mount, top to bottom: plan (decode, validate, resolve identity) → fetch every object
 * concurrently within a bound → format → files and versions. All or nothing: the first
 * failing object fails the mount and no file is returned.
 */
export class Mounter {
  readonly #throttles: Throttles;
  readonly #entraThrottles: Throttles;
  readonly #vaults: VaultClients;
  readonly #reader: ObjectReader;

  constructor(private readonly deps: MounterDependencies) {
    this.#throttles = new Throttles({ concurrency: deps.options.vaultConcurrency, observer: deps.observer });
    this.#vaults = new VaultClients(new CredentialCache(), this.#throttles);
    const observer = deps.observer;
    this.#entraThrottles = new Throttles({
      concurrency: ENTRA_CONCURRENCY,
      observer: {
        throttled: (authority) => observer?.entraThrottled?.(authority),
        waited: (authority, seconds) => observer?.entraWaited?.(authority, seconds),
      },
    });
    this.#reader = new ObjectReader(deps.options.objectCacheTtlMs, observer);
  }

  /** Validates a request without calling Key Vault; throws InvalidMountConfigError. */
  plan(request: MountRequestFields): MountPlan {
    const { options, readTextFile } = this.deps;
    return planMount(request, {
      defaultCloudName: options.defaultCloudName,
      nmiAddress: options.nmiAddress,
      tokenProxyUrl: options.tokenProxyUrl,
      sniName: options.sniName,
      entraThrottles: this.#entraThrottles,
      readTextFile,
    });
  }

  /** Performs one mount; `signal` carries the call's deadline and cancellation. */
  async mount(request: MountRequestFields, signal: AbortSignal): Promise<MountResult> {
    const plan = this.plan(request);
    // Every mount logs its warnings: a bounded number, so a careless (or hostile)
    // SecretProviderClass cannot flood the node's logs.
    for (const warning of plan.warnings.slice(0, LOGGED_WARNINGS)) {
      this.deps.logger.warn(warning.message, { where: warning.where, pod: podOf(plan) });
    }
    if (plan.warnings.length > LOGGED_WARNINGS) {
      this.deps.logger.warn(`${plan.warnings.length - LOGGED_WARNINGS} more warnings about this mount`, {
        pod: podOf(plan),
      });
    }
    const pod = plan.config.identity.pod;
    const reads = this.#reader.startMount(pod.uid);
    // All or nothing: once one object failed, the others' work (a token endpoint that is
    // down, asked once per object in turn) only delays the answer.
    const failed = new AbortController();
    const vaults = this.#vaultsOf(plan);
    const throttle = this.#throttleGuard(plan, vaults, signal);
    const objectSignal = AbortSignal.any([signal, failed.signal, throttle.signal]);
    const outputs = await mapLimited(
      plan.objects,
      this.deps.options.objectConcurrency,
      (object, i) =>
        this.#mountObject(plan, vaults[i], object, objectSignal, reads).catch((error) => {
          failed.abort(error);
          throw error;
        }),
    ).finally(() => {
      throttle.stop();
      this.#reader.endMount(pod.uid);
    });
    if (reads.cached > 0) {
      this.deps.logger.debug(5, "mount answered from the object cache", {
        pod: podOf(plan),
        cached: reads.cached,
        objects: plan.objects.length,
      });
    }
    const files = outputs.flatMap((output) => output.files);
    const conflict = conflictingPaths(files.map((file) => file.path));
    if (conflict) throw new InvalidMountConfigError(conflictMessage(conflict));
    const result = { files, objectVersions: uniqueVersions(outputs.flatMap((output) => output.versions)) };
    this.#checkSize(plan, result);
    return result;
  }

  /**
   * Watches the throttles of every vault the mount reads (objects may name their own
   * keyvaultName) and of its identity's Entra authority, so that a throttle outlasting the
   * mount's deadline fails it at once.
   */
  #throttleGuard(plan: MountPlan, objectVaults: readonly VaultAccess[], signal: AbortSignal): ThrottleGuard {
    const vaultHosts = new Set(
      [...new Set(objectVaults)].map((vault) => vaultEndpoint(new URL(vault.vaultUrl))),
    );
    const vaults = [...vaultHosts].map((endpoint) => ({
      service: "Key Vault" as const,
      throttles: this.#throttles,
      endpoint,
    }));
    const authority = plan.identity.authority;
    const entra = authority
      ? [{ service: "Entra ID" as const, throttles: this.#entraThrottles, endpoint: authority }]
      : [];
    return guardDeadline(signal, [...vaults, ...entra]);
  }

  /**
   * Refuses a response the driver would refuse (so the pod's event says why and which files),
   * and warns about one too large to sync into a Kubernetes Secret.
   */
  #checkSize(plan: MountPlan, result: MountResult): void {
    const size = mountResponseSize(result);
    const limit = this.deps.options.maxResponseBytes ?? DRIVER_MAX_RESPONSE_BYTES;
    if (limit > 0 && size > limit) {
      throw new ResponseTooLargeError(responseTooLargeMessage(result, size, limit));
    }
    if (size > KUBERNETES_SECRET_MAX_BYTES) {
      this.deps.logger.warn(
        "the mount's files are larger than a Kubernetes Secret can hold (1 MiB): syncing them with secretObjects will fail",
        { pod: podOf(plan), bytes: size, files: result.files.length },
      );
    }
  }

  async #mountObject(
    plan: MountPlan,
    vault: VaultAccess,
    object: PlannedObject,
    signal: AbortSignal,
    reads: MountReads,
  ): Promise<ObjectOutput> {
    const { spec } = object;
    const started = performance.now();
    try {
      const output = spec.namePattern
        ? await this.#mountPattern(plan, vault, object, signal, reads)
        : spec.objectVersionHistory > 1
        ? await this.#mountHistory(plan, vault, object, signal, reads)
        : await this.#mountOne(plan, vault, object, signal, reads);
      this.#observe(object, started);
      return output;
    } catch (error) {
      const failure = error instanceof ObjectFormatError
        ? { kind: "unsupported" as const, text: error.message }
        : error instanceof DescribedError
        ? error.failure
        : signal.reason instanceof ThrottledError
        ? describeThrottle(signal.reason.service, signal.reason.endpoint, signal.reason.throttle)
        : describeAzureError(error, signal);
      const objectError = new ObjectError(objectLabel(spec), failure);
      this.#observe(object, started, objectError.message);
      throw objectError;
    }
  }

  async #mountOne(
    plan: MountPlan,
    vault: VaultAccess,
    object: PlannedObject,
    signal: AbortSignal,
    reads: MountReads,
  ): Promise<ObjectOutput> {
    const { spec } = object;
    const fetched = await this.#reader.get(
      vault,
      object.type,
      spec.objectName,
      spec.objectVersion,
      signal,
      reads,
    );
    const version = { id: `${spec.objectType}/${spec.objectName}`, version: fetched.version };
    const files = this.#format(plan, object, fetched.value, spec.fileName, version);
    return { files, versions: [version] };
  }

  async #mountHistory(
    plan: MountPlan,
    vault: VaultAccess,
    object: PlannedObject,
    signal: AbortSignal,
    reads: MountReads,
  ): Promise<ObjectOutput> {
    const { spec, type } = object;
    const listed = await this.#reader.versions(vault, type, spec.objectName, signal);
    const chosen = pickVersions(listed, spec.objectVersion, spec.objectVersionHistory);
    const fetched = await mapLimited(
      chosen,
      this.deps.options.objectConcurrency,
      (version) => this.#reader.get(vault, type, spec.objectName, version.version, signal, reads),
    );
    const versions = fetched.map((item, i) => ({
      id: `${spec.objectType}/${spec.objectName}/${i}`,
      version: item.version,
    }));
    const files = fetched.flatMap((item, i) =>
      this.#format(plan, object, item.value, `${spec.fileName}/${i}`, versions[i])
    );
    return { files, versions };
  }

  /**
   * The clients of each object's vault (its own keyvaultName's, or the class's), in the order of
   * the plan's objects: one VaultAccess per distinct vault of the mount.
   */
  #vaultsOf(plan: MountPlan): VaultAccess[] {
    const byUrl = new Map<string, VaultAccess>();
    return plan.objects.map((object) => {
      const url = objectVaultUrl(plan.config, object.spec);
      let vault = byUrl.get(url);
      if (!vault) byUrl.set(url, vault = this.#vaults.access(url, plan.identity));
      return vault;
    });
  }

  /**
   * An objectName pattern: one listing of the vault's secrets (every page), then each enabled
   * match mounted as a named secret would be, as `<alias>/<name>` (or `<name>`), with the
   * object version `secret/<name>`.
   */
  async #mountPattern(
    plan: MountPlan,
    vault: VaultAccess,
    object: PlannedObject,
    signal: AbortSignal,
    reads: MountReads,
  ): Promise<ObjectOutput> {
    const { spec, type } = object;
    const listed = await this.#reader.list(vault, type, signal).catch((error) => {
      throw new DescribedError(listingFailure(error, signal));
    });
    const names = matchingNames(listed, spec.objectName, spec.keyvaultName || plan.config.keyvaultName);
    const outputs = await mapLimited(names, this.deps.options.objectConcurrency, (name) => {
      const fileName = spec.objectAlias ? `${spec.objectAlias}/${name}` : name;
      const matched = { ...spec, objectName: name, fileName, namePattern: false };
      return this.#mountOne(plan, vault, { spec: matched, type }, signal, reads).catch((error) => {
        throw matchedSecretFailure(name, error, signal);
      });
    });
    return {
      files: outputs.flatMap((output) => output.files),
      versions: outputs.flatMap((output) => output.versions),
    };
  }

  #format(
    plan: MountPlan,
    object: PlannedObject,
    value: unknown,
    path: string,
    source: ObjectVersion,
  ): MountFile[] {
    const { spec, type } = object;
    const mode = spec.filePermission ?? plan.config.defaultFileMode;
    const context = {
      constructPemChain: this.deps.options.constructPemChain,
      writeCertAndKeyInSeparateFiles: this.deps.options.writeCertAndKeyInSeparateFiles,
      warn: (message: string) =>
        this.deps.logger.warn(message, { object: objectLabel(spec), pod: podOf(plan) }),
    };
    return type.toFiles(spec, value, context).map((file: OutputFile) => {
      // A file of its own (a jmesPath alias) was checked with the plan.
      if (file.path !== undefined) return { path: file.path, mode, contents: file.contents, source };
      // A suffix (`.crt`, `.key`) can make a name the plan accepted too long for the driver.
      const problem = file.suffix === "" ? undefined : filePathProblem(path + file.suffix);
      if (problem) throw new ObjectFormatError(problem);
      return { path: path + file.suffix, mode, contents: file.contents, source };
    });
  }

  #observe(object: PlannedObject, started: number, error?: string): void {
    this.deps.observer?.keyVaultRequest({
      objectType: object.spec.objectType,
      objectName: object.spec.objectName,
      seconds: (performance.now() - started) / 1000,
      error,
    });
  }
}

function uniqueVersions(versions: ObjectVersion[]): ObjectVersion[] {
  const seen = new Set<string>();
  return versions.filter((version) => {
    const key = `${version.id}\u0000${version.version}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function podOf(plan: MountPlan): string {
  const { pod } = plan.config.identity;
  return `${pod.namespace}/${pod.name}`;
}
