import type { ObjectSpec } from "../config/object_spec.ts";
import type { VaultAccess } from "../keyvault/vault_clients.ts";
import { decodeContent } from "./encoding.ts";
import { jsonFieldFiles } from "./json_fields.ts";
import {
  Fetched,
  FormatContext,
  ListedObject,
  ObjectFormatError,
  ObjectType,
  OutputFile,
  VersionProperties,
} from "./object_type.ts";
import { secretFieldsProblem } from "./secret_only_fields.ts";
import { collectVersions } from "./versions.ts";

/** A secret as the files need it. */
export interface SecretContent {
  readonly value: string;
  readonly contentType?: string;
  /** Set when the secret backs a certificate (its `kid`). */
  readonly certificateKeyId?: string;
}

type CertificateSecrets = typeof import("./certificate_secret.ts");
let certificateSecrets: CertificateSecrets | undefined;

/**
 * Loads the conversion of certificate-backed secrets (and with it node-forge) when the first
 * such secret arrives, so that processes which never mount one never load it.
 */
async function loadCertificateSecrets(): Promise<CertificateSecrets> {
  return certificateSecrets ??= await import("./certificate_secret.ts");
}

/**
 * `objectType: secret`: the value, decoded by objectEncoding; a certificate's secret (one
 * with `kid`) becomes PEM or PFX files (certificate_secret.ts).
 */
export const secretType: ObjectType<SecretContent> = {
  type: "secret",

  checkSpec: secretFieldsProblem,

  async get(
    vault: VaultAccess,
    name: string,
    version: string,
    signal: AbortSignal,
  ): Promise<Fetched<SecretContent>> {
    const client = await vault.secrets();
    const secret = await vault.request(
      "secrets",
      () => client.getSecret(name, { version: version || undefined, abortSignal: signal }),
    );
    if (secret.value === undefined) throw new ObjectFormatError("secret value is nil");
    if (!secret.properties.version) throw new ObjectFormatError("secret id is nil");
    if (secret.properties.certificateKeyId) await loadCertificateSecrets();
    return {
      version: secret.properties.version,
      value: {
        value: secret.value,
        contentType: secret.properties.contentType,
        certificateKeyId: secret.properties.certificateKeyId,
      },
    };
  },

  async listVersions(vault: VaultAccess, name: string, signal: AbortSignal): Promise<VersionProperties[]> {
    const client = await vault.secrets();
    return await vault.request(
      "secrets",
      () => collectVersions(client.listPropertiesOfSecretVersions(name, { abortSignal: signal })),
    );
  },

  async listObjects(vault: VaultAccess, signal: AbortSignal): Promise<ListedObject[]> {
    const client = await vault.secrets();
    return await vault.request("secrets", async () => {
      const listed: ListedObject[] = [];
      // The SDK pager follows every nextLink; each page is one request.
      for await (const properties of client.listPropertiesOfSecrets({ abortSignal: signal })) {
        if (properties.name) listed.push({ name: properties.name, enabled: properties.enabled !== false });
      }
      return listed;
    });
  },

  toFiles(spec: ObjectSpec, content: SecretContent, context: FormatContext): OutputFile[] {
    if (content.certificateKeyId) {
      if (spec.jmesPath) {
        throw new ObjectFormatError(
          "jmesPath needs the secret's value to be JSON, but this secret backs a certificate",
        );
      }
      // get() loaded the module: a certificate-backed secret is only ever formatted after it.
      if (!certificateSecrets) throw new Error("certificate-backed secret formatted before it was fetched");
      return certificateSecrets.certificateSecretFiles(spec, content.value, content.contentType, context);
    }
    const file = { suffix: "", contents: decodeContent(content.value, spec.objectEncoding) };
    return spec.jmesPath ? [file, ...jsonFieldFiles(spec.jmesPath, content.value)] : [file];
  },
};
