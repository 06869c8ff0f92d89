import type { TokenCredential } from "@azure/identity";
import { BoundedMap } from "../cache/bounded_map.ts";
import type { ResolvedIdentity } from "./identity_mode.ts";
import { SharedTokenCredential } from "./shared_token_credential.ts";

/**
 * Keeps one credential per identity key. A credential caches its own tokens, so reusing it
 * means a remount by the same identity asks Entra (or IMDS, or NMI) nothing until the token
 * nears expiry, while identities with different keys never see each other's tokens.
 */
export class CredentialCache {
  readonly #credentials: BoundedMap<string, TokenCredential>;

  constructor(capacity = 1000) {
    this.#credentials = new BoundedMap(capacity);
  }

  /** The credential for `identity`, created on first use. */
  credentialFor(identity: ResolvedIdentity): TokenCredential {
    return this.#credentials.getOrCreate(
      identity.key,
      () => new SharedTokenCredential(identity.createCredential()),
    );
  }

  get size(): number {
    return this.#credentials.size;
  }
}
