import {
  AZURE_STACK_CLOUD,
  CloudEnvironment,
  cloudFromEnvironmentFile,
  isCloudName,
  wellKnownCloud,
} from "../cloud/clouds.ts";
import { InvalidMountConfigError } from "../errors.ts";
import type { IdentityMode, IdentityRequest } from "../identity/identity_mode.ts";
import { IDENTITY_PARAMETERS, IDENTITY_SWITCHES, selectIdentityMode } from "../identity/registry.ts";
import { parseGoBool } from "../text/go_bool.ts";
import { ObjectSpec } from "./object_spec.ts";
import { parseObjects } from "./objects_parameter.ts";
import { ConfigProblem, ProblemList } from "./problems.ts";
import { DecodedMountRequest } from "./request.ts";
import { orList } from "../text/or_list.ts";
import { suggestName } from "../text/suggest.ts";
import { vaultNameProblem, vaultUrl } from "./vault_name.ts";

/** Pod-info keys the driver adds to the attributes. */
export const POD_NAME = "csi.storage.k8s.io/pod.name";
export const POD_NAMESPACE = "csi.storage.k8s.io/pod.namespace";
const POD_UID = "csi.storage.k8s.io/pod.uid";
export const SERVICE_ACCOUNT_TOKENS = "csi.storage.k8s.io/serviceAccount.tokens";

/**
 * The SecretProviderClass parameters this provider reads (keys are case-sensitive): its own,
 * then those the identity modes declare.
 */
const PARAMETERS: readonly string[] = [
  "keyvaultName",
  "tenantID",
  "tenantId",
  "cloudName",
  "cloudEnvFileName",
  "objects",
  ...IDENTITY_SWITCHES,
  ...IDENTITY_PARAMETERS,
];

/** Keys the driver or Kubernetes puts in the attributes that are not ours to judge. */
const FOREIGN_KEYS = ["secretProviderClass", "providerName"];

/** Everything one mount needs, validated; nothing after this parses the request again. */
export interface MountConfig {
  readonly keyvaultName: string;
  /** `https://<vault>.<cloud suffix>` */
  readonly vaultUrl: string;
  readonly cloud: CloudEnvironment;
  /** The identity mode the parameters select, and what it is handed to resolve the identity. */
  readonly identityMode: IdentityMode;
  readonly identity: IdentityRequest;
  readonly objects: readonly ObjectSpec[];
  /** The mode for files whose object sets no filePermission. */
  readonly defaultFileMode: number;
}

/**
 * The URL of the vault an object is read from: its own `keyvaultName` when it has one (same
 * cloud, same identity), else the class's.
 */
export function objectVaultUrl(config: MountConfig, spec: ObjectSpec): string {
  return spec.keyvaultName ? vaultUrl(spec.keyvaultName, config.cloud.keyVaultDnsSuffix) : config.vaultUrl;
}

/** What reading a config needs from outside: the default cloud and a file reader. */
export interface ConfigEnvironment {
  /** The `--cloud-name` flag. */
  readonly defaultCloudName: string;
  /** Reads a cloud environment file (AzureStackCloud); throws when it cannot. */
  readonly readTextFile: (path: string) => string;
}

/** A config and the problems found while reading it (warnings only when it is set). */
export interface ReadConfigResult {
  readonly config?: MountConfig;
  readonly problems: readonly ConfigProblem[];
  /**
   * The object entries that are valid on their own, even when other parameters are not, so
   * that later checks (types, paths) can still judge them and report every problem at once.
   */
  readonly objects: readonly ObjectSpec[];
  /**
   * The object entries that have errors of their own but could be read as fields (a bad field
   * read as its default): later checks judge their other fields too, and `validate` knows
   * their files. Never mounted.
   */
  readonly rejectedObjects: readonly ObjectSpec[];
}

/** Reads a decoded mount request into a MountConfig, collecting every problem. */
export function readMountConfig(
  request: DecodedMountRequest,
  environment: ConfigEnvironment,
): ReadConfigResult {
  const problems = new ProblemList();
  const attributes = request.attributes;
  const get = (key: string): string => (attributes[key] ?? "").trim();
  warnUnknownParameters(attributes, problems);

  const podName = get(POD_NAME);
  if (podName === "") problems.error(POD_NAME, "pod name is not provided");
  const podNamespace = get(POD_NAMESPACE);
  if (podNamespace === "") problems.error(POD_NAMESPACE, "pod namespace is not provided");

  const flag = (name: string): boolean => {
    try {
      return parseGoBool(name, get(name));
    } catch (error) {
      problems.error(name, (error as Error).message);
      return false;
    }
  };
  const switchesOn = IDENTITY_SWITCHES.filter(flag);
  checkOneIdentityMode(switchesOn, problems);
  const identityParameters = Object.fromEntries(IDENTITY_PARAMETERS.map((name) => [name, get(name)]));

  const keyvaultName = get("keyvaultName");
  checkVaultName(keyvaultName, problems);
  const tenantId = get("tenantID") || get("tenantId");
  warnOldTenantSpelling(get("tenantID"), get("tenantId"), problems);
  if (tenantId === "") problems.error("tenantID", "tenantId is not provided");
  else if (!/^[0-9A-Za-z.-]+$/.test(tenantId)) {
    problems.error(
      "tenantID",
      `tenantID ${JSON.stringify(tenantId)} may only contain letters, digits, '-' and '.'`,
    );
  }
  const cloud = readCloud(
    get("cloudName") || environment.defaultCloudName,
    get("cloudEnvFileName"),
    environment,
    problems,
  );

  const objectsText = attributes["objects"] ?? "";
  if (objectsText.trim() === "") problems.error("objects", "objects is not set");
  const rejectedObjects: ObjectSpec[] = [];
  const objects = objectsText.trim() === "" ? [] : parseObjects(objectsText, problems, rejectedObjects);

  if (problems.errors.length > 0 || !cloud) return { problems: problems.items, objects, rejectedObjects };
  return {
    problems: problems.items,
    objects,
    rejectedObjects,
    config: {
      keyvaultName,
      vaultUrl: vaultUrl(keyvaultName, cloud.keyVaultDnsSuffix),
      cloud,
      identityMode: selectIdentityMode(switchesOn, identityParameters),
      identity: {
        tenantId,
        cloud,
        parameters: identityParameters,
        secrets: request.secrets,
        serviceAccountTokens: get(SERVICE_ACCOUNT_TOKENS),
        pod: { name: podName, namespace: podNamespace, uid: get(POD_UID) },
      },
      objects,
      defaultFileMode: request.permission,
    },
  };
}

