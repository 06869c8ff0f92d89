import denoJson from "../deno.json" with { type: "json" };

/** The runtime name answered by Version, the Go provider's, so dashboards keep working. */
export const PROVIDER_NAME = "secrets-store-csi-driver-provider-azure";
/** This project's semver, from deno.json. */
export const PROVIDER_VERSION: string = denoJson.version;
