import {
  type AccessToken,
  ClientAssertionCredential,
  type GetTokenOptions,
  type TokenCredential,
} from "@azure/identity";
import { identityKey } from "../cache/keys.ts";
import { type AuthorityOptions, authorityOptions, throttledAuthority } from "./authority.ts";
import { checkClientId } from "./client_id.ts";
import type { IdentityContext, IdentityMode, IdentityRequest, ResolvedIdentity } from "./identity_mode.ts";
import {
  type ServiceAccountToken,
  serviceAccountToken,
  TOKEN_EXCHANGE_AUDIENCE,
} from "./service_account_tokens.ts";

/**
 * Workload identity: the pod's service-account token for `api://AzureADTokenExchange`, sent by
 * the driver (CSIDriver `tokenRequests`), exchanged at the cloud's Entra authority for a token
 * of the application or user-assigned identity `clientID` that federates that service account.
 * Selected by a non-empty `clientID` when no `use…` flag is set.
 */
export const workloadIdentity: IdentityMode = {
  name: "workloadIdentity",
  selector: { whenSet: "clientID" },
  parameters: [],
  tokenAudience: TOKEN_EXCHANGE_AUDIENCE,
  resolve(config: IdentityRequest, context: IdentityContext): ResolvedIdentity {
    const clientID = config.parameters.clientID;
    checkClientId("clientID", clientID);
    const token = serviceAccountToken(config.serviceAccountTokens, TOKEN_EXCHANGE_AUDIENCE);
    const authority = authorityOptions(config.cloud, context.entraThrottles);
    const warnings = config.parameters.userAssignedIdentityID === "" ? [] : [
      "userAssignedIdentityID is ignored: it only applies with useVMManagedIdentity (workload identity uses clientID)",
    ];
    return {
      mode: "workloadIdentity",
      // Entra decides from the client id and the token's issuer and subject alone, so mounts
      // that share all of them may share the token; any other service account gets its own.
      key: identityKey("workloadIdentity", {
        authorityHost: authority.authorityHost,
        tenantId: config.tenantId,
        clientId: clientID.toLowerCase(),
        issuer: token.issuer,
        subject: token.subject,
      }),
      description: `workload identity ${clientID} in tenant ${config.tenantId} as ${token.subject}`,
      authority: throttledAuthority(config.cloud, config.tenantId),
      createCredential: () => new FederatedTokenCredential(config.tenantId, clientID, token, authority),
      update: (credential) => {
        if (credential instanceof FederatedTokenCredential) credential.offer(token);
      },
      warnings,
    };
  },
};

/**
 * A ClientAssertionCredential whose assertion is the newest service-account token seen for
 * its identity: the Entra token outlives a mount, and when it is renewed the token of the
 * first mount may have expired, so later mounts hand theirs in.
 */
export class FederatedTokenCredential implements TokenCredential {
  #token: ServiceAccountToken;
  readonly #inner: ClientAssertionCredential;

  constructor(tenantId: string, clientId: string, token: ServiceAccountToken, authority: AuthorityOptions) {
    this.#token = token;
    this.#inner = new ClientAssertionCredential(
      tenantId,
      clientId,
      () => Promise.resolve(this.#token.token),
      authority,
    );
  }

  /** Keeps `token` for the next exchange unless the one held lives longer. */
  offer(token: ServiceAccountToken): void {
    if (token.expiresOn >= this.#token.expiresOn) this.#token = token;
  }

  getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    return this.#inner.getToken(scopes, options);
  }
}
