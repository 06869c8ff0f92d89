import type { TokenCredential } from "@azure/identity";
import { BoundedMap } from "../cache/bounded_map.ts";
import type { IdentityKey } from "../cache/keys.ts";
import type { ResolvedIdentity } from "./identity_mode.ts";
import { SharedTokenCredential } from "./shared_token_credential.ts";

/** How many identities keep their credential (and its tokens): far more than one node's pods. */
const CREDENTIALS_KEPT = 1000;

interface CachedCredential {
  /** What callers get: concurrent requests share one exchange. */
  readonly shared: TokenCredential;
  /** The mode's own credential, which holds the token cache and receives updates. */
  readonly inner: TokenCredential;
}

/**
 * Keeps one credential per identity key. A credential caches its own tokens, so reusing it
 * means a remount by the same identity asks Entra (or IMDS, or NMI) nothing until the token
 * nears expiry, while identities with different keys never see each other's tokens. The map
 * is bounded: the least recently used identity is forgotten first.
 */
export class CredentialCache {
  readonly #credentials = new BoundedMap<IdentityKey, CachedCredential>(CREDENTIALS_KEPT);

  /**
   * The credential for `identity`, created on first use. When it was cached already, the
   * identity's newer inputs (see {@link ResolvedIdentity.update}) are handed to it.
   */
  credentialFor(identity: ResolvedIdentity): TokenCredential {
    let created = false;
    const cached = this.#credentials.getOrCreate(identity.key, () => {
      created = true;
      const inner = identity.createCredential();
      const shared = new SharedTokenCredential(inner);
      const entry: CachedCredential = {
        inner,
        shared: {
          getToken: (scopes, options) =>
            shared.getToken(scopes, options).catch((error) => {
              if (!options?.abortSignal?.aborted) this.#forget(identity.key, entry);
              throw error;
            }),
        },
      };
      return entry;
    });
    if (!created) identity.update?.(cached.inner);
    return cached.shared;
  }

  /**
   * Forgets a credential whose token request failed, so the next mount builds a new one: MSAL
   * refuses every request for 60 s after Entra answered 429 or 5xx, which would fail mounts for
   * a minute after Entra recovered (kubelet already spaces the retries of a failing mount).
   */
  #forget(key: IdentityKey, entry: CachedCredential): void {
    if (this.#credentials.get(key) === entry) this.#credentials.delete(key);
  }
}
