import { POD_NAME, POD_NAMESPACE, SERVICE_ACCOUNT_TOKENS } from "../config/mount_config.ts";
import type { MountRequestFields } from "../mount/mount_types.ts";
import type { ServiceAccountTokens } from "./driver_tokens.ts";

/** What the driver knows of the pod it mounts for (`podInfoOnMount: true`). */
export interface PodInfo {
  readonly name: string;
  readonly namespace: string;
  readonly uid: string;
  readonly serviceAccountName: string;
}

/** Everything the driver puts into one MountRequest. */
export interface DriverMountInput {
  /** The SecretProviderClass's name: the pod's `secretProviderClass` volume attribute. */
  readonly secretProviderClass: string;
  /** `spec.parameters` of the SecretProviderClass. */
  readonly parameters: Readonly<Record<string, string>>;
  readonly pod: PodInfo;
  /** Tokens from the CSIDriver's `tokenRequests`; none when it has none. */
  readonly serviceAccountTokens?: ServiceAccountTokens;
  /** The nodePublishSecretRef Secret's data; `null` when the pod names none. */
  readonly secrets: Readonly<Record<string, string>> | null;
  /** The default file mode (the driver's is 0644). */
  readonly permission: number;
}

/**
 * The MountRequest the driver sends (v1.6.0 `NodePublishVolume`): `spec.parameters`, then the
 * volume context copied over them (the volume attribute and the pod-info keys), each of the
 * three fields JSON-encoded, `secrets` as the literal `null` when there is no secret.
 */
export function driverMountRequest(input: DriverMountInput): MountRequestFields {
  const attributes: Record<string, string> = {
    ...input.parameters,
    secretProviderClass: input.secretProviderClass,
    [POD_NAME]: input.pod.name,
    [POD_NAMESPACE]: input.pod.namespace,
    "csi.storage.k8s.io/pod.uid": input.pod.uid,
    "csi.storage.k8s.io/serviceAccount.name": input.pod.serviceAccountName,
    "csi.storage.k8s.io/ephemeral": "true",
  };
  const tokens = input.serviceAccountTokens ?? {};
  if (Object.keys(tokens).length > 0) attributes[SERVICE_ACCOUNT_TOKENS] = JSON.stringify(tokens);
  return {
    attributes: JSON.stringify(attributes),
    secrets: JSON.stringify(input.secrets),
    permission: JSON.stringify(input.permission),
  };
}
