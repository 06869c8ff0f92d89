import type { TokenCredential } from "@azure/identity";
import type { MountConfig } from "../config/mount_config.ts";

/** What identity modes may need from the provider's configuration (flags). */
export interface IdentityContext {
  /** `host:port` of the aad-pod-identity NMI endpoint (`--nmi-address`). */
  readonly nmiAddress: string;
}

/** The identity one mount authenticates as, resolved without any network call. */
export interface ResolvedIdentity {
  /** The mode's name, e.g. `servicePrincipal`. */
  readonly mode: string;
  /**
   * The cache key of this identity's credential and clients. Two different identities never
   * share a key; a key never contains a secret in clear.
   */
  readonly key: string;
  /** Words for logs and errors: the mode and its public ids, never a secret. */
  readonly description: string;
  /** Builds the credential; called once per key while it stays cached. */
  createCredential(): TokenCredential;
  /**
   * Hands this mount's inputs to the credential cached under the same key, for inputs that
   * change between mounts of one identity without changing who it is (a newer service-account
   * token). Absent when nothing changes.
   */
  update?(credential: TokenCredential): void;
  /** Parameters the mode ignores that the user probably meant something by. */
  readonly warnings?: readonly string[];
}

/** One way of reaching Key Vault (service principal, workload identity, …). */
export interface IdentityMode {
  readonly name: string;
  /** True when the mount's parameters select this mode. */
  applies(config: MountConfig): boolean;
  /** Checks this mode's inputs and resolves the identity; throws InvalidMountConfigError. */
  resolve(config: MountConfig, context: IdentityContext): ResolvedIdentity;
}
