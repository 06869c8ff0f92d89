import { ManagedIdentityCredential } from "@azure/identity";
import { identityKey } from "../cache/keys.ts";
import { checkClientId } from "./client_id.ts";
import type { IdentityMode, IdentityRequest, ResolvedIdentity } from "./identity_mode.ts";

/**
 * The node's (VM or VMSS) managed identity from the Instance Metadata Service:
 * user-assigned when `userAssignedIdentityID` names its client id, system-assigned otherwise.
 * IMDS is `http://169.254.169.254` unless AZURE_POD_IDENTITY_AUTHORITY_HOST says otherwise.
 */
export const vmManagedIdentity: IdentityMode = {
  name: "vmManagedIdentity",
  selector: { switch: "useVMManagedIdentity" },
  parameters: ["userAssignedIdentityID"],
  resolve({ parameters }: IdentityRequest): ResolvedIdentity {
    const clientId = parameters.userAssignedIdentityID.toLowerCase();
    if (clientId !== "") checkClientId("userAssignedIdentityID", parameters.userAssignedIdentityID);
    const warnings = parameters.clientID === "" ? [] : [
      `clientID is ignored with useVMManagedIdentity${
        clientId === "" ? " (the system-assigned identity is used)" : ""
      }: name a user-assigned identity with userAssignedIdentityID`,
    ];
    return {
      mode: "vmManagedIdentity",
      // IMDS answers for the node, whoever asks: the identity is the client id alone.
      key: identityKey("vmManagedIdentity", { clientId: clientId === "" ? "system" : clientId }),
      description: clientId === ""
        ? "the node's system-assigned managed identity"
        : `user-assigned managed identity ${clientId}`,
      createCredential: () =>
        clientId === "" ? new ManagedIdentityCredential() : new ManagedIdentityCredential({ clientId }),
      warnings,
    };
  },
};
