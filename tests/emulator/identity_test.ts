/** Entra, IMDS and NMI endpoints, checked with raw HTTP (no SDK). */
import assert from "node:assert/strict";
import { withEmulator } from "../harness/emulator.ts";
import { startEmulator } from "./emulator.ts";
import { assertionPoster, SP_APP, TOKEN_URL, tokenForm, VM_USER } from "./test_support.ts";
import { TENANT } from "../harness/spc.ts";
import { serviceAccountJwt } from "../harness/service_account.ts";

const LOGIN = "https://login.microsoftonline.com";

Deno.test("Entra: client secret success, wrong secret, unknown client, unknown tenant", async () => {
  await withEmulator(async (emu, fetch) => {
    const ok = await fetch(
      `${TOKEN_URL}?client-request-id=abc`,
      tokenForm({ client_id: SP_APP.clientId, client_secret: SP_APP.secret }),
    );
    assert.equal(ok.status, 200);
    const body = await ok.json();
    assert.deepEqual(Object.keys(body), ["token_type", "expires_in", "ext_expires_in", "access_token"]);
    assert.equal(body.token_type, "Bearer");
    assert.equal(body.expires_in, 3599);
    assert.deepEqual(emu.issuedTokens(), [body.access_token]);

    const wrong = await fetch(
      `${TOKEN_URL}?client-request-id=abc`,
      tokenForm({ client_id: SP_APP.clientId, client_secret: "nope" }),
    );
    assert.equal(wrong.status, 401);
    const err = await wrong.json();
    assert.equal(err.error, "invalid_client");
    assert.deepEqual(err.error_codes, [7000215]);
    assert.match(err.error_description, /^AADSTS7000215: Invalid client secret provided\./);
    assert.equal(err.correlation_id, "abc");

    const unknown = await fetch(
      TOKEN_URL,
      tokenForm({ client_id: "12345678-0000-0000-0000-000000000000", client_secret: "x" }),
    );
    assert.equal(unknown.status, 400);
    const u = await unknown.json();
    assert.equal(u.error, "unauthorized_client");
    assert.deepEqual(u.error_codes, [700016]);

    const tenant = await fetch(
      `${LOGIN}/00000000-1111-2222-3333-444444444444/oauth2/v2.0/token`,
      tokenForm({ client_id: SP_APP.clientId, client_secret: SP_APP.secret }),
    );
    assert.equal(tenant.status, 400);
    assert.deepEqual((await tenant.json()).error_codes, [90002]);
  });
});

Deno.test("Entra: client assertions are checked for audience, expiry and subject", async () => {
  await withEmulator(async (emu, fetch) => {
    const post = assertionPoster(fetch);
    const sub = "system:serviceaccount:default:workload-sa";
    const good = await post(serviceAccountJwt({ sub }));
    assert.equal(good.status, 200);
    assert.equal(emu.requests({ service: "entra" })[0].identity, "wi-app");

    const expired = await post(serviceAccountJwt({ sub, exp: Math.floor(Date.now() / 1000) - 10 }));
    assert.deepEqual([expired.status, expired.body.error_codes], [400, [700024]]);
    const audience = await post(serviceAccountJwt({ sub, aud: "api://Other" }));
    assert.deepEqual([audience.status, audience.body.error_codes], [400, [700212]]);
    const subject = await post(serviceAccountJwt({ sub: "system:serviceaccount:default:other" }));
    assert.deepEqual([subject.status, subject.body.error, subject.body.error_codes], [400, "invalid_client", [
      70021,
    ]]);
    assert.match(
      subject.body.error_description,
      /No matching federated identity record found for presented assertion/,
    );
    const garbage = await post("not-a-jwt");
    assert.deepEqual(garbage.body.error_codes, [50027]);
  });
});

Deno.test("Entra: discovery documents name endpoints on the host that was asked", async () => {
  await withEmulator(async (_emu, fetch) => {
    const oidc =
      await (await fetch(`https://login.microsoftonline.us/${TENANT}/v2.0/.well-known/openid-configuration`))
        .json();
    assert.equal(oidc.issuer, `https://login.microsoftonline.us/${TENANT}/v2.0`);
    assert.equal(oidc.token_endpoint, `https://login.microsoftonline.us/${TENANT}/oauth2/v2.0/token`);
    assert.equal(
      oidc.authorization_endpoint,
      `https://login.microsoftonline.us/${TENANT}/oauth2/v2.0/authorize`,
    );
    assert.equal(oidc.jwks_uri, `https://login.microsoftonline.us/${TENANT}/discovery/v2.0/keys`);
    const instance = await (await fetch(
      `${LOGIN}/common/discovery/instance?api-version=1.1&authorization_endpoint=https://login.chinacloudapi.cn/${TENANT}/oauth2/v2.0/authorize`,
    )).json();
    assert.equal(
      instance.tenant_discovery_endpoint,
      `https://login.chinacloudapi.cn/${TENANT}/v2.0/.well-known/openid-configuration`,
    );
    assert.deepEqual(await (await fetch(`${LOGIN}/common/discovery/keys`)).json(), { keys: [] });
  });
});

