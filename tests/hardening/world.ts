/**
 * The world of the hardening tests: the emulator with one identity of every mode plus
 * {@link SP_COUNT} service principals (fresh identities whose first mount must reach the token
 * endpoint, and the many identities of the concurrency test), two vaults that hold the same
 * object names with different contents, and a provider wired to it.
 */
import { status as GrpcStatus } from "@grpc/grpc-js";
import type { MountRequestJson, MountResponseJson, ProviderClientHandle } from "../harness/grpc_client.ts";
import { startWorld, type World } from "../harness/world.ts";
import { type MountInput, mountRequest, type ObjectEntry, TENANT } from "../harness/spc.ts";
import type { Emulator } from "../emulator/emulator.ts";

/** How many numbered service principals the seed has (`sp-0` … `sp-49`). */
export const SP_COUNT = 50;
/** How many VM (IMDS) and pod (NMI) identities there are: one fresh per fault test. */
const FRESH = Array.from({ length: 8 }, (_, n) => n);

/** The client id of user-assigned VM identity `vm-<n>`. */
export function vmClient(n: number): string {
  return `5c000000-0000-4000-8000-${String(n).padStart(12, "0")}`;
}

/** The credentials of service principal `sp-<n>`. */
export function sp(n: number): { clientid: string; clientsecret: string } {
  return {
    clientid: `5b000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
    clientsecret: `sp-${n}-Secret~${"k".repeat(8)}.${n}`,
  };
}

/** The value of `name` in vault `vault` (what a correct mount must return). */
export function valueOf(vault: string, name: string): string {
  return `${vault}:${name}:value`;
}

/** Object names both vaults hold. */
export const NAMES = ["alpha", "beta", "gamma", "delta"];
/** The service principals that may read `vault-b` (every one reads `vault-a`). */
export const B_READERS = [0, 1];

function vault(name: string, readers: string[]) {
  return {
    name,
    cloud: "AzurePublicCloud",
    tenant: TENANT,
    readers,
    secrets: NAMES.map((secret) => ({ name: secret, versions: [{ value: valueOf(name, secret) }] })),
  };
}

const SPS = Array.from({ length: SP_COUNT }, (_, n) => n);

export const SEED = {
  tokenLifetimeSeconds: 3599,
  identities: [
    ...SPS.map((n) => ({
      name: `sp-${n}`,
      kind: "servicePrincipal",
      tenant: TENANT,
      clientId: sp(n).clientid,
      clientSecret: sp(n).clientsecret,
    })),
    ...FRESH.map((n) => ({
      name: `vm-${n}`,
      kind: "managedIdentity",
      tenant: TENANT,
      clientId: vmClient(n),
    })),
    ...FRESH.map((n) => ({
      name: `pod-${n}`,
      kind: "podIdentity",
      tenant: TENANT,
      clientId: `6d000000-0000-4000-8000-${String(n).padStart(12, "0")}`,
      pods: [`default/pod-${n}`],
    })),
  ],
  vaults: [
    vault("vault-a", [...SPS.map((n) => `sp-${n}`), ...FRESH.flatMap((n) => [`vm-${n}`, `pod-${n}`])]),
    vault("vault-b", B_READERS.map((n) => `sp-${n}`)),
  ],
};

/** Every secret of {@link SEED} (values and client secrets), for leak scans. */
const SEEDED_SECRETS = [
  ...SPS.map((n) => sp(n).clientsecret),
  ...["vault-a", "vault-b"].flatMap((v) => NAMES.map((name) => valueOf(v, name))),
];

/**
 * The secrets of {@link SEED} and every token `emulator` issued that appear in `output` (a
 * provider's log): the list each hardening test expects to be empty.
 */
export function leakedInto(output: string, emulator: Emulator): string[] {
  return [...SEEDED_SECRETS, ...emulator.issuedTokens()].filter((secret) => output.includes(secret));
}

/** Identity parameters of a mount. */
export const AS = {
  sp: (n: number): MountInput => ({ secrets: sp(n) }),
  /** User-assigned VM identity `vm-<n>`, through IMDS. */
  vm: (n: number): MountInput => ({
    parameters: { useVMManagedIdentity: "true", userAssignedIdentityID: vmClient(n) },
  }),
  /** The aad-pod-identity binding of pod `default/pod-<n>`, through NMI. */
  pod: (n: number): MountInput => ({
    parameters: { usePodIdentity: "true" },
    podName: `pod-${n}`,
    podNamespace: "default",
  }),
};

/** A mount request of `names` from `vault` as `identity`. */
export function request(
  identity: MountInput,
  names: readonly string[] = ["alpha"],
  vaultName = "vault-a",
): MountRequestJson {
  const objects: ObjectEntry[] = names.map((objectName) => ({ objectName, objectType: "secret" }));
  return mountRequest({ ...identity, keyvaultName: vaultName, objects });
}

/** Starts the emulator with {@link SEED} and the provider (production permissions). */
export function startHardeningWorld(args: string[] = []): Promise<World> {
  return startWorld(SEED, { args });
}

/** How one Mount ended: its status, message, and files when it succeeded. */
export interface Outcome {
  readonly code: GrpcStatus;
  readonly details: string;
  readonly response?: MountResponseJson;
}

/** Mounts and reports the outcome instead of throwing. */
export function outcome(
  client: ProviderClientHandle,
  req: MountRequestJson,
  options: { deadlineMs?: number; signal?: AbortSignal } = {},
): Promise<Outcome> {
  return client.mount(req, options).then(
    (response) => ({ code: GrpcStatus.OK, details: "", response }),
    (error) => ({ code: error.code as GrpcStatus, details: String(error.details ?? error.message) }),
  );
}

/** The text of each file of a response, by path. */
export function filesOf(response: MountResponseJson | undefined): Record<string, string> {
  return Object.fromEntries(
    (response?.files ?? []).map((file) => [file.path, new TextDecoder().decode(file.contents)]),
  );
}
