import { ClientSecretCredential } from "@azure/identity";
import { createHmac, randomBytes } from "node:crypto";
import { InvalidMountConfigError } from "../errors.ts";
import { identityKey } from "../cache/keys.ts";
import { authorityOptions, throttledAuthority } from "./authority.ts";
import type { IdentityContext, IdentityMode, IdentityRequest, ResolvedIdentity } from "./identity_mode.ts";

/**
 * A service principal's client id and secret from the pod's nodePublishSecretRef Secret
 * (keys `clientid` and `clientsecret`, any case), exchanged at the cloud's Entra authority.
 */
export const servicePrincipal: IdentityMode = {
  name: "servicePrincipal",
  selector: { fallback: true },
  parameters: [],
  resolve(config: IdentityRequest, context: IdentityContext): ResolvedIdentity {
    if (config.secrets === null) {
      throw new InvalidMountConfigError(
        "failed to get credentials, nodePublishSecretRef secret is not set: a service principal needs " +
          "nodePublishSecretRef with clientid and clientsecret (or choose another identity mode)",
      );
    }
    const clientId = secretValue(config.secrets, "clientid");
    const clientSecret = secretValue(config.secrets, "clientsecret");
    const secretHash = createHmac("sha256", KEY_SALT).update(clientSecret).digest("hex").slice(0, 32);
    return {
      mode: "servicePrincipal",
      key: identityKey("servicePrincipal", {
        authorityHost: config.cloud.activeDirectoryEndpoint,
        tenantId: config.tenantId,
        clientId,
        secretHash,
      }),
      description: `service principal ${clientId} in tenant ${config.tenantId}`,
      authority: throttledAuthority(config.cloud, config.tenantId),
      createCredential: () =>
        new ClientSecretCredential(
          config.tenantId,
          clientId,
          clientSecret,
          authorityOptions(config.cloud, context.entraThrottles),
        ),
    };
  },
};

/**
 * Keys a secret's hash for this process only, so a cache key that reaches a log or a heap dump
 * cannot be matched against guessed secrets elsewhere.
 */
const KEY_SALT = randomBytes(32);

function secretValue(secrets: Readonly<Record<string, string>>, wanted: string): string {
  const key = Object.keys(secrets).find((name) => name.toLowerCase() === wanted);
  const value = key === undefined ? "" : secrets[key].trim();
  if (value === "") {
    throw new InvalidMountConfigError(
      `could not find ${wanted} in secrets: the nodePublishSecretRef Secret must have a non-empty ${wanted} key`,
    );
  }
  return value;
}
