import type { ObjectSpec } from "../config/object_spec.ts";
import type { VaultAccess } from "../keyvault/vault_clients.ts";
import {
  Fetched,
  FormatContext,
  ObjectFormatError,
  ObjectType,
  OutputFile,
  VersionProperties,
} from "./object_type.ts";
import { collectVersions } from "./versions.ts";
import { encodePem } from "./pem.ts";
import { secretOnlyFieldsProblem } from "./secret_only_fields.ts";

/**
 * `objectType: cert`: the certificate Key Vault returns (`cer`, the leaf only) as one
 * `CERTIFICATE` PEM block, its bytes untouched. The chain and the private key live in the
 * certificate's secret (`objectType: secret`).
 */
export const certificateType: ObjectType<Uint8Array> = {
  type: "cert",

  checkSpec: secretOnlyFieldsProblem,

  async get(
    vault: VaultAccess,
    name: string,
    version: string,
    signal: AbortSignal,
  ): Promise<Fetched<Uint8Array>> {
    const client = await vault.certificates();
    const options = { abortSignal: signal };
    const certificate = await vault.request(
      "certificates",
      () =>
        version ? client.getCertificateVersion(name, version, options) : client.getCertificate(name, options),
    );
    if (!certificate.cer?.length) throw new ObjectFormatError("certificate value is nil");
    if (!certificate.properties.version) throw new ObjectFormatError("certificate id is nil");
    return { version: certificate.properties.version, value: certificate.cer };
  },

  async listVersions(vault: VaultAccess, name: string, signal: AbortSignal): Promise<VersionProperties[]> {
    const client = await vault.certificates();
    return await vault.request(
      "certificates",
      () => collectVersions(client.listPropertiesOfCertificateVersions(name, { abortSignal: signal })),
    );
  },

  toFiles(_spec: ObjectSpec, cer: Uint8Array, _context: FormatContext): OutputFile[] {
    return [{ suffix: "", contents: new TextEncoder().encode(encodePem("CERTIFICATE", cer)) }];
  },
};
