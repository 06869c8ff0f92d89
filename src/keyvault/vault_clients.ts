import type { TokenCredential } from "@azure/identity";
import type { CertificateClient } from "@azure/keyvault-certificates";
import type { KeyClient } from "@azure/keyvault-keys";
import type { SecretClient } from "@azure/keyvault-secrets";
import { BoundedMap } from "../cache/bounded_map.ts";
import { type ClientKey, clientKey, type VaultKey, vaultKey } from "../cache/keys.ts";
import type { Throttles } from "../concurrency/throttle.ts";
import type { CredentialCache } from "../identity/credentials.ts";
import type { ResolvedIdentity } from "../identity/identity_mode.ts";
import { PROVIDER_NAME, PROVIDER_VERSION } from "../version.ts";

/** The Key Vault clients of one vault, as one identity. */
export interface VaultAccess {
  readonly vaultUrl: string;
  readonly identity: ResolvedIdentity;
  /** This vault as this identity: what every cache of its objects is keyed under. */
  readonly key: VaultKey;
  secrets(): Promise<SecretClient>;
  keys(): Promise<KeyClient>;
  certificates(): Promise<CertificateClient>;
  /**
   * Runs a request on the `kind` client. A new client's first request runs alone: it learns
   * the vault's challenge and gets the token, so the requests that follow (concurrent or not)
   * carry the token up front instead of each paying a 401 round trip and a token exchange.
   */
  request<T>(kind: ClientKind, work: () => Promise<T>): Promise<T>;
}

/** Which SDK client a request uses. */
export type ClientKind = "secrets" | "keys" | "certificates";
type AnyClient = SecretClient | KeyClient | CertificateClient;

/**
 * How many SDK clients are kept: three kinds for each vault and identity of the busiest node
 * (110 pods) many times over; the least recently used goes first.
 */
const CLIENTS_KEPT = 1000;

const CLIENT_OPTIONS = {
  userAgentOptions: { userAgentPrefix: `${PROVIDER_NAME}/${PROVIDER_VERSION}` },
};

/**
 * Reuses Key Vault clients per (vault, identity, kind). A client keeps the challenge it
 * learned and its connections, so a warm mount sends exactly one GET per object. The SDK
 * modules for keys and certificates load only when a mount first asks for them.
 */
export class VaultClients {
  readonly #clients = new BoundedMap<ClientKey, { credential: TokenCredential; client: Promise<AnyClient> }>(
    CLIENTS_KEPT,
  );
  /** Per client key: settles when the client's first request has; absent once primed. */
  readonly #firstRequests = new Map<ClientKey, Promise<unknown>>();
  readonly #primed = new BoundedMap<ClientKey, true>(CLIENTS_KEPT);

  /** `throttles` governs every request of every client: see throttle_policy.ts. */
  constructor(private readonly credentials: CredentialCache, private readonly throttles: Throttles) {}

  /** The clients for `vaultUrl` as `identity`. */
  access(vaultUrl: string, identity: ResolvedIdentity): VaultAccess {
    const key = vaultKey(identity.key, vaultUrl);
    const client = <C extends AnyClient>(kind: ClientKind) =>
      this.#client(clientKey(key, kind), kind, vaultUrl, identity) as Promise<C>;
    return {
      vaultUrl,
      identity,
      key,
      secrets: () => client<SecretClient>("secrets"),
      keys: () => client<KeyClient>("keys"),
      certificates: () => client<CertificateClient>("certificates"),
      request: (kind, work) => this.#request(clientKey(key, kind), work),
    };
  }

  async #request<T>(key: ClientKey, work: () => Promise<T>): Promise<T> {
    while (!this.#primed.get(key)) {
      const first = this.#firstRequests.get(key);
      if (!first) {
        const run = work();
        const prime = () => this.#primed.getOrCreate(key, () => true);
        const settled = run.then(prime, (error) => authenticated(error) && prime());
        this.#firstRequests.set(key, settled);
        settled.finally(() => this.#firstRequests.delete(key));
        return await run;
      }
      await first;
    }
    return await work();
  }

  #client(
    key: ClientKey,
    kind: ClientKind,
    vaultUrl: string,
    identity: ResolvedIdentity,
  ): Promise<AnyClient> {
    // Asked on every use: that hands this mount's inputs (a newer service-account token) to
    // the cached credential, and a client never outlives the credential it was built with.
    const credential = this.credentials.credentialFor(identity);
    const cached = this.#clients.get(key);
    if (cached && cached.credential !== credential) {
      this.#clients.delete(key);
      this.#primed.delete(key);
    }
    const entry = this.#clients.getOrCreate(key, () => ({
      credential,
      client: createClient(kind, vaultUrl, credential, this.throttles),
    }));
    entry.client.catch(() => {
      if (this.#clients.get(key) === entry) this.#clients.delete(key);
    });
    return entry.client;
  }
}

async function createClient(
  kind: ClientKind,
  vaultUrl: string,
  credential: ReturnType<CredentialCache["credentialFor"]>,
  throttles: Throttles,
): Promise<AnyClient> {
  const { pooledConnectionsPolicy } = await import("../net/connection_pool.ts");
  const { cancelledRequestsPolicy } = await import("../net/cancelled_requests.ts");
  const { throttlePolicy, vaultEndpoint } = await import("../net/throttle_policy.ts");
  // In this order: the throttle holds its slot over the whole attempt; the third wraps
  // whichever agent the second settled on.
  const options = {
    ...CLIENT_OPTIONS,
    additionalPolicies: [
      throttlePolicy(throttles, vaultEndpoint),
      pooledConnectionsPolicy,
      cancelledRequestsPolicy,
    ],
  };
  switch (kind) {
    case "secrets": {
      const { SecretClient } = await import("@azure/keyvault-secrets");
      return new SecretClient(vaultUrl, credential, options);
    }
    case "keys": {
      const { KeyClient } = await import("@azure/keyvault-keys");
      return new KeyClient(vaultUrl, credential, options);
    }
    case "certificates": {
      const { CertificateClient } = await import("@azure/keyvault-certificates");
      return new CertificateClient(vaultUrl, credential, options);
    }
  }
}

/** True when a failed request got past authentication (Key Vault answered, and not 401). */
function authenticated(error: unknown): boolean {
  const status = (error as { statusCode?: number } | null)?.statusCode;
  return status !== undefined && status !== 401;
}
