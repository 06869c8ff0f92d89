/**
 * What the benchmark mounts: one vault of secrets, and service principals enough that every
 * cold mount and every burst pod can have an identity nobody used before in that process.
 * Both providers receive byte-identical MountRequests built here.
 */
import { createHash } from "node:crypto";
import { mountRequest, TENANT } from "../tests/harness/spc.ts";
import type { MountFields } from "./driver.ts";

export const VAULT = "bench-vault";
const TARGET = "/var/lib/kubelet/pods/bench/volumes/kubernetes.io~csi/secrets-store/mount";

/** How many mounts of which shape the run makes; sizes decide the seed. */
export interface WorkloadShape {
  /** Object counts of P1 (e.g. 1, 10, 50). */
  readonly sizes: readonly number[];
  /** Runs per P1 figure. */
  readonly runs: number;
  readonly burstPods: number;
  readonly burstObjects: number;
  /** Identities (each its own SecretProviderClass) the shared burst's pods are spread over. */
  readonly burstSharedIdentities: number;
}

/** A service principal of the seed. */
export interface Principal {
  readonly name: string;
  readonly clientid: string;
  readonly clientsecret: string;
}

/** The name of secret `i` of the vault. */
export function secretName(i: number): string {
  return `bench-secret-${String(i).padStart(3, "0")}`;
}

/** A deterministic value of about 64 bytes for secret `i` (benchmark data, not a secret). */
function secretValue(i: number): string {
  return `value-${i}-` + "0123456789abcdef".repeat(4).slice(0, 56);
}

/** The identity named `name`: a client id derived from the name, so runs are repeatable. */
export function principal(name: string): Principal {
  const hex = createHash("sha256").update(name).digest("hex");
  const clientid = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-8${hex.slice(17, 20)}-${
    hex.slice(20, 32)
  }`;
  return { name, clientid, clientsecret: `bench~${name}.pw` };
}

/** Every identity name the run uses, by role. */
export function identityNames(shape: WorkloadShape) {
  return {
    firstMount: "first-mount",
    warm: "warm",
    cold: (size: number, run: number) => `cold-${size}-${run}`,
    burstShared: (k: number, round = "") => `burst-shared${round}-${k}`,
    burstDistinct: (i: number) => `burst-distinct-${i}`,
    all(): string[] {
      const names = [this.firstMount, this.warm];
      for (const size of shape.sizes) for (let r = 0; r < shape.runs; r++) names.push(this.cold(size, r));
      for (let k = 0; k < shape.burstSharedIdentities; k++) {
        names.push(this.burstShared(k), this.burstShared(k, "-fresh"));
      }
      for (let i = 0; i < shape.burstPods; i++) names.push(this.burstDistinct(i));
      return names;
    },
  };
}

/** The number of secrets the vault needs. */
export function secretCount(shape: WorkloadShape): number {
  return Math.max(...shape.sizes, shape.burstObjects, 1);
}

/** The emulator seed: one vault readable by every identity of the run. */
export function benchSeed(shape: WorkloadShape): Record<string, unknown> {
  return vaultSeed(VAULT, identityNames(shape).all(), secretCount(shape), secretValue);
}

/**
 * An emulator seed of service principals `names` that may all read the vault `vault` of
 * `secrets` secrets, each with one version whose value is `valueOf(index)`.
 */
export function vaultSeed(
  vault: string,
  names: readonly string[],
  secrets: number,
  valueOf: (index: number) => string,
): Record<string, unknown> {
  return {
    tokenLifetimeSeconds: 3599,
    defaultTenant: TENANT,
    identities: names.map((name) => {
      const sp = principal(name);
      return {
        name,
        kind: "servicePrincipal",
        tenant: TENANT,
        clientId: sp.clientid,
        clientSecret: sp.clientsecret,
      };
    }),
    vaults: [{
      name: vault,
      cloud: "AzurePublicCloud",
      tenant: TENANT,
      readers: names,
      secrets: Array.from({ length: secrets }, (_, i) => ({
        name: secretName(i),
        versions: [{ version: (i + 1).toString(16).padStart(32, "0"), value: valueOf(i) }],
      })),
    }],
  };
}

/**
 * A driver-shaped Mount as `identity` of `objects` secrets, starting at secret `first` and
 * wrapping around the vault's `vaultSecrets` secrets.
 */
export function mountOf(
  identity: string,
  objects: number,
  pod: string,
  first = 0,
  vaultSecrets = Infinity,
): MountFields {
  const sp = principal(identity);
  const request = mountRequest({
    keyvaultName: VAULT,
    tenantID: TENANT,
    podName: pod,
    podNamespace: "bench",
    objects: Array.from({ length: objects }, (_, i) => ({
      objectName: secretName((first + i) % vaultSecrets),
      objectType: "secret",
    })),
    secrets: { clientid: sp.clientid, clientsecret: sp.clientsecret },
  });
  return { ...request, target_path: TARGET };
}

/**
 * The burst: `burstPods` pods of `burstObjects` secrets each, at once. `shared`: the pods
 * belong to `burstSharedIdentities` workloads (one identity and SecretProviderClass each, as
 * the replicas of a Deployment share theirs). `distinct`: every pod its own identity and
 * its own window of secrets, the case where nothing can be shared between pods.
 */
export function burstOf(
  shape: WorkloadShape,
  variant: "shared" | "distinct",
  vaultSecrets: number,
  round = "",
): MountFields[] {
  const names = identityNames(shape);
  return Array.from({ length: shape.burstPods }, (_, i) => {
    if (variant === "shared") {
      const k = i % shape.burstSharedIdentities;
      const first = (k * shape.burstObjects) % vaultSecrets;
      return mountOf(names.burstShared(k, round), shape.burstObjects, `pod-${i}`, first, vaultSecrets);
    }
    const first = (i * shape.burstObjects) % vaultSecrets;
    return mountOf(names.burstDistinct(i), shape.burstObjects, `pod-${i}`, first, vaultSecrets);
  });
}
