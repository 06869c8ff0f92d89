/**
 * Key Vault protocol details, checked with raw HTTPS through the emulator's
 * proxy (no SDK): challenge first, token validation, access, errors, paging.
 */
import assert from "node:assert/strict";
import { withEmulator } from "../harness/emulator.ts";
import { SP_APP, SP_GETONLY, SP_OUTSIDER, tokenForm } from "./test_support.ts";
import { TENANT } from "../harness/spc.ts";

const VAULT = "https://demo-vault.vault.azure.net";
const LOGIN = `https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`;

async function tokenFor(
  fetch: (url: string, init?: RequestInit) => Promise<Response>,
  who = SP_APP,
  scope = "https://vault.azure.net/.default",
): Promise<string> {
  const res = await fetch(LOGIN, tokenForm({ client_id: who.clientId, client_secret: who.secret, scope }));
  assert.equal(res.status, 200);
  return (await res.json()).access_token;
}

const bearer = (token: string) => ({ headers: { authorization: `Bearer ${token}` } });

Deno.test("KV: the token-less request gets the challenge before any validation", async () => {
  await withEmulator(async (_emu, fetch) => {
    // Even a path that does not exist is challenged first.
    for (const path of ["/secrets/db-password/?api%2Dversion=2026-04-01", "/nonsense/path", "/secrets/x"]) {
      const res = await fetch(`${VAULT}${path}`, { method: path === "/secrets/x" ? "PUT" : "GET" });
      assert.equal(res.status, 401);
      assert.equal(
        res.headers.get("www-authenticate"),
        `Bearer authorization="https://login.microsoftonline.com/${TENANT}", resource="https://vault.azure.net"`,
      );
      assert.deepEqual(await res.json(), {
        error: { code: "Unauthorized", message: "AKV10000: Request is missing a Bearer or PoP token." },
      });
    }
  });
});

Deno.test("KV: foreign, expired and wrong-audience tokens are refused with the challenge", async () => {
  await withEmulator(async (emu, fetch) => {
    const url = `${VAULT}/secrets/api-key?api-version=7.4`;
    const forged = await fetch(url, bearer("eyJhbGciOiJub25lIn0.e30.x"));
    assert.equal(forged.status, 401);
    assert.ok(forged.headers.get("www-authenticate")?.startsWith("Bearer authorization="));
    await forged.body?.cancel();

    const arm = await tokenFor(fetch, SP_APP, "https://management.azure.com/.default");
    const wrongAudience = await fetch(url, bearer(arm));
    assert.equal(wrongAudience.status, 401);
    assert.match((await wrongAudience.json()).error.message, /AKV10022: Invalid audience/);

    const slash = await tokenFor(fetch, SP_APP, "https://vault.azure.net//.default");
    const slashed = await fetch(url, bearer(slash));
    assert.equal(slashed.status, 401, "audience with a trailing slash is not the vault resource");
    await slashed.body?.cancel();

    const good = await tokenFor(fetch);
    assert.equal((await (await fetch(url, bearer(good))).json()).value, "ak_live_0123456789abcdef");
    emu.expireTokens();
    const expired = await fetch(url, bearer(good));
    assert.equal(expired.status, 401);
    assert.match((await expired.json()).error.message, /TokenExpired/);
    assert.equal(emu.requests({ service: "keyvault" }).at(-1)?.identity, "sp-app");
  });
});

Deno.test("KV: a token from another tenant is refused (AKV10032)", async () => {
  const otherTenant = "0000aaaa-0000-4000-8000-000000000000";
  await withEmulator(async (_emu, fetch) => {
    const token = await tokenFor(fetch);
    const res = await fetch(`https://other-vault.vault.azure.net/secrets/s`, bearer(token));
    assert.equal(res.status, 401);
    assert.equal(
      res.headers.get("www-authenticate"),
      `Bearer authorization="https://login.microsoftonline.com/${otherTenant}", resource="https://vault.azure.net"`,
    );
    assert.match((await res.json()).error.message, /AKV10032: Invalid issuer/);
  }, {
    seed: {
      identities: [{ name: "sp-app", kind: "servicePrincipal", tenant: TENANT, ...spSeed() }],
      vaults: [{ name: "other-vault", tenant: otherTenant, readers: ["sp-app"] }],
    },
  });
});

function spSeed() {
  return { clientId: SP_APP.clientId, clientSecret: SP_APP.secret };
}

