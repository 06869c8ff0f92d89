import type { CloudEnvironment } from "../cloud/clouds.ts";
import type { Throttles } from "../concurrency/throttle.ts";
import { type AdditionalPolicy, pooledConnectionsPolicy } from "../net/connection_pool.ts";
import { authorityEndpoint, throttlePolicy } from "../net/throttle_policy.ts";

/** The options that point an @azure/identity credential at one cloud's Entra ID. */
export interface AuthorityOptions {
  readonly authorityHost: string;
  readonly disableInstanceDiscovery: boolean;
  /**
   * Token requests share the process's connection pool with the Key Vault clients, and its
   * throttle governor per authority when given one.
   */
  readonly additionalPolicies: AdditionalPolicy[];
}

/**
 * The Entra authority of `tenantId` in `cloud` as the throttle governor names it: the endpoint
 * its token requests count against (see net/throttle_policy.ts).
 */
export function throttledAuthority(cloud: CloudEnvironment, tenantId: string): string {
  return authorityEndpoint(new URL(`${cloud.activeDirectoryEndpoint.replace(/\/+$/, "")}/${tenantId}/`));
}

/**
 * The cloud's authority for credentials that talk to Entra ID (service principal, workload
 * identity). A cloud described by a file (AzureStack) skips instance discovery: public Entra
 * does not know its authority, and a disconnected hub cannot reach login.microsoftonline.com.
 */
export function authorityOptions(cloud: CloudEnvironment, throttles?: Throttles): AuthorityOptions {
  return {
    authorityHost: cloud.activeDirectoryEndpoint,
    disableInstanceDiscovery: !cloud.instanceDiscovery,
    additionalPolicies: throttles
      ? [throttlePolicy(throttles, authorityEndpoint), pooledConnectionsPolicy]
      : [pooledConnectionsPolicy],
  };
}
