/**
 * A world for the identity tests: one identity of every kind (and a second one of each, to
 * prove tokens never cross), a vault in every cloud, and helpers that build what the driver
 * sends for each mode.
 */
import { type Emulator, startEmulator } from "../emulator/emulator.ts";
import type { ProviderProcess } from "../harness/provider_process.ts";
import { type MountInput, mountRequest, SP, SP_IDENTITY, TENANT } from "../harness/spc.ts";
import { serviceAccountJwt, serviceAccountTokens, WORKLOAD_SUBJECT } from "../harness/service_account.ts";
import { startWorldProvider } from "../harness/world.ts";

export { SP, TENANT };
export const WI_CLIENT = "44444444-4444-4444-4444-444444444444";
export const WI_SUBJECT = WORKLOAD_SUBJECT;
export const VM_USER_CLIENT = "55555555-5555-5555-5555-555555555555";
export const POD_A = { namespace: "default", name: "nginx" };
export const POD_B = { namespace: "default", name: "reader-b" };
export const POD_B_CLIENT = "77777777-7777-7777-7777-777777777777";
/** The managed identity that AKS identity binding binds to {@link BOUND_SUBJECT}. */
export const BINDING_CLIENT = "88888888-8888-4888-8888-888888888888";
export const BOUND_SUBJECT = "system:serviceaccount:default:bound-sa";
export const BINDING_AUDIENCE = "api://AKSIdentityBinding";
/** Where the emulated cluster's token proxy serves Entra's paths. */
export const TOKEN_PROXY_PATH = "/identity-proxy/";

/** The AzureStack hubs: the seed's default one, and a second one with its own authority. */
export const HUBS = {
  hub1: { loginHost: "login.hub1.azurestack.test", vaultDnsSuffix: "vault.hub1.azurestack.test" },
  hub2: { loginHost: "login.hub2.azurestack.test", vaultDnsSuffix: "vault.hub2.azurestack.test" },
};

/** The secret every cloud's vault holds, with a value naming the cloud. */
export const WHERE = "where";

const READERS = ["sp-app", "wi-app", "vm-system", "vm-user", "pod-a", "bound-mi"];

function cloudVault(name: string, cloud: string, value: string, extra: Record<string, unknown> = {}) {
  return {
    name,
    cloud,
    tenant: TENANT,
    readers: READERS,
    secrets: [{ name: WHERE, versions: [{ version: "0a1b2c3d", value }] }],
    ...extra,
  };
}

export const SEED = {
  tokenLifetimeSeconds: 3599,
  azureStack: HUBS.hub1,
  aksCluster: { id: "5f3c9a1e7b2d4c6a8e0f1a2b", tokenProxyPath: TOKEN_PROXY_PATH },
  identities: [
    SP_IDENTITY,
    { name: "wi-app", kind: "workload", tenant: TENANT, clientId: WI_CLIENT, subjects: [WI_SUBJECT] },
    { name: "vm-system", kind: "managedIdentity", tenant: TENANT },
    { name: "vm-user", kind: "managedIdentity", tenant: TENANT, clientId: VM_USER_CLIENT },
    {
      name: "pod-a",
      kind: "podIdentity",
      tenant: TENANT,
      clientId: "66666666-6666-6666-6666-666666666666",
      pods: [`${POD_A.namespace}/${POD_A.name}`],
    },
    // Bound to another pod and allowed nothing: a token of its own, never pod A's.
    {
      name: "pod-b",
      kind: "podIdentity",
      tenant: TENANT,
      clientId: POD_B_CLIENT,
      pods: [`${POD_B.namespace}/${POD_B.name}`],
    },
    {
      name: "bound-mi",
      kind: "identityBinding",
      tenant: TENANT,
      clientId: BINDING_CLIENT,
      subjects: [BOUND_SUBJECT],
    },
  ],
  vaults: [
    cloudVault("demo-vault", "AzurePublicCloud", "public", {
      secrets: [
        { name: WHERE, versions: [{ version: "0a1b2c3d", value: "public" }] },
        { name: "api-key", versions: [{ version: "5e8a1c3f", value: "ak_live_0123456789abcdef" }] },
      ],
    }),
    cloudVault("gov-vault", "AzureUSGovernment", "usgov"),
    cloudVault("cn-vault", "AzureChinaCloud", "china"),
    cloudVault("de-vault", "azuregermancloud", "germany"),
    // The same vault name on two AzureStack hubs: only the cloud file tells them apart.
    cloudVault("stack-vault", "AzureStackCloud", "hub1"),
    cloudVault("stack-vault", "AzureStackCloud", "hub2", { azureStack: HUBS.hub2 }),
  ],
};