Deno.test("Entra: token lifetime is configurable for near-expiry tests", async () => {
  await withEmulator(async (emu, fetch) => {
    const form = () => tokenForm({ client_id: SP_APP.clientId, client_secret: SP_APP.secret });
    assert.equal((await (await fetch(TOKEN_URL, form())).json()).expires_in, 90);
    emu.setTokenLifetime(5);
    assert.equal((await (await fetch(TOKEN_URL, form())).json()).expires_in, 5);
  }, { tokenLifetimeSeconds: 90 });
});

Deno.test("IMDS: header, identity selection and string-typed answers", async () => {
  await using emu = await startEmulator();
  const base = `${emu.imdsUrl}/metadata/identity/oauth2/token`;
  const query = "api-version=2018-02-01&resource=https%3A%2F%2Fvault.azure.net";
  const noHeader = await fetch(`${base}?${query}`);
  assert.equal(noHeader.status, 400);
  assert.deepEqual(await noHeader.json(), {
    error: "invalid_request",
    error_description: "Required metadata header not specified",
  });
  const headers = { metadata: "true" };
  const system = await (await fetch(`${base}/?${query}`, { headers })).json();
  assert.deepEqual(Object.keys(system).sort(), [
    "access_token",
    "client_id",
    "expires_in",
    "expires_on",
    "ext_expires_in",
    "not_before",
    "resource",
    "token_type",
  ]);
  assert.equal(system.expires_in, "86400");
  assert.equal(typeof system.expires_on, "string");
  assert.equal(system.resource, "https://vault.azure.net");
  const user = await (await fetch(`${base}?${query}&client_id=${VM_USER.clientId}`, { headers })).json();
  assert.equal(user.client_id, VM_USER.clientId);
  const unknown = await fetch(`${base}?${query}&client_id=00000000-0000-0000-0000-000000000009`, { headers });
  assert.equal(unknown.status, 400);
  assert.equal((await unknown.json()).error_description, "Identity not found");
  assert.deepEqual(emu.requests({ service: "imds", status: 200 }).map((r) => r.identity), [
    "vm-system",
    "vm-user",
  ]);
});

Deno.test("NMI: pod binding, missing headers, unknown pod", async () => {
  await using emu = await startEmulator();
  const url = `http://${emu.nmiAddress}/host/token/?resource=https://vault.azure.net`;
  const ok = await fetch(url, { headers: { podns: "default", podname: "nginx" } });
  assert.equal(ok.status, 200);
  const body = await ok.json();
  assert.equal(body.clientid, "66666666-6666-6666-6666-666666666666");
  assert.equal(body.token.refresh_token, "");
  assert.equal(body.token.resource, "https://vault.azure.net");
  assert.equal(body.token.expires_in, "3599");
  assert.ok(Number(body.token.expires_on) > Date.now() / 1000);
  assert.ok(emu.issuedTokens().includes(body.token.access_token));

  const missing = await fetch(url);
  assert.equal(missing.status, 400);
  assert.equal(await missing.text(), "missing 'podname' and 'podns' from request header\n");
  const unknown = await fetch(url, { headers: { podns: "default", podname: "other" } });
  assert.equal(unknown.status, 404);
  assert.match(await unknown.text(), /^no AzureAssignedIdentity found for pod:default\/other/);
  assert.deepEqual(emu.requests({ service: "nmi" }).map((r) => r.status), [200, 400, 404]);
});

Deno.test("NMI and IMDS tokens open the vault for their identities", async () => {
  await withEmulator(async (emu, fetch) => {
    const nmi = await (await globalThis.fetch(
      `http://${emu.nmiAddress}/host/token/?resource=https://vault.azure.net`,
      { headers: { podns: "default", podname: "nginx" } },
    )).json();
    const res = await fetch("https://demo-vault.vault.azure.net/secrets/api-key", {
      headers: { authorization: `Bearer ${nmi.token.access_token}` },
    });
    assert.equal((await res.json()).value, "ak_live_0123456789abcdef");
    assert.equal(emu.requests({ service: "keyvault" })[0].identity, "pod-id");
  });
});