Deno.test("KV: latest, explicit, disabled and missing versions", async () => {
  await withEmulator(async (_emu, fetch) => {
    const auth = bearer(await tokenFor(fetch));
    const latest = await (await fetch(`${VAULT}/secrets/db-password/?api%2Dversion=2026-04-01`, auth)).json();
    assert.equal(latest.value, "current-Passw0rd");
    assert.equal(latest.id, `${VAULT}/secrets/db-password/c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63`);
    assert.equal(latest.attributes.created, 1700172800);
    assert.deepEqual(latest.tags, { "rotated-by": "demo" });
    // Names and versions are case-insensitive; ids keep the stored spelling.
    const old = await (await fetch(`${VAULT}/secrets/DB-Password/0B1C8A7E2F9D4C6B8E1A3D5F7C9B2E40`, auth))
      .json();
    assert.equal(old.value, "first-Passw0rd");
    assert.equal(old.id, `${VAULT}/secrets/db-password/0b1c8a7e2f9d4c6b8e1a3d5f7c9b2e40`);

    const disabled = await fetch(`${VAULT}/secrets/db-password/7d3e9f1a5c2b4e8d9a6f0c1b3e5d7a91`, auth);
    assert.equal(disabled.status, 403);
    assert.deepEqual(await disabled.json(), {
      error: {
        code: "Forbidden",
        message: "Operation get is not allowed on a disabled secret.",
        innererror: { code: "SecretDisabled" },
      },
    });
    const retired = await fetch(`${VAULT}/secrets/retired-token`, auth);
    assert.equal(retired.status, 403, "the newest version is disabled");
    await retired.body?.cancel();

    const missing = await fetch(`${VAULT}/secrets/nope/`, auth);
    assert.equal(missing.status, 404);
    const body = await missing.json();
    assert.equal(body.error.code, "SecretNotFound");
    assert.match(body.error.message, /^A secret with \(name\/id\) nope was not found in this key vault\./);
    const key = await fetch(`${VAULT}/keys/nope`, auth);
    assert.equal((await key.json()).error.code, "KeyNotFound");
    const cert = await fetch(`${VAULT}/certificates/nope`, auth);
    assert.equal((await cert.json()).error.code, "CertificateNotFound");
  });
});

Deno.test("KV: ids follow the host the client used and keys never expose private parts", async () => {
  await withEmulator(async (_emu, fetch) => {
    const auth = bearer(await tokenFor(fetch));
    const key = await (await fetch(`${VAULT}:443/keys/signing-key/`, auth)).json();
    assert.equal(key.key.kid, `${VAULT}/keys/signing-key/9f7e5d3c1b0a48e6a2c4e6f8091b3d5f`);
    assert.deepEqual(key.key.key_ops, ["sign", "verify"]);
    assert.equal(key.key.d, undefined);
    const cert = await (await fetch(`${VAULT}/certificates/web-cert/`, auth)).json();
    assert.equal(cert.sid, `${VAULT}/secrets/web-cert/3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e1b`);
    assert.equal(cert.kid, `${VAULT}/keys/web-cert/3a5c7e9b1d2f4a6c8e0b2d4f6a8c0e1b`);
    assert.equal(cert.policy.secret_props.contentType, "application/x-pem-file");
    assert.equal(cert.policy.id, `${VAULT}/certificates/web-cert/policy`);
    const secret = await (await fetch(`${VAULT}/secrets/web-cert`, auth)).json();
    assert.equal(secret.managed, true);
    assert.equal(secret.kid, cert.kid);
    assert.equal(secret.attributes.exp, cert.attributes.exp);
  });
});

Deno.test("KV: version pages carry absolute nextLinks and no values", async () => {
  await withEmulator(async (_emu, fetch) => {
    const auth = bearer(await tokenFor(fetch));
    const first =
      await (await fetch(`${VAULT}/secrets/db-password/versions?api%2Dversion=2026-04-01&maxresults=2`, auth))
        .json();
    assert.equal(first.value.length, 2);
    assert.ok(first.value.every((item: Record<string, unknown>) => !("value" in item)));
    assert.match(
      first.nextLink,
      /^https:\/\/demo-vault\.vault\.azure\.net:443\/secrets\/db-password\/versions\?api-version=2026-04-01&\$skiptoken=[A-Za-z0-9_-]+&maxresults=2$/,
    );
    const second = await (await fetch(first.nextLink, auth)).json();
    assert.equal(second.value.length, 1);
    assert.equal(second.nextLink, null);

    const tooBig = await fetch(`${VAULT}/secrets/db-password/versions?maxresults=26`, auth);
    assert.equal(tooBig.status, 400);
    assert.equal((await tooBig.json()).error.code, "BadParameter");
    const all = await (await fetch(`${VAULT}/secrets`, auth)).json();
    assert.ok(all.value.some((i: { id: string }) => i.id === `${VAULT}/secrets/db-password`));
  });
});

