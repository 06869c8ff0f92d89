import assert from "node:assert/strict";
import type { AccessToken } from "@azure/identity";
import { SharedTokenCredential } from "../../src/identity/shared_token_credential.ts";
import { ManualCredential } from "../harness/manual_credential.ts";

const SCOPE = "https://vault.azure.net/.default";

const TOKEN: AccessToken = { token: "t", expiresOnTimestamp: Date.now() + 3600_000 };

Deno.test("shared exchanges: concurrent callers share one; one caller giving up leaves the others", async () => {
  const inner = new ManualCredential();
  const shared = new SharedTokenCredential(inner);
  const quitter = new AbortController();
  const a = shared.getToken(SCOPE, { abortSignal: quitter.signal });
  const b = shared.getToken(SCOPE, { abortSignal: new AbortController().signal });
  const c = shared.getToken(SCOPE);
  assert.equal(inner.calls.length, 1);
  quitter.abort(new DOMException("gone", "AbortError"));
  await assert.rejects(a, (error: Error) => error.name === "AbortError");
  assert.equal(inner.calls[0].signal?.aborted, false, "others still wait");
  inner.calls[0].finish(TOKEN);
  assert.deepEqual(await b, TOKEN);
  assert.deepEqual(await c, TOKEN);
});

Deno.test("shared exchanges: the exchange is cancelled once every caller has given up", async () => {
  const inner = new ManualCredential();
  const shared = new SharedTokenCredential(inner);
  const one = new AbortController();
  const two = new AbortController();
  const a = shared.getToken(SCOPE, { abortSignal: one.signal });
  const b = shared.getToken(SCOPE, { abortSignal: two.signal });
  one.abort();
  two.abort();
  await Promise.allSettled([a, b]);
  assert.equal(inner.calls[0].signal?.aborted, true);
  const again = shared.getToken(SCOPE);
  assert.equal(inner.calls.length, 2, "a later caller starts a new exchange");
  inner.calls[1].finish(TOKEN);
  assert.deepEqual(await again, TOKEN);
});
