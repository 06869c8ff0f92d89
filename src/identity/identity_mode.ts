import type { TokenCredential } from "@azure/identity";
import type { IdentityKey } from "../cache/keys.ts";
import type { CloudEnvironment } from "../cloud/clouds.ts";
import type { Throttles } from "../concurrency/throttle.ts";

/** What identity modes may need from the provider's configuration (flags). */
export interface IdentityContext {
  /** `host:port` of the aad-pod-identity NMI endpoint (`--nmi-address`). */
  readonly nmiAddress: string;
  /** The AKS token proxy of identity binding (`--token-proxy-url`). */
  readonly tokenProxyUrl: string;
  /** Its TLS server name (`--sni-name`); "" to compute it from the API server's certificate. */
  readonly sniName: string;
  /**
   * The throttle governor of Entra authorities, shared by every mount of the process (absent
   * where nothing is sent, as in `validate`).
   */
  readonly entraThrottles?: Throttles;
}

/** The pod a mount is for, as the driver names it. */
export interface PodRef {
  readonly name: string;
  readonly namespace: string;
  /** "" when the driver sends none. */
  readonly uid: string;
}

/** What one mount hands its identity mode, read from the request before any network call. */
export interface IdentityRequest {
  readonly tenantId: string;
  readonly cloud: CloudEnvironment;
  /**
   * Every parameter that some identity mode declares (see {@link IdentityMode.parameters}),
   * trimmed, "" when absent: a mode may read the others' to warn that they are ignored.
   */
  readonly parameters: Readonly<Record<string, string>>;
  /** nodePublishSecretRef data, `null` when the pod names no secret. */
  readonly secrets: Readonly<Record<string, string>> | null;
  /** The raw `csi.storage.k8s.io/serviceAccount.tokens` JSON, or "" when absent. */
  readonly serviceAccountTokens: string;
  readonly pod: PodRef;
}

/** The identity one mount authenticates as, resolved without any network call. */
export interface ResolvedIdentity {
  /** The mode's name, e.g. `servicePrincipal`. */
  readonly mode: string;
  /**
   * The cache key of this identity's credential, clients and fetched objects: two different
   * identities never share one, and it never contains a secret in clear.
   */
  readonly key: IdentityKey;
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
  /**
   * The Entra authority its token requests go to, as the throttle governor names it (login host
   * and tenant); absent for modes that ask IMDS or NMI.
   */
  readonly authority?: string;
  /** Parameters the mode ignores that the user probably meant something by. */
  readonly warnings?: readonly string[];
}

/**
 * How a SecretProviderClass chooses a mode:
 * - `switch`: a boolean parameter (read as Go's `strconv.ParseBool`). Modes with a switch
 *   exclude one another: turning on two is an error, as in the Go provider.
 * - `whenSet`: no switch is on and this parameter is not empty (workload identity's `clientID`).
 * - `fallback`: nothing else applies (the service principal of nodePublishSecretRef).
 */
export type IdentitySelector =
  | { readonly switch: string }
  | { readonly whenSet: string }
  | { readonly fallback: true };

/**
 * One way of reaching Key Vault (service principal, workload identity, …): one module each,
 * listed once in `registry.ts`. The mode declares how it is selected and what it reads; the
 * config, the did-you-mean of unknown parameters and `validate` take both from here.
 */
export interface IdentityMode {
  readonly name: string;
  readonly selector: IdentitySelector;
  /** The SecretProviderClass parameters the mode reads, its switch excepted. */
  readonly parameters: readonly string[];
  /**
   * The audience of the pod's service-account token the mode exchanges, when it needs one: the
   * driver's CSIDriver must list it in `tokenRequests` (and `validate` stands in a token for it).
   */
  readonly tokenAudience?: string;
  /** Checks this mode's inputs and resolves the identity; throws InvalidMountConfigError. */
  resolve(request: IdentityRequest, context: IdentityContext): ResolvedIdentity;
}
