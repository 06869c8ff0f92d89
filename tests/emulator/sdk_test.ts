/**
 * The emulator seen by the real Azure SDKs (@azure/identity,
 * @azure/keyvault-*), run unmodified in a child process whose only
 * configuration is HTTPS_PROXY, NODE_EXTRA_CA_CERTS and
 * AZURE_POD_IDENTITY_AUTHORITY_HOST. TLS verification stays on.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { Buffer } from "node:buffer";
import { startEmulator } from "./emulator.ts";
import {
  DEMO_VAULT,
  errorOf,
  okValue,
  runProbe,
  SP_APP,
  SP_OUTSIDER,
  VM_USER,
  WI_APP,
} from "./test_support.ts";
import { TENANT } from "../harness/spc.ts";
import { serviceAccountJwt } from "../harness/service_account.ts";

const spCredential = {
  kind: "clientSecret" as const,
  tenantId: TENANT,
  clientId: SP_APP.clientId,
  clientSecret: SP_APP.secret,
};

Deno.test("SDK: ClientSecretCredential + getSecret goes challenge 401 -> token -> 200", async () => {
  await using emu = await startEmulator();
  const [result] = await runProbe(emu, {
    credential: spCredential,
    vaultUrl: DEMO_VAULT,
    ops: [{ op: "getSecret", name: "db-password" }],
  });
  const secret = okValue(result);
  assert.equal(secret.value, "current-Passw0rd");
  assert.equal(secret.version, "c4f2a8e6b1d94f3a8c7e5b2d0f1a9e63");
  const log = emu.requests().map((r) => `${r.service} ${r.method} ${r.path} ${r.status}`);
  assert.deepEqual(log, [
    "keyvault GET /secrets/db-password/ 401",
    `entra POST /${TENANT}/oauth2/v2.0/token 200`,
    "keyvault GET /secrets/db-password/ 200",
  ]);
  const [challenge, token, get] = emu.requests();
  assert.equal(challenge.identity, undefined);
  assert.equal(token.identity, "sp-app");
  assert.equal(get.identity, "sp-app");
  assert.equal(get.query["api-version"], "2026-04-01");
  assert.equal(emu.issuedTokens().length, 1);
});

Deno.test("SDK: a wrong client secret surfaces AADSTS7000215", async () => {
  await using emu = await startEmulator();
  const [result] = await runProbe(emu, {
    credential: { ...spCredential, clientSecret: "not-the-secret" },
    vaultUrl: DEMO_VAULT,
    ops: [{ op: "getSecret", name: "db-password" }],
  });
  const error = errorOf(result);
  assert.match(error.message, /7000215/);
  assert.match(error.message, /Invalid client secret provided/);
  assert.equal(emu.requests({ service: "entra" })[0].status, 401);
  assert.equal(emu.issuedTokens().length, 0);
});

Deno.test("SDK: an identity without an access policy gets Forbidden naming it", async () => {
  await using emu = await startEmulator();
  const [result] = await runProbe(emu, {
    credential: { ...spCredential, clientId: SP_OUTSIDER.clientId, clientSecret: SP_OUTSIDER.secret },
    vaultUrl: DEMO_VAULT,
    ops: [{ op: "getSecret", name: "db-password" }],
  });
  const error = errorOf(result);
  assert.equal(error.statusCode, 403);
  assert.equal(error.code, "Forbidden");
  assert.match(
    error.message,
    new RegExp(
      `'appid=${SP_OUTSIDER.clientId};oid=2b2b2b2b-2222-4222-8222-222222222222;iss=https://sts.windows.net/${TENANT}/' does not have secrets get permission on key vault 'demo-vault;location=eastus'`,
    ),
  );
  assert.equal(emu.requests({ service: "keyvault", status: 403 })[0].identity, "sp-outsider");
});

Deno.test("SDK: version listing follows absolute nextLinks across small pages", async () => {
  await using emu = await startEmulator({ pageSize: 2 });
  const [byDefault, byMaxPage] = await runProbe(emu, {
    credential: spCredential,
    vaultUrl: DEMO_VAULT,
    ops: [
      { op: "listSecretVersions", name: "db-password" },
      { op: "listSecretVersions", name: "db-password", maxPageSize: 1 },
    ],
  });
  const pages = okValue<{ version: string; enabled: boolean }[][]>(byDefault);
  assert.deepEqual(pages.map((p) => p.length), [2, 1]);
  assert.deepEqual(pages.flat().filter((v) => !v.enabled).map((v) => v.version), [
    "7d3e9f1a5c2b4e8d9a6f0c1b3e5d7a91",
  ]);
  assert.deepEqual(okValue<unknown[][]>(byMaxPage).map((p) => p.length), [1, 1, 1]);
  const listings = emu.requests({
    service: "keyvault",
    pathPrefix: "/secrets/db-password/versions",
    status: 200,
  });
  assert.equal(listings.length, 5);
  assert.equal(listings.filter((r) => r.query["$skiptoken"] !== undefined).length, 3);
});

Deno.test("SDK: ManagedIdentityCredential reaches IMDS through AZURE_POD_IDENTITY_AUTHORITY_HOST", async () => {
  await using emu = await startEmulator();
  // The SDK sends plain-HTTP IMDS calls through HTTPS_PROXY too; the proxy
  // forwards them. With NO_PROXY they go straight to the IMDS port.
  const [system, user] = await Promise.all([
    runProbe(emu, {
      credential: { kind: "managedIdentity" },
      vaultUrl: DEMO_VAULT,
      ops: [{ op: "getSecret", name: "api-key" }],
    }),
    runProbe(emu, {
      credential: { kind: "managedIdentity", clientId: VM_USER.clientId },
      vaultUrl: DEMO_VAULT,
      ops: [{ op: "getSecret", name: "api-key" }],
    }, { NO_PROXY: "127.0.0.1" }),
  ]);
  assert.equal(okValue(system[0]).value, "ak_live_0123456789abcdef");
  assert.equal(okValue(user[0]).value, "ak_live_0123456789abcdef");
  const imds = emu.requests({ service: "imds" });
  assert.deepEqual(imds.map((r) => r.identity).sort(), ["vm-system", "vm-user"]);
  assert.ok(imds.every((r) => r.path === "/metadata/identity/oauth2/token/" && r.status === 200));
  assert.equal(imds.find((r) => r.identity === "vm-user")?.query.client_id, VM_USER.clientId);
  assert.equal(emu.requests({ service: "keyvault", status: 200 }).length, 2);
});

Deno.test("SDK: an unknown managed identity fails at once with 'Identity not found', not retried", async () => {
  await using emu = await startEmulator();
  const [result] = await runProbe(emu, {
    credential: { kind: "managedIdentity", clientId: "99999999-9999-9999-9999-999999999999" },
    vaultUrl: DEMO_VAULT,
    ops: [{ op: "getSecret", name: "api-key" }],
  });
  assert.match(errorOf(result).message, /Identity not found/);
  assert.equal(emu.requests({ service: "imds" }).length, 1, "a 400 is not retried");
});

Deno.test("SDK: workload identity (client assertion) matches the federated subject", async () => {
  await using emu = await startEmulator();
  const credential = (sub: string) => ({
    kind: "clientAssertion" as const,
    tenantId: TENANT,
    clientId: WI_APP.clientId,
    assertion: serviceAccountJwt({ sub }),
  });
  const ops = [{ op: "getSecret" as const, name: "db-password" }];
  const [good] = await runProbe(emu, {
    credential: credential("system:serviceaccount:default:workload-sa"),
    vaultUrl: DEMO_VAULT,
    ops,
  });
  assert.equal(okValue(good).value, "current-Passw0rd");
  const [bad] = await runProbe(emu, {
    credential: credential("system:serviceaccount:default:other-sa"),
    vaultUrl: DEMO_VAULT,
    ops,
  });
  assert.match(errorOf(bad).message, /70021/);
  assert.match(errorOf(bad).message, /No matching federated identity record found/);
});

Deno.test("SDK: a certificate, its backing secret and key agree on name, version and thumbprint", async () => {
  await using emu = await startEmulator();
  const [cert, secret, key] = await runProbe(emu, {
    credential: spCredential,
    vaultUrl: DEMO_VAULT,
    ops: [
      { op: "getCertificate", name: "web-cert" },
      { op: "getSecret", name: "web-cert" },
      { op: "getKey", name: "web-cert" },
    ],
  });
  const c = okValue(cert);
  const s = okValue(secret);
  const k = okValue(key);
  assert.equal(c.secretId, s.id);
  assert.equal(c.keyId, k.id);
  assert.equal(k.managed, true);
  assert.equal(s.contentType, "application/x-pem-file");
  assert.match(String(s.value), /^-----BEGIN PRIVATE KEY-----\n[\s\S]*-----BEGIN CERTIFICATE-----/);
  const seeded = emu.seed.vaults[0].certificates[0].versions[0];
  const sha1 = createHash("sha1").update(Buffer.from(seeded.cer, "base64")).digest("hex");
  assert.equal(c.thumbprint, sha1);
  assert.equal(c.subject, "CN=web.demo.example");
});

Deno.test("SDK: a 429 with Retry-After is retried after the advertised delay", async () => {
  await using emu = await startEmulator();
  emu.setFaults({
    service: "keyvault",
    pathPrefix: "/secrets/",
    kind: "status",
    status: 429,
    retryAfter: 1,
    times: 1,
  });
  const [result] = await runProbe(emu, {
    credential: spCredential,
    vaultUrl: DEMO_VAULT,
    ops: [{ op: "getSecret", name: "api-key" }],
  });
  assert.equal(okValue(result).value, "ak_live_0123456789abcdef");
  const kv = emu.requests({ service: "keyvault" });
  assert.deepEqual(kv.map((r) => r.status), [429, 401, 200]);
  assert.equal(kv[0].fault, "status");
  assert.ok(kv[1].startedAt - kv[0].endedAt! >= 950, "waited for Retry-After");
});

Deno.test("SDK: a reset fault surfaces as a connection error", async () => {
  await using emu = await startEmulator();
  emu.setFaults({ service: "keyvault", kind: "reset" });
  const [result] = await runProbe(emu, {
    credential: spCredential,
    vaultUrl: DEMO_VAULT,
    ops: [{ op: "getSecret", name: "api-key" }],
  });
  const error = errorOf(result);
  assert.equal(error.statusCode, undefined);
  assert.match(`${error.code} ${error.message}`, /ECONNRESET|socket hang up|connection/i);
  const kv = emu.requests({ service: "keyvault" });
  assert.ok(kv.length >= 2, "the SDK retried the dropped connection");
  assert.ok(kv.every((r) => r.status === 0 && r.fault === "reset" && !r.aborted));
});