Deno.test("KV: per-permission access (get without list) and 403 before 404", async () => {
  await withEmulator(async (_emu, fetch) => {
    const auth = bearer(await tokenFor(fetch, SP_GETONLY));
    assert.equal(
      (await fetch(`${VAULT}/secrets/api-key`, auth).then((r) => r.json())).value,
      "ak_live_0123456789abcdef",
    );
    const list = await fetch(`${VAULT}/secrets/api-key/versions`, auth);
    assert.equal(list.status, 403);
    const body = await list.json();
    assert.equal(body.error.innererror.code, "AccessDenied");
    assert.match(
      body.error.message,
      /does not have secrets list permission on key vault 'demo-vault;location=eastus'/,
    );
    const outsider = bearer(await tokenFor(fetch, SP_OUTSIDER));
    const hidden = await fetch(`${VAULT}/secrets/no-such-secret`, outsider);
    assert.equal(hidden.status, 403, "no access: existence is not revealed");
    await hidden.body?.cancel();
  });
});

Deno.test("KV: unknown vault hosts get VaultNotFound; non-Azure hosts are refused at CONNECT", async () => {
  await withEmulator(async (emu, fetch) => {
    const res = await fetch("https://no-such-vault.vault.azure.net/secrets/x");
    assert.equal(res.status, 404);
    assert.equal((await res.json()).error.code, "VaultNotFound");
    await assert.rejects(fetch("https://example.com/"));
    const conn = await Deno.connect({ hostname: "127.0.0.1", port: Number(new URL(emu.proxyUrl).port) });
    await conn.write(
      new TextEncoder().encode("CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n"),
    );
    const buf = new Uint8Array(512);
    const n = await conn.read(buf);
    conn.close();
    assert.match(new TextDecoder().decode(buf.subarray(0, n ?? 0)), /^HTTP\/1\.1 403 Forbidden/);
  });
});

Deno.test("KV: sovereign and AzureStack vaults challenge with their own login host and resource", async () => {
  const seed = {
    identities: [{ name: "sp", kind: "servicePrincipal", ...spSeed() }],
    azureStack: { loginHost: "login.local.azurestack.test", vaultDnsSuffix: "vault.local.azurestack.test" },
    vaults: [
      { name: "gov", cloud: "AzureUSGovernment", readers: ["sp"] },
      { name: "cn", cloud: "AzureChinaCloud", readers: ["sp"] },
      { name: "de", cloud: "AzureGermanCloud", readers: ["sp"] },
      { name: "stack", cloud: "AzureStackCloud", readers: ["sp"] },
    ],
  };
  await withEmulator(async (_emu, fetch) => {
    const cases = [
      ["https://gov.vault.usgovcloudapi.net", "login.microsoftonline.us", "https://vault.usgovcloudapi.net"],
      ["https://cn.vault.azure.cn", "login.chinacloudapi.cn", "https://vault.azure.cn"],
      ["https://de.vault.microsoftazure.de", "login.microsoftonline.de", "https://vault.microsoftazure.de"],
      [
        "https://stack.vault.local.azurestack.test",
        "login.local.azurestack.test",
        "https://vault.local.azurestack.test",
      ],
    ];
    for (const [vault, login, resource] of cases) {
      const res = await fetch(`${vault}/secrets/x`);
      assert.equal(res.status, 401);
      assert.equal(
        res.headers.get("www-authenticate"),
        `Bearer authorization="https://${login}/${TENANT}", resource="${resource}"`,
      );
      await res.body?.cancel();
      const token = await fetch(
        `https://${login}/${TENANT}/oauth2/v2.0/token`,
        tokenForm({
          client_id: SP_APP.clientId,
          client_secret: SP_APP.secret,
          scope: `${resource}/.default`,
        }),
      ).then((r) => r.json());
      const missing = await fetch(`${vault}/secrets/x`, bearer(token.access_token));
      assert.equal(missing.status, 404, `${vault} accepts its own cloud's token`);
      await missing.body?.cancel();
    }
  }, { seed });
});
