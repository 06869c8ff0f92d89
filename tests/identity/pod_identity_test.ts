/**
 * The credentials' own behaviour: NMI's protocol and token cache (against a stub NMI on
 * loopback), shared exchanges with per-caller cancellation, and the bounded credential cache.
 */
import assert from "node:assert/strict";
import { identityKey } from "../../src/cache/keys.ts";
import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { CredentialCache } from "../../src/identity/credentials.ts";
import type { ResolvedIdentity } from "../../src/identity/identity_mode.ts";
import { NmiCredential, NmiError, parseNmiToken } from "../../src/identity/pod_identity.ts";
import { SharedTokenCredential } from "../../src/identity/shared_token_credential.ts";

interface SeenRequest {
  url: string;
  podns: string | null;
  podname: string | null;
}

/** A stub NMI answering with `respond`, recording what it was asked. */
function stubNmi(respond: (seen: SeenRequest) => Response | Promise<Response>) {
  const seen: SeenRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, (req) => {
    const request = { url: req.url, podns: req.headers.get("podns"), podname: req.headers.get("podname") };
    seen.push(request);
    return respond(request);
  });
  return { seen, address: `127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

function nmiBody(expiresOn: number, token = "tok-1"): Response {
  return Response.json({
    token: {
      access_token: token,
      refresh_token: "",
      expires_in: "3599",
      expires_on: String(expiresOn),
      not_before: "0",
      resource: "https://vault.azure.net",
      token_type: "Bearer",
    },
    clientid: "66666666-6666-6666-6666-666666666666",
  });
}

const TARGET = { podNamespace: "team-a", podName: "web-0", resource: "https://vault.usgovcloudapi.net" };
const SCOPE = "https://vault.usgovcloudapi.net/.default";
const now = () => Math.floor(Date.now() / 1000);

Deno.test("NMI: the host token path, the pod headers, the resource unescaped; cached until near expiry", async () => {
  let expiresOn = now() + 3600;
  const nmi = stubNmi(() => nmiBody(expiresOn));
  try {
    const credential = new NmiCredential({ ...TARGET, nmiAddress: nmi.address });
    const first = await credential.getToken(SCOPE);
    assert.equal(first.token, "tok-1");
    assert.equal(first.expiresOnTimestamp, expiresOn * 1000);
    assert.deepEqual(nmi.seen, [{
      url: `http://${nmi.address}/host/token/?resource=https://vault.usgovcloudapi.net`,
      podns: "team-a",
      podname: "web-0",
    }]);
    await credential.getToken(SCOPE);
    assert.equal(nmi.seen.length, 1, "a valid token is reused");

    expiresOn = now() + 120;
    const fresh = new NmiCredential({ ...TARGET, nmiAddress: nmi.address });
    await fresh.getToken(SCOPE);
    await fresh.getToken(SCOPE);
    assert.equal(nmi.seen.length, 3, "a token within five minutes of expiry is renewed");
  } finally {
    await nmi.close();
  }
});

Deno.test("NMI: error statuses and incomplete answers keep the Go provider's wording", async () => {
  const answers = [
    new Response("no AzureAssignedIdentity found for pod:team-a/web-0 in assigned state\n", { status: 404 }),
    Response.json({ token: { access_token: "x" } }),
    new Response("not json"),
  ];
  const nmi = stubNmi(() => answers.shift()!);
  try {
    const credential = new NmiCredential({ ...TARGET, nmiAddress: nmi.address });
    await assert.rejects(credential.getToken(SCOPE), (error: Error) => {
      assert.ok(error instanceof NmiError);
      assert.equal(error.name, "CredentialUnavailableError");
      assert.equal(
        error.message,
        "nmi response failed with status code: 404, response body: no AzureAssignedIdentity found for pod:team-a/web-0 in assigned state",
      );
      return true;
    });
    for (let i = 0; i < 2; i++) {
      await assert.rejects(credential.getToken(SCOPE), (error: Error) => {
        assert.equal(error.message, "nmi did not return expected values in response: token and clientid");
        return true;
      });
    }
  } finally {
    await nmi.close();
  }
});

Deno.test("NMI: an unreachable NMI names the address and the flag", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const address = `127.0.0.1:${(listener.addr as Deno.NetAddr).port}`;
  listener.close();
  const credential = new NmiCredential({ ...TARGET, nmiAddress: address });
  await assert.rejects(credential.getToken(SCOPE), (error: Error) => {
    assert.ok(error instanceof NmiError);
    assert.equal(
      error.message,
      `cannot reach NMI at ${address} (usePodIdentity needs aad-pod-identity's NMI on this node; ` +
        `the provider's --nmi-address flag says where): connect ECONNREFUSED ${address}`,
    );
    return true;
  });
});

Deno.test("NMI: the caller's abort signal cancels the request", async () => {
  let release = () => {};
  const hung = new Promise<void>((resolve) => release = resolve);
  const nmi = stubNmi(async () => {
    await hung;
    return nmiBody(now() + 3600);
  });
  try {
    const credential = new NmiCredential({ ...TARGET, nmiAddress: nmi.address });
    const controller = new AbortController();
    const pending = credential.getToken(SCOPE, { abortSignal: controller.signal });
    while (nmi.seen.length === 0) await new Promise((resolve) => setTimeout(resolve, 5));
    controller.abort(new DOMException("gone", "AbortError"));
    await assert.rejects(pending, (error: Error) => error.name === "AbortError");
  } finally {
    release();
    await nmi.close();
  }
});

Deno.test("NMI answers: expires_on as a string or a number; unreadable means already expired", () => {
  const body = (expires_on: unknown) =>
    JSON.stringify({ token: { access_token: "t", expires_on }, clientid: "c" });
  assert.equal(parseNmiToken(body("1700003599")).expiresOnTimestamp, 1700003599000);
  assert.equal(parseNmiToken(body(1700003599)).expiresOnTimestamp, 1700003599000);
  const before = Date.now();
  assert.ok(parseNmiToken(body("soon")).expiresOnTimestamp <= Date.now());
  assert.ok(parseNmiToken(body("")).expiresOnTimestamp >= before);
  assert.throws(
    () => parseNmiToken(JSON.stringify({ token: { access_token: "t" }, clientid: "" })),
    NmiError,
  );
});

/** A credential whose exchanges the test finishes by hand. */
class ManualCredential implements TokenCredential {
  readonly calls: { signal?: AbortSignal; finish: (token: AccessToken) => void }[] = [];
  getToken(_scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    return new Promise((resolve, reject) => {
      const signal = options.abortSignal as AbortSignal | undefined;
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      this.calls.push({ signal, finish: resolve });
    });
  }
}

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
