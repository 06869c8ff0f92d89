/**
 * Builders for what the driver sends: SecretProviderClass parameters merged with the pod's
 * info keys, JSON-encoded as the driver encodes them.
 */
import { stringify } from "yaml";

/** One object entry of the `objects` parameter. */
export type ObjectEntry = Record<string, string | number | readonly Record<string, string>[]>;

/** The `objects` parameter: an `array:` of YAML strings, as users write it. */
export function objectsYaml(objects: readonly ObjectEntry[]): string {
  return stringify({ array: objects.map((object) => stringify(object)) });
}

/** Parameters of a mount; `objects` may be entries or a raw YAML string. */
export interface MountInput {
  readonly parameters?: Record<string, string>;
  readonly objects?: readonly ObjectEntry[] | string;
  readonly keyvaultName?: string;
  readonly tenantID?: string;
  readonly podName?: string;
  readonly podNamespace?: string;
  /**
   * The pod's uid; a new one for every request when absent, so that each request is a pod's
   * first mount (never answered from the object cache) unless a test remounts a pod on purpose.
   */
  readonly podUid?: string;
  /** nodePublishSecretRef data; `null` sends the literal `null`. */
  readonly secrets?: Record<string, string> | null;
  /** Decimal mode, as the driver sends it (420 = 0644). */
  readonly permission?: string;
}

/** The tenant of every test seed, and of a mount request that names none. */
export const TENANT = "72f988bf-86f1-41af-91ab-2d7cd011db47";

/** The service principal of the test seeds, as a nodePublishSecretRef holds it. */
export const SP = { clientid: "11111111-1111-1111-1111-111111111111", clientsecret: "sp-Secret~value.1" };

/** {@link SP} as an emulator seed declares it, named `sp-app`. */
export const SP_IDENTITY = {
  name: "sp-app",
  kind: "servicePrincipal",
  tenant: TENANT,
  clientId: SP.clientid,
  clientSecret: SP.clientsecret,
};

/** Builds a MountRequest's JSON fields as the driver would. */
export function mountRequest(input: MountInput): { attributes: string; secrets: string; permission: string } {
  const objects = typeof input.objects === "string" ? input.objects : objectsYaml(input.objects ?? []);
  const attributes: Record<string, string> = {
    keyvaultName: input.keyvaultName ?? "demo-vault",
    tenantID: input.tenantID ?? TENANT,
    objects,
    secretProviderClass: "azure-spc",
    "csi.storage.k8s.io/pod.name": input.podName ?? "nginx",
    "csi.storage.k8s.io/pod.namespace": input.podNamespace ?? "default",
    "csi.storage.k8s.io/pod.uid": input.podUid ?? crypto.randomUUID(),
    "csi.storage.k8s.io/serviceAccount.name": "default",
    "csi.storage.k8s.io/ephemeral": "true",
    ...(input.parameters ?? {}),
  };
  return {
    attributes: JSON.stringify(attributes),
    secrets: input.secrets === undefined ? "{}" : JSON.stringify(input.secrets),
    permission: input.permission ?? "420",
  };
}