/** The Go provider's rule and words: at most one identity mode may be switched on. */
function checkOneIdentityMode(enabled: readonly string[], problems: ProblemList): void {
  if (enabled.length > 1) {
    problems.error(
      enabled[1],
      `only one identity mode can be enabled at a time: ${enabled.join(" and ")} are ${
        enabled.length === 2 ? "both" : "all"
      } enabled ` +
        `(choose one of ${orList(IDENTITY_SWITCHES)})`,
    );
  }
}

function checkVaultName(name: string, problems: ProblemList): void {
  const problem = vaultNameProblem(name);
  if (problem) problems.error("keyvaultName", problem.message, problem.suggestion);
}

function readCloud(
  name: string,
  fileName: string,
  environment: ConfigEnvironment,
  problems: ProblemList,
): CloudEnvironment | undefined {
  try {
    if (name.toUpperCase() !== AZURE_STACK_CLOUD) return wellKnownCloud(name);
    if (fileName === "") {
      throw new InvalidMountConfigError(
        "cloudName AzureStackCloud is not valid, error: cloudEnvFileName must name the cloud's environment file",
      );
    }
    return cloudFromEnvironmentFile(fileName, readCloudFile(fileName, environment));
  } catch (error) {
    problems.error(isCloudName(name) ? "cloudEnvFileName" : "cloudName", (error as Error).message);
    return undefined;
  }
}

function readCloudFile(fileName: string, environment: ConfigEnvironment): string {
  try {
    return environment.readTextFile(fileName);
  } catch (error) {
    throw new InvalidMountConfigError(
      `cloudName AzureStackCloud is not valid, error: cannot read ${fileName}: ${(error as Error).message}`,
    );
  }
}

/**
 * Keys users put in `parameters` that are not misspellings of ours: the driver's own settings
 * and parameters the Go provider dropped. Each gets a hint instead of a "did you mean".
 */
const MISPLACED_KEYS: Readonly<Record<string, string>> = {
  secretObjects: "it belongs in spec.secretObjects, next to spec.parameters",
  provider: "it belongs in spec.provider, next to spec.parameters",
  enableSecretRotation: "rotation is a setting of the driver (--enable-secret-rotation)",
  rotationPollInterval: "rotation is a setting of the driver (--rotation-poll-interval)",
  syncSecret: "syncing to a Kubernetes Secret is a setting of the driver (syncSecret.enabled)",
  resourceGroup: "the vault is found by keyvaultName alone since 0.0.4",
  subscriptionId: "the vault is found by keyvaultName alone since 0.0.4",
};

/**
 * Unknown parameters warned about one by one (with a "did you mean"); any more are counted in
 * one warning. A SecretProviderClass may hold a hundred thousand of them, and each warning is
 * logged on every mount.
 */
const LISTED_UNKNOWN_PARAMETERS = 20;

function warnUnknownParameters(attributes: Readonly<Record<string, string>>, problems: ProblemList): void {
  let unknown = 0;
  for (const key of Object.keys(attributes)) {
    if (PARAMETERS.includes(key)) continue;
    if (key.startsWith("csi.storage.k8s.io/") || FOREIGN_KEYS.includes(key)) continue;
    if (Object.hasOwn(MISPLACED_KEYS, key)) {
      problems.warning(key, `parameter ${JSON.stringify(key)} is ignored: ${MISPLACED_KEYS[key]}`);
      continue;
    }
    if (++unknown > LISTED_UNKNOWN_PARAMETERS) continue;
    const suggestion = suggestName(key, PARAMETERS);
    const hint = suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : "";
    problems.warning(key, `unknown parameter ${JSON.stringify(key)} is ignored${hint}`, suggestion);
  }
  const more = unknown - LISTED_UNKNOWN_PARAMETERS;
  if (more > 0) problems.warning("parameters", `${more} more unknown parameters are ignored`);
}

/** `tenantId` still works (the Go provider's fallback), but says so, and says when it loses. */
function warnOldTenantSpelling(tenantID: string, tenantId: string, problems: ProblemList): void {
  if (tenantId === "") return;
  if (tenantID === "") {
    problems.warning("tenantId", 'parameter "tenantId" is deprecated; rename it "tenantID"', "tenantID");
  } else if (tenantID !== tenantId) {
    problems.warning(
      "tenantId",
      `parameter "tenantId" is ignored because "tenantID" is also set (${JSON.stringify(tenantID)} is used)`,
    );
  }
}
