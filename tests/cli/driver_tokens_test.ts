import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { placeholderTokens, tokensFromJwt } from "../../src/cli/driver_tokens.ts";
import { UsageError } from "../../src/cli/usage.ts";

const NOW = new Date(Date.UTC(2026, 5, 11, 10, 0, 0));
const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
const jwt = (claims: unknown) => `${b64url({ alg: "RS256", kid: "k" })}.${b64url(claims)}.c2lnbmF0dXJl`;

Deno.test("service-account token: filed under its aud claims, expiring at its exp claim", () => {
  const exp = Date.UTC(2026, 5, 11, 11, 30, 0) / 1000;
  const token = jwt({ aud: ["api://AzureADTokenExchange", "api://AKSIdentityBinding"], exp, sub: "s" });
  assert.deepEqual(tokensFromJwt(`${token}\n`, NOW), {
    "api://AzureADTokenExchange": { token, expirationTimestamp: "2026-06-11T11:30:00Z" },
    "api://AKSIdentityBinding": { token, expirationTimestamp: "2026-06-11T11:30:00Z" },
  });
  const bare = jwt({ sub: "s" });
  assert.deepEqual(tokensFromJwt(bare, NOW), {
    "api://AzureADTokenExchange": { token: bare, expirationTimestamp: "2026-06-11T11:00:00Z" },
  });
});

Deno.test("service-account token: a file that is not a JWT is a usage error that does not quote it", () => {
  for (const text of ["not-a-token", "a.b", `${b64url({})}.${Buffer.from("[]").toString("base64url")}.sig`]) {
    assert.throws(
      () => tokensFromJwt(text, NOW),
      (error) =>
        error instanceof UsageError && !error.message.includes(text) && /one JWT/.test(error.message),
    );
  }
});

Deno.test("placeholder tokens: one well-formed, unsigned JWT per audience", () => {
  const tokens = placeholderTokens(["api://AzureADTokenExchange"], "system:serviceaccount:ns:default", NOW);
  const { token, expirationTimestamp } = tokens["api://AzureADTokenExchange"];
  assert.equal(expirationTimestamp, "2026-06-11T11:00:00Z");
  const [, claims, signature] = token.split(".");
  assert.deepEqual(JSON.parse(Buffer.from(claims, "base64url").toString()), {
    aud: ["api://AzureADTokenExchange"],
    exp: Date.UTC(2026, 5, 11, 11, 0, 0) / 1000,
    iss: "validate",
    sub: "system:serviceaccount:ns:default",
  });
  assert.equal(signature, "unsigned-placeholder");
});
