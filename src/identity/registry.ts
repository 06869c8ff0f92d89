import { InvalidMountConfigError } from "../errors.ts";
import type { MountConfig } from "../config/mount_config.ts";
import type { IdentityContext, IdentityMode, ResolvedIdentity } from "./identity_mode.ts";
import { azureTokenProxy } from "./azure_token_proxy.ts";
import { podIdentity } from "./pod_identity.ts";
import { servicePrincipal } from "./service_principal.ts";
import { vmManagedIdentity } from "./vm_managed_identity.ts";
import { workloadIdentity } from "./workload_identity.ts";

/**
 * The identity modes, in the order they are tried: the first whose `applies` is true wins.
 * Explicit flags come first (at most one is set: the config refuses two), then workload
 * identity (a `clientID`), and the service principal (nodePublishSecretRef) last.
 */
export const IDENTITY_MODES: readonly IdentityMode[] = [
  azureTokenProxy,
  podIdentity,
  vmManagedIdentity,
  workloadIdentity,
  servicePrincipal,
];

/** Selects the mount's identity mode and resolves its identity, before any network call. */
export function resolveIdentity(
  config: MountConfig,
  context: IdentityContext,
  modes: readonly IdentityMode[] = IDENTITY_MODES,
): ResolvedIdentity {
  const mode = modes.find((candidate) => candidate.applies(config));
  if (!mode) throw new InvalidMountConfigError("no identity mode is enabled");
  return mode.resolve(config, context);
}
