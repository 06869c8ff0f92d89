import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { identityKey } from "../cache/keys.ts";
import type { CloudEnvironment } from "../cloud/clouds.ts";
import { InvalidMountConfigError } from "../errors.ts";
import { checkClientId } from "./client_id.ts";
import type { IdentityContext, IdentityMode, IdentityRequest, ResolvedIdentity } from "./identity_mode.ts";
import {
  IDENTITY_BINDING_AUDIENCE,
  type ServiceAccountToken,
  serviceAccountToken,
  tokenRequestsHint,
} from "./service_account_tokens.ts";
import { TokenProxyRedirect, type TokenProxyTarget } from "./token_proxy.ts";
import { FederatedTokenCredential } from "./workload_identity.ts";

/**
 * AKS identity binding (`useAzureTokenProxy`): the pod's service-account token for
 * `api://AKSIdentityBinding` is exchanged for a token of the managed identity `clientID` at the
 * cluster's token proxy (`--token-proxy-url`, TLS server name `--sni-name`), which checks that
 * the identity is bound to the service account. The request is the one workload identity sends
 * to Entra ID, redirected.
 */
export const identityBinding: IdentityMode = {
  name: "identityBinding",
  selector: { switch: "useAzureTokenProxy" },
  parameters: ["clientID"],
  tokenAudience: IDENTITY_BINDING_AUDIENCE,
  resolve(config: IdentityRequest, context: IdentityContext): ResolvedIdentity {
    const clientID = config.parameters.clientID;
    if (clientID === "") {
      throw new InvalidMountConfigError(
        "clientID is required for identity binding: set clientID to the client ID of the managed identity " +
          "bound to the pod's service account",
      );
    }
    checkClientId("clientID", clientID);
    if (config.serviceAccountTokens.trim() === "") {
      throw new InvalidMountConfigError(
        `service account tokens are required for identity binding: ${
          tokenRequestsHint(IDENTITY_BINDING_AUDIENCE)
        }`,
      );
    }
    const token = serviceAccountToken(
      config.serviceAccountTokens,
      IDENTITY_BINDING_AUDIENCE,
      "failed to parse service account token for identity binding",
    );
    const target: TokenProxyTarget = { url: context.tokenProxyUrl, sniName: context.sniName };
    const warnings = config.parameters.userAssignedIdentityID === "" ? [] : [
      "userAssignedIdentityID is ignored with useAzureTokenProxy: the identity is clientID",
    ];
    return {
      mode: "identityBinding",
      // The proxy decides from the client id and the token's issuer and subject; another proxy
      // (or server name) may be another cluster's, so it gets its own token.
      key: identityKey("identityBinding", {
        authorityHost: config.cloud.activeDirectoryEndpoint,
        tenantId: config.tenantId,
        clientId: clientID.toLowerCase(),
        issuer: token.issuer,
        subject: token.subject,
        tokenProxyUrl: target.url,
        sniName: target.sniName,
      }),
      description: `identity binding ${clientID} in tenant ${config.tenantId} as ${token.subject}`,
      createCredential: () =>
        new IdentityBindingCredential(config.tenantId, clientID, token, config.cloud, target),
      update: (credential) => {
        if (credential instanceof IdentityBindingCredential) credential.offer(token);
      },
      warnings,
    };
  },
};

/**
 * Workload identity's credential with its requests sent to the token proxy. Instance discovery
 * is off: the proxy serves only the token endpoint's tenant paths, as in the Go provider.
 */
class IdentityBindingCredential implements TokenCredential {
  readonly #redirect: TokenProxyRedirect;
  readonly #federated: FederatedTokenCredential;

  constructor(
    tenantId: string,
    clientId: string,
    token: ServiceAccountToken,
    cloud: CloudEnvironment,
    target: TokenProxyTarget,
  ) {
    this.#redirect = new TokenProxyRedirect(target);
    this.#federated = new FederatedTokenCredential(tenantId, clientId, token, {
      authorityHost: cloud.activeDirectoryEndpoint,
      disableInstanceDiscovery: true,
      additionalPolicies: [this.#redirect.policy],
    });
  }

  /** Keeps `token` for the next exchange unless the one held lives longer. */
  offer(token: ServiceAccountToken): void {
    this.#federated.offer(token);
  }

  async getToken(scopes: string | string[], options?: GetTokenOptions): Promise<AccessToken> {
    await this.#redirect.prepare();
    try {
      return await this.#federated.getToken(scopes, options);
    } catch (error) {
      throw this.#redirect.unreachable() ?? error;
    }
  }
}
