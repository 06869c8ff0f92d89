/** A seed and helpers shared by the integration tests of the Mount pipeline. */
import { startWorld as startWorldOf, type World } from "../harness/world.ts";

import { SP, SP_IDENTITY, TENANT } from "../harness/spc.ts";

export { SP, TENANT };
export const OUTSIDER = {
  clientid: "22222222-2222-2222-2222-222222222222",
  clientsecret: "outsider-Secret.2",
};

/** Secrets with known values: plain text, base64, hex, several versions, one disabled. */
export const SEED = {
  tokenLifetimeSeconds: 3599,
  identities: [
    SP_IDENTITY,
    {
      name: "sp-outsider",
      kind: "servicePrincipal",
      tenant: TENANT,
      clientId: OUTSIDER.clientid,
      clientSecret: OUTSIDER.clientsecret,
    },
  ],
  vaults: [{
    name: "demo-vault",
    cloud: "AzurePublicCloud",
    tenant: TENANT,
    readers: ["sp-app"],
    secrets: [
      {
        name: "db-password",
        versions: [
          { version: "0b1c8a7e2f9d4c6b8e1a3d5f7c9b2e40", value: "first-Passw0rd", created: 1700000000 },
          {
            version: "7d3e9f1a5c2b4e8d9a6f0c1b3e5d7a91",
            value: "leaked-Passw0rd",
            enabled: false,
            created: 1700086400,
          },
          { version: "c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63", value: "current-Passw0rd", created: 1700172800 },
        ],
      },
      {
        name: "api-key",
        versions: [{ version: "5e8a1c3f7b9d4e2a6c0f8b1d3e5a7c92", value: "ak_live_0123456789abcdef" }],
      },
      { name: "blob-b64", versions: [{ version: "aa01", value: "AAEC/f7/" }] },
      { name: "blob-hex", versions: [{ version: "bb02", value: "00ff10" }] },
      { name: "unicode", versions: [{ version: "cc03", value: "pässwörd ✓ 🔑" }] },
    ],
  }],
};

/** Every secret value of {@link SEED}, for leak scans. */
export const SEEDED_VALUES = [
  "first-Passw0rd",
  "leaked-Passw0rd",
  "current-Passw0rd",
  "ak_live_0123456789abcdef",
  SP.clientsecret,
  OUTSIDER.clientsecret,
];

export type { World };

/** Starts a world of {@link SEED} (or `options.seed`): the emulator and a provider wired to it. */
export function startWorld(
  options: { args?: string[]; seed?: Record<string, unknown>; permissions?: string[] } = {},
): Promise<World> {
  return startWorldOf(options.seed ?? SEED, options);
}
