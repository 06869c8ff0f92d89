import assert from "node:assert/strict";
import { identityKey } from "../../src/cache/keys.ts";
import { CredentialCache } from "../../src/identity/credentials.ts";
import type { ResolvedIdentity } from "../../src/identity/identity_mode.ts";
import { ManualCredential } from "../harness/manual_credential.ts";

function identity(name: string, log: string[]): ResolvedIdentity {
  const key = name;
  return {
    mode: "test",
    key: identityKey("test", { name }),
    description: key,
    createCredential: () => {
      log.push(`create ${key}`);
      return new ManualCredential();
    },
    update: () => log.push(`update ${key}`),
  };
}

Deno.test("credential cache: one credential per key, updated on reuse", () => {
  const log: string[] = [];
  const cache = new CredentialCache();
  const a = cache.credentialFor(identity("a", log));
  assert.equal(cache.credentialFor(identity("a", log)), a);
  const b = cache.credentialFor(identity("b", log));
  assert.notEqual(b, a);
  assert.deepEqual(log, ["create a", "update a", "create b"]);
});
