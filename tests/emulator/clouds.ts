/**
 * The Azure clouds the emulator impersonates: for each, the Entra login host
 * and the Key Vault DNS suffix (which is also the token audience host).
 *
 * Values follow go-autorest's environment table, which the real provider uses
 * to turn `cloudName` into endpoints. AzureStack has no fixed endpoints, so the
 * emulator takes them from configuration.
 */

/** Canonical cloud names (the `cloud` field of a seeded vault). */
export type CloudName =
  | "AzurePublicCloud"
  | "AzureUSGovernmentCloud"
  | "AzureChinaCloud"
  | "AzureGermanCloud"
  | "AzureStackCloud";

/** Endpoints of one cloud. */
export interface Cloud {
  name: CloudName;
  /** Entra authority host, e.g. `login.microsoftonline.com`. */
  loginHost: string;
  /** Key Vault DNS suffix, e.g. `vault.azure.net`. */
  vaultSuffix: string;
  /**
   * Other hosts of the same authority that MSAL may call instead: its built-in metadata makes
   * `login.partner.microsoftonline.cn` the preferred host of `login.chinacloudapi.cn`.
   */
  loginAliases?: string[];
}

/** Where an AzureStack hub's Entra and Key Vault live (configurable). */
export interface AzureStackEndpoints {
  loginHost: string;
  vaultDnsSuffix: string;
}

/** Defaults chosen under the reserved `.test` TLD so they can never be real. */
export const DEFAULT_AZURE_STACK: AzureStackEndpoints = {
  loginHost: "login.local.azurestack.test",
  vaultDnsSuffix: "vault.local.azurestack.test",
};

const FIXED_CLOUDS: Cloud[] = [
  {
    name: "AzurePublicCloud",
    loginHost: "login.microsoftonline.com",
    vaultSuffix: "vault.azure.net",
  },
  {
    name: "AzureUSGovernmentCloud",
    loginHost: "login.microsoftonline.us",
    vaultSuffix: "vault.usgovcloudapi.net",
  },
  {
    name: "AzureChinaCloud",
    loginHost: "login.chinacloudapi.cn",
    vaultSuffix: "vault.azure.cn",
    loginAliases: ["login.partner.microsoftonline.cn"],
  },
  {
    name: "AzureGermanCloud",
    loginHost: "login.microsoftonline.de",
    vaultSuffix: "vault.microsoftazure.de",
  },
];

// go-autorest matches names case-insensitively and knows these aliases.
const ALIASES: Record<string, CloudName> = {
  azurepubliccloud: "AzurePublicCloud",
  azurecloud: "AzurePublicCloud",
  azureusgovernmentcloud: "AzureUSGovernmentCloud",
  azureusgovernment: "AzureUSGovernmentCloud",
  azurechinacloud: "AzureChinaCloud",
  azuregermancloud: "AzureGermanCloud",
  azurestackcloud: "AzureStackCloud",
};

/** Returns the canonical name for a cloud name or alias, or undefined. */
export function canonicalCloudName(name: string): CloudName | undefined {
  return ALIASES[name.trim().toLowerCase()];
}

/** All clouds, AzureStack included, with the given AzureStack endpoints. */
export function allClouds(stack: AzureStackEndpoints, moreStacks: AzureStackEndpoints[] = []): Cloud[] {
  const stacks = [stack, ...moreStacks].map(stackCloud);
  const unique = stacks.filter((c, i) => stacks.findIndex((o) => o.vaultSuffix === c.vaultSuffix) === i);
  return [...FIXED_CLOUDS, ...unique];
}

/** The cloud of one AzureStack hub (a vault may name its own hub; see Vault.azureStack). */
export function stackCloud(stack: AzureStackEndpoints): Cloud {
  return {
    name: "AzureStackCloud",
    loginHost: stack.loginHost.toLowerCase(),
    vaultSuffix: stack.vaultDnsSuffix.toLowerCase(),
  };
}

/** The cloud with this canonical name. */
export function cloudByName(name: CloudName, stack: AzureStackEndpoints): Cloud {
  const cloud = allClouds(stack).find((c) => c.name === name);
  if (!cloud) throw new Error(`unknown cloud ${name}`);
  return cloud;
}

/** The token audience Key Vault expects in this cloud, e.g. `https://vault.azure.net`. */
export function vaultResource(cloud: Cloud): string {
  return `https://${cloud.vaultSuffix}`;
}

/** True if `host` is `<something>.<vault suffix>` of some cloud. */
export function isVaultHost(host: string, clouds: Cloud[]): boolean {
  const h = host.toLowerCase();
  return clouds.some((c) => h.endsWith(`.${c.vaultSuffix}`) && h.length > c.vaultSuffix.length + 1);
}

/** True if `host` is the Entra login host of some cloud. */
export function isLoginHost(host: string, clouds: Cloud[]): boolean {
  const h = host.toLowerCase();
  return clouds.some((c) => c.loginHost === h || (c.loginAliases ?? []).includes(h));
}

/** DNS names the emulator's TLS certificate must cover. */
export function certificateNames(clouds: Cloud[]): string[] {
  return clouds.flatMap((c) => [`*.${c.vaultSuffix}`, c.loginHost, ...(c.loginAliases ?? [])]);
}
