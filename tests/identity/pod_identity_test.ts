/** The NMI credential: NMI's protocol and its token cache, against a stub NMI on loopback. */
import assert from "node:assert/strict";
import { type AccessToken, CredentialUnavailableError, type GetTokenOptions } from "@azure/identity";
import { inspectMount } from "../../src/mount/plan.ts";
import { mountOptions, parseFlags } from "../../src/ops/flags.ts";
import { mountRequest } from "../harness/spc.ts";
import { until } from "../harness/wait.ts";

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

/**
 * The credential the provider builds for a pod-identity mount of pod team-a/web-0 in the US
 * Government cloud, with --nmi-address `nmiAddress`: planned as the provider plans a Mount.
 */
function podCredential(
  nmiAddress: string,
): { getToken(scope: string, options?: GetTokenOptions): Promise<AccessToken> } {
  const request = mountRequest({
    objects: [{ objectName: "s", objectType: "secret" }],
    podNamespace: "team-a",
    podName: "web-0",
    parameters: { usePodIdentity: "true", cloudName: "AzureUSGovernmentCloud" },
  });
  const inspection = inspectMount(request, {
    ...mountOptions(parseFlags([`--nmi-address=${nmiAddress}`])),
    readTextFile: () => assert.fail("no file is read"),
  });
  assert.ok(inspection.plan, JSON.stringify(inspection.problems));
  const credential = inspection.plan.identity.createCredential();
  return {
    async getToken(scope, options) {
      const token = await credential.getToken(scope, options);
      assert.ok(token, "a token or an error, never null");
      return token;
    },
  };
}

const SCOPE = "https://vault.usgovcloudapi.net/.default";
const now = () => Math.floor(Date.now() / 1000);

Deno.test("NMI: the host token path, the pod headers, the resource unescaped; cached until near expiry", async () => {
  let expiresOn = now() + 3600;
  const nmi = stubNmi(() => nmiBody(expiresOn));
  try {
    const credential = podCredential(nmi.address);
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
    const fresh = podCredential(nmi.address);
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
    const credential = podCredential(nmi.address);
    await assert.rejects(credential.getToken(SCOPE), (error: Error) => {
      assert.ok(error instanceof CredentialUnavailableError);
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
  const credential = podCredential(address);
  await assert.rejects(credential.getToken(SCOPE), (error: Error) => {
    assert.ok(error instanceof CredentialUnavailableError);
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
    const credential = podCredential(nmi.address);
    const controller = new AbortController();
    const pending = credential.getToken(SCOPE, { abortSignal: controller.signal });
    await until(() => nmi.seen.length > 0, "the request at NMI");
    controller.abort(new DOMException("gone", "AbortError"));
    await assert.rejects(pending, (error: Error) => error.name === "AbortError");
  } finally {
    release();
    await nmi.close();
  }
});

Deno.test("NMI answers: expires_on as a string or a number; unreadable means already expired", async () => {
  const answers: unknown[] = [];
  const nmi = stubNmi(() => new Response(JSON.stringify(answers.shift())));
  const answer = (expires_on: unknown) => ({ token: { access_token: "t", expires_on }, clientid: "c" });
  try {
    for (const expires_on of ["1700003599", 1700003599]) {
      answers.push(answer(expires_on));
      assert.equal((await podCredential(nmi.address).getToken(SCOPE)).expiresOnTimestamp, 1700003599000);
    }
    const before = Date.now();
    answers.push(answer("soon"), answer(""));
    const unreadable = podCredential(nmi.address);
    assert.ok((await unreadable.getToken(SCOPE)).expiresOnTimestamp <= Date.now());
    assert.ok((await unreadable.getToken(SCOPE)).expiresOnTimestamp >= before, "expired: asked again");
    assert.equal(nmi.seen.length, 4);
    answers.push({ token: { access_token: "t" }, clientid: "" });
    await assert.rejects(podCredential(nmi.address).getToken(SCOPE), CredentialUnavailableError);
  } finally {
    await nmi.close();
  }
});
