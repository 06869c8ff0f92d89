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
import { PublicJwk, publicKeyPem } from "./public_key.ts";
import { secretOnlyFieldsProblem } from "./secret_only_fields.ts";

/**
 * `objectType: key`: the public key as PKIX `PUBLIC KEY` PEM (RSA, RSA-HSM, EC, EC-HSM).
 * Key Vault's GET returns only the public JWK; the provider never asks for private material
 * (no export or release call).
 */
export const keyType: ObjectType<PublicJwk> = {
  type: "key",

  checkSpec: secretOnlyFieldsProblem,

  async get(
    vault: VaultAccess,
    name: string,
    version: string,
    signal: AbortSignal,
  ): Promise<Fetched<PublicJwk>> {
    const client = await vault.keys();
    const key = await vault.request(
      "keys",
      () => client.getKey(name, { version: version || undefined, abortSignal: signal }),
    );
    if (!key.key) throw new ObjectFormatError("key value is nil");
    if (!key.key.kid || !key.properties.version) throw new ObjectFormatError("key id is nil");
    const { kty, crv, n, e, x, y } = key.key;
    return { version: key.properties.version, value: { kty, crv, n, e, x, y } };
  },

  async listVersions(vault: VaultAccess, name: string, signal: AbortSignal): Promise<VersionProperties[]> {
    const client = await vault.keys();
    return await vault.request(
      "keys",
      () => collectVersions(client.listPropertiesOfKeyVersions(name, { abortSignal: signal })),
    );
  },

  toFiles(_spec: ObjectSpec, jwk: PublicJwk, _context: FormatContext): OutputFile[] {
    return [{ suffix: "", contents: new TextEncoder().encode(publicKeyPem(jwk)) }];
  },
};
