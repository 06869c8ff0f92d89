import { InvalidMountConfigError } from "../config/errors.ts";
import type { MountConfig } from "../config/mount_config.ts";
import type { IdentityContext, IdentityMode, ResolvedIdentity } from "./identity_mode.ts";
import { servicePrincipal } from "./service_principal.ts";

/**
 * The identity modes, in the order they are tried: the first whose `applies` is true wins.
 * Explicit flags come first, the service principal (the fallback) last.
 */
export const IDENTITY_MODES: readonly IdentityMode[] = [
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
