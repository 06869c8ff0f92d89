import type { ThrottleObserver } from "../concurrency/throttle.ts";

/** The three JSON fields of a MountRequest, as the driver sends them. */
export interface MountRequestFields {
  readonly attributes: string;
  readonly secrets: string;
  readonly permission: string;
}

/** One file of a mount's response. */
export interface MountFile {
  readonly path: string;
  readonly mode: number;
  readonly contents: Uint8Array;
  /** The object version the file was made from (for reports; the driver is not sent it). */
  readonly source?: ObjectVersion;
}

/** The version of one mounted object, reported for rotation. */
export interface ObjectVersion {
  readonly id: string;
  readonly version: string;
}

/** What a successful mount returns to the driver. */
export interface MountResult {
  readonly files: readonly MountFile[];
  readonly objectVersions: readonly ObjectVersion[];
}

/** The provider-wide options that shape every mount (from flags). */
export interface ProviderOptions {
  readonly constructPemChain: boolean;
  readonly writeCertAndKeyInSeparateFiles: boolean;
  /** `--cloud-name`: the cloud of SecretProviderClasses that name none. */
  readonly defaultCloudName: string;
  /** `--nmi-address`: aad-pod-identity's NMI, `host:port`. */
  readonly nmiAddress: string;
  /** `--token-proxy-url`: the AKS token proxy of identity binding. */
  readonly tokenProxyUrl: string;
  /** `--sni-name`: its TLS server name, "" to compute it. */
  readonly sniName: string;
  /** How many objects of one mount are fetched at once. */
  readonly objectConcurrency: number;
  /**
   * The largest MountResponse sent, in bytes: the driver's `--max-call-recv-msg-size` (4 MiB
   * when unset). A larger mount fails with ResourceExhausted naming its largest files.
   */
  readonly maxResponseBytes?: number;
  /**
   * `--object-cache-ttl`: how long a fetched object may answer remounts of pods by the same
   * identity, in ms (0: never).
   */
  readonly objectCacheTtlMs: number;
  /** `--vault-concurrency`: Key Vault requests in flight to one vault at most. */
  readonly vaultConcurrency: number;
}

/** Receives timings of Key Vault calls and throttles (metrics); every method is optional work. */
export interface MountObserver extends ThrottleObserver {
  keyVaultRequest(event: {
    objectType: string;
    objectName: string;
    seconds: number;
    error?: string;
  }): void;
  /** One object of a mount answered from the object cache (`hit`) or fetched from Key Vault. */
  objectCache?(event: { objectType: string; hit: boolean }): void;
  /** A 429 from an Entra authority (`host/tenant`). */
  entraThrottled?(authority: string): void;
  /** A token request waited `seconds` for an Entra authority's throttle to end. */
  entraWaited?(authority: string, seconds: number): void;
}
