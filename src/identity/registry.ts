import type { IdentityMode } from "./identity_mode.ts";
import { identityBinding } from "./identity_binding.ts";
import { podIdentity } from "./pod_identity.ts";
import { servicePrincipal } from "./service_principal.ts";
import { vmManagedIdentity } from "./vm_managed_identity.ts";
import { workloadIdentity } from "./workload_identity.ts";

/**
 * The identity modes. Switched modes come first and exclude one another; then the modes
 * selected by a parameter, in this order; the fallback last. Adding a mode is its module and
 * one line here.
 */
const IDENTITY_MODES: readonly IdentityMode[] = [
  podIdentity,
  vmManagedIdentity,
  identityBinding,
  workloadIdentity,
  servicePrincipal,
];

/** The boolean parameters that turn a mode on, in registry order. */
export const IDENTITY_SWITCHES: readonly string[] = IDENTITY_MODES.flatMap((mode) =>
  "switch" in mode.selector ? [mode.selector.switch] : []
);

/** Every parameter some mode reads besides its switch, each once. */
export const IDENTITY_PARAMETERS: readonly string[] = [
  ...new Set(IDENTITY_MODES.flatMap((mode) => [
    ...("whenSet" in mode.selector ? [mode.selector.whenSet] : []),
    ...mode.parameters,
  ])),
];

/** The service-account token audiences the modes exchange, each once. */
export const IDENTITY_TOKEN_AUDIENCES: readonly string[] = [
  ...new Set(IDENTITY_MODES.flatMap((mode) => mode.tokenAudience ?? [])),
];

/**
 * The mode a mount uses, from the switches that are on (at most one: the config refuses more)
 * and the identity parameters.
 */
export function selectIdentityMode(
  switchesOn: readonly string[],
  parameters: Readonly<Record<string, string>>,
): IdentityMode {
  const chosen = IDENTITY_MODES.find(({ selector }) =>
    "switch" in selector
      ? switchesOn.includes(selector.switch)
      : "whenSet" in selector
      ? switchesOn.length === 0 && (parameters[selector.whenSet] ?? "") !== ""
      : switchesOn.length === 0
  );
  if (!chosen) throw new Error("the identity registry has no fallback mode");
  return chosen;
}
