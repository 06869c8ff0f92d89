import { InvalidMountConfigError } from "../errors.ts";
import { IDENTITY_BINDING_AUDIENCE } from "./service_account_tokens.ts";
import type { IdentityMode, ResolvedIdentity } from "./identity_mode.ts";

/**
 * `useAzureTokenProxy` (AKS identity binding through the cluster's token proxy) is refused
 * with a clear message rather than silently served by another mode: it needs the AKS proxy
 * transport, which this provider does not implement.
 */
export const azureTokenProxy: IdentityMode = {
  name: "azureTokenProxy",
  selector: { switch: "useAzureTokenProxy" },
  parameters: ["clientID"],
  tokenAudience: IDENTITY_BINDING_AUDIENCE,
  resolve(): ResolvedIdentity {
    throw new InvalidMountConfigError(
      "useAzureTokenProxy (AKS identity binding) is not supported by this provider: remove it and use " +
        "workload identity instead (clientID plus a service account token for api://AzureADTokenExchange), " +
        "or useVMManagedIdentity, usePodIdentity, or a service principal in nodePublishSecretRef",
    );
  },
};
