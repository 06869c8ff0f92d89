import { InvalidMountConfigError } from "../errors.ts";
import { describeJsonSyntaxError } from "../text/json_syntax.ts";

/** The endpoints of one Azure cloud that a mount needs. */
export interface CloudEnvironment {
  /** The canonical name, as go-autorest spells it (e.g. `AzurePublicCloud`). */
  readonly name: string;
  /** Entra ID authority host, without a trailing slash. */
  readonly activeDirectoryEndpoint: string;
  /** The Key Vault resource (token audience), without a trailing slash. */
  readonly keyVaultEndpoint: string;
  /** The vault host suffix: `<vault>.<suffix>`. */
  readonly keyVaultDnsSuffix: string;
  /**
   * True when public Entra ID knows this cloud's authority, so MSAL may validate it by instance
   * discovery; false for a cloud described by a file (AzureStack, or AD FS), whose authority
   * must be trusted as given because login.microsoftonline.com cannot vouch for it.
   */
  readonly instanceDiscovery: boolean;
}

const PUBLIC: CloudEnvironment = {
  name: "AzurePublicCloud",
  activeDirectoryEndpoint: "https://login.microsoftonline.com",
  keyVaultEndpoint: "https://vault.azure.net",
  keyVaultDnsSuffix: "vault.azure.net",
  instanceDiscovery: true,
};
const US_GOVERNMENT: CloudEnvironment = {
  name: "AzureUSGovernmentCloud",
  activeDirectoryEndpoint: "https://login.microsoftonline.us",
  keyVaultEndpoint: "https://vault.usgovcloudapi.net",
  keyVaultDnsSuffix: "vault.usgovcloudapi.net",
  instanceDiscovery: true,
};
const CHINA: CloudEnvironment = {
  name: "AzureChinaCloud",
  activeDirectoryEndpoint: "https://login.chinacloudapi.cn",
  keyVaultEndpoint: "https://vault.azure.cn",
  keyVaultDnsSuffix: "vault.azure.cn",
  instanceDiscovery: true,
};
const GERMAN: CloudEnvironment = {
  name: "AzureGermanCloud",
  activeDirectoryEndpoint: "https://login.microsoftonline.de",
  keyVaultEndpoint: "https://vault.microsoftazure.de",
  keyVaultDnsSuffix: "vault.microsoftazure.de",
  instanceDiscovery: true,
};

/** The name that selects a cloud described by a file (`cloudEnvFileName`). */
export const AZURE_STACK_CLOUD = "AZURESTACKCLOUD";

/** Well-known clouds by upper-cased name, aliases included (go-autorest accepts both). */
const WELL_KNOWN: ReadonlyMap<string, CloudEnvironment> = new Map([
  ["AZUREPUBLICCLOUD", PUBLIC],
  ["AZURECLOUD", PUBLIC],
  ["AZUREUSGOVERNMENTCLOUD", US_GOVERNMENT],
  ["AZUREUSGOVERNMENT", US_GOVERNMENT],
  ["AZURECHINACLOUD", CHINA],
  ["AZUREGERMANCLOUD", GERMAN],
]);

/** Every name `cloudName` accepts, for messages and suggestions. */
export const CLOUD_NAMES = [
  "AzurePublicCloud",
  "AzureCloud",
  "AzureUSGovernmentCloud",
  "AzureUSGovernment",
  "AzureChinaCloud",
  "AzureGermanCloud",
  "AzureStackCloud",
];

/** True when the name (any case) is one `cloudName` accepts. */
export function isCloudName(name: string): boolean {
  const upper = name.toUpperCase();
  return WELL_KNOWN.has(upper) || upper === AZURE_STACK_CLOUD;
}

/**
 * Resolves a well-known cloud by name, case-insensitively. AzureStackCloud is described by a
 * file and resolved by {@link cloudFromEnvironmentFile}.
 */
export function wellKnownCloud(name: string): CloudEnvironment {
  const cloud = WELL_KNOWN.get(name.toUpperCase());
  if (!cloud) {
    throw new InvalidMountConfigError(
      `cloudName ${name} is not valid, error: autorest/azure: There is no cloud environment matching the name ${
        JSON.stringify(name.toUpperCase())
      } (valid names: ${CLOUD_NAMES.join(", ")})`,
    );
  }
  return cloud;
}

/**
 * Builds a cloud from the JSON of an Azure environment file (the go-autorest format used by
 * AzureStackCloud). Only the fields a mount needs are read.
 */
export function cloudFromEnvironmentFile(fileName: string, json: string): CloudEnvironment {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(json);
  } catch (error) {
    throw new InvalidMountConfigError(
      `cloudName AzureStackCloud is not valid, error: ${fileName} is ${describeJsonSyntaxError(error)}`,
    );
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    throw new InvalidMountConfigError(
      `cloudName AzureStackCloud is not valid, error: ${fileName} must hold a JSON object`,
    );
  }
  const field = (key: string): string => {
    const value = data?.[key];
    if (typeof value !== "string" || value.trim() === "") {
      throw new InvalidMountConfigError(
        `cloudName AzureStackCloud is not valid, error: ${fileName} has no ${key}`,
      );
    }
    return value.trim();
  };
  // Tokens and secrets travel to these endpoints: anything but an https URL is refused here.
  const httpsUrl = (key: string): string => {
    const value = withoutTrailingSlash(field(key));
    if (!/^https:\/\/[^/?#\s]+(\/[^?#\s]*)?$/i.test(value)) {
      throw new InvalidMountConfigError(
        `cloudName AzureStackCloud is not valid, error: ${key} in ${fileName} must be an https:// URL, not ${
          JSON.stringify(value)
        }`,
      );
    }
    return value;
  };
  const suffix = field("keyVaultDNSSuffix").replace(/^\./, "");
  if (!/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/i.test(suffix)) {
    throw new InvalidMountConfigError(
      `cloudName AzureStackCloud is not valid, error: keyVaultDNSSuffix in ${fileName} must be a DNS name, not ${
        JSON.stringify(suffix)
      }`,
    );
  }
  return {
    name: typeof data.name === "string" ? data.name : "AzureStackCloud",
    activeDirectoryEndpoint: httpsUrl("activeDirectoryEndpoint"),
    keyVaultEndpoint: httpsUrl("keyVaultEndpoint"),
    keyVaultDnsSuffix: suffix,
    instanceDiscovery: false,
  };
}

function withoutTrailingSlash(url: string): string {
  return url.replace(/\/+$/, "");
}
