/**
 * Two emulator features the end-to-end suite needs: Entra checks the signature of an assertion
 * whose issuer is a seeded OIDC issuer (a real API server's service-account tokens), and a test
 * can add a secret version while the emulator runs (rotation).
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { generateKeyPairSync, type KeyObject, sign } from "node:crypto";
import { parse as parseYaml } from "yaml";
import { defaultSeedPath, startEmulator } from "./emulator.ts";
import { withEmulator } from "../harness/emulator.ts";
import { serviceAccountJwt, WORKLOAD_SUBJECT } from "../harness/service_account.ts";
import { assertionPoster, SP_APP, TOKEN_URL, tokenForm } from "./test_support.ts";

const ISSUER = "https://api-server.e2e.test";
const SUBJECT = WORKLOAD_SUBJECT;

function signedAssertion(key: KeyObject, alg: "RS256" | "ES256", iss = ISSUER): string {
  const now = Math.floor(Date.now() / 1000);
  const part = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");
  const payload = { aud: ["api://AzureADTokenExchange"], exp: now + 600, iat: now, iss, sub: SUBJECT };
  const input = `${part({ alg, kid: "k" })}.${part(payload)}`;
  const signature = alg === "ES256"
    ? sign("sha256", Buffer.from(input), { key, dsaEncoding: "ieee-p1363" })
    : sign("sha256", Buffer.from(input), key);
  return `${input}.${signature.toString("base64url")}`;
}

Deno.test("Entra: an assertion from a seeded OIDC issuer must carry a signature of one of its keys", async () => {
  const rsa = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const ec = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const other = generateKeyPairSync("rsa", { modulusLength: 2048 });
  const pem = (k: KeyObject) => k.export({ type: "spki", format: "pem" }).toString();
  const seed = parseYaml(await Deno.readTextFile(defaultSeedPath()));
  seed.oidcIssuers = [{ issuer: ISSUER, publicKeys: [pem(rsa.publicKey), pem(ec.publicKey)] }];
  await withEmulator(async (_emu, viaProxy) => {
    const post = assertionPoster(viaProxy);
    assert.equal((await post(signedAssertion(rsa.privateKey, "RS256"))).status, 200);
    assert.equal((await post(signedAssertion(ec.privateKey, "ES256"))).status, 200);
    const forged = await post(signedAssertion(other.privateKey, "RS256"));
    assert.deepEqual([forged.status, forged.body.error, forged.body.error_codes], [400, "invalid_client", [
      700027,
    ]]);
    assert.match(
      forged.body.error_description,
      /^AADSTS700027: Client assertion failed signature validation/,
    );
    const unsigned = await post(serviceAccountJwt({ sub: SUBJECT, iss: ISSUER }));
    assert.deepEqual(unsigned.body.error_codes, [700027]);
    // Other issuers keep the old rule: the signature is not checked.
    assert.equal((await post(serviceAccountJwt({ sub: SUBJECT }))).status, 200);
  }, { seed });
});

Deno.test("seed: an OIDC issuer needs a PEM public key", async () => {
  await assert.rejects(
    () => startEmulator({ seed: { oidcIssuers: [{ issuer: ISSUER, publicKeys: ["nope"] }] } }),
    /seed\.oidcIssuers\[0\]\.publicKeys\[0\]: not a PEM public key/,
  );
});

Deno.test("addSecretVersion: the new version is the latest, listed, and the old one stays readable", async () => {
  await withEmulator(async (emu, viaProxy) => {
    const token = await viaProxy(
      TOKEN_URL,
      tokenForm({ client_id: SP_APP.clientId, client_secret: SP_APP.secret }),
    ).then((r) => r.json());
    const get = (path: string) =>
      viaProxy(`https://demo-vault.vault.azure.net${path}?api-version=7.4`, {
        headers: { authorization: `Bearer ${token.access_token}` },
      }).then(async (r) => ({ status: r.status, body: await r.json() }));
    const before = await get("/secrets/api-key");
    const version = emu.addSecretVersion("demo-vault", "api-key", { value: "ak_live_rotated" });
    assert.match(version, /^[0-9a-f]{32}$/);
    const after = await get("/secrets/api-key");
    assert.equal(after.body.value, "ak_live_rotated");
    assert.equal(after.body.id, `https://demo-vault.vault.azure.net/secrets/api-key/${version}`);
    assert.equal(
      (await get(before.body.id.replace("https://demo-vault.vault.azure.net", ""))).body.value,
      "ak_live_0123456789abcdef",
    );
    assert.equal((await get("/secrets/api-key/versions")).body.value.length, 2);
    assert.throws(() => emu.addSecretVersion("demo-vault", "web-cert", { value: "x" }), /is a certificate/);
    assert.throws(() => emu.addSecretVersion("no-vault", "x", { value: "x" }), /no seeded vault 'no-vault'/);
  });
});