/** Every secret value and credential of {@link SEED}, for leak scans. */
export const SECRETS = [SP.clientsecret, "ak_live_0123456789abcdef"];

/** The emulator with {@link SEED} and a provider wired to it (production permissions). */
export interface IdentityWorld {
  readonly emulator: Emulator;
  readonly provider: ProviderProcess;
  /** Starts one more provider on the same emulator, e.g. with other flags. */
  another(args?: string[]): Promise<ProviderProcess>;
  /** Writes an AzureStack environment file for `hub`, removed on close. */
  cloudFile(hub: { loginHost: string; vaultDnsSuffix: string }): Promise<string>;
  close(): Promise<void>;
}

/** Starts the world; the provider knows where NMI is, like a DaemonSet with `--nmi-address`. */
export async function startIdentityWorld(args: string[] = []): Promise<IdentityWorld> {
  const emulator = await startEmulator({ seed: SEED });
  const extra: ProviderProcess[] = [];
  const files: string[] = [];
  const start = (more: string[]) => startWorldProvider(emulator, { args: more });
  const provider = await start(args);
  return {
    emulator,
    provider,
    async another(more: string[] = []) {
      const process = await start(more);
      extra.push(process);
      return process;
    },
    async cloudFile(hub) {
      const path = await stackCloudFile(hub);
      files.push(path);
      return path;
    },
    async close() {
      await Promise.all([provider, ...extra].map((p) => p.stop()));
      await emulator.close();
      for (const path of files) await Deno.remove(path.replace(/\/[^/]+$/, ""), { recursive: true });
    },
  };
}

/** Parameters of each mode, as a SecretProviderClass would set them. */
export const MODES = {
  servicePrincipal: (): MountInput => ({ secrets: SP }),
  workloadIdentity: (token = serviceAccountJwt()): MountInput => ({
    parameters: {
      clientID: WI_CLIENT,
      "csi.storage.k8s.io/serviceAccount.tokens": serviceAccountTokens({
        "api://AzureADTokenExchange": token,
      }),
    },
  }),
  vmSystemAssigned: (): MountInput => ({ parameters: { useVMManagedIdentity: "true" } }),
  vmUserAssigned: (): MountInput => ({
    parameters: { useVMManagedIdentity: "true", userAssignedIdentityID: VM_USER_CLIENT },
  }),
  identityBinding: (
    token = serviceAccountJwt({ aud: BINDING_AUDIENCE, sub: BOUND_SUBJECT }),
    audience = BINDING_AUDIENCE,
  ): MountInput => ({
    parameters: {
      useAzureTokenProxy: "true",
      clientID: BINDING_CLIENT,
      "csi.storage.k8s.io/serviceAccount.tokens": serviceAccountTokens({ [audience]: token }),
    },
  }),
  // One pod, one uid: pod identity's key holds it, so its token is cached per pod.
  podIdentity: (pod = POD_A): MountInput => ({
    parameters: { usePodIdentity: "true" },
    podName: pod.name,
    podNamespace: pod.namespace,
    podUid: `uid-of-${pod.namespace}-${pod.name}`,
  }),
};

/** A mount request of `objects` in `vault` as `mode`, with more parameters merged in. */
export function request(
  mode: MountInput,
  options: { vault?: string; objects?: Record<string, string>[]; parameters?: Record<string, string> } = {},
) {
  return mountRequest({
    ...mode,
    keyvaultName: options.vault ?? "demo-vault",
    objects: options.objects ?? [{ objectName: WHERE, objectType: "secret" }],
    parameters: { ...(mode.parameters ?? {}), ...(options.parameters ?? {}) },
  });
}

/** Writes an AzureStack environment file under /tmp (the provider may read only there). */
export async function stackCloudFile(hub: { loginHost: string; vaultDnsSuffix: string }): Promise<string> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "azurestack-" });
  const path = `${dir}/cloud.json`;
  await Deno.writeTextFile(
    path,
    JSON.stringify({
      name: "AzureStackCloud",
      activeDirectoryEndpoint: `https://${hub.loginHost}/`,
      keyVaultEndpoint: `https://${hub.vaultDnsSuffix}/`,
      keyVaultDNSSuffix: hub.vaultDnsSuffix,
      resourceManagerEndpoint: `https://management.${hub.vaultDnsSuffix.replace(/^vault\./, "")}/`,
    }),
  );
  return path;
}

/** The gRPC status codes the tests expect, by name. */
export const CODE = {
  OK: 0,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  PERMISSION_DENIED: 7,
  UNAUTHENTICATED: 16,
} as const;
