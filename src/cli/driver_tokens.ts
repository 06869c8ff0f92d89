import { Buffer } from "node:buffer";
import { readJwtClaims } from "../identity/jwt.ts";
import { TOKEN_EXCHANGE_AUDIENCE } from "../identity/service_account_tokens.ts";
import { UsageError } from "./usage.ts";

/**
 * The value of `csi.storage.k8s.io/serviceAccount.tokens` as the driver builds it from the
 * CSIDriver's `tokenRequests`: one token per audience.
 */
export type ServiceAccountTokens = Record<string, { token: string; expirationTimestamp: string }>;

/**
 * Files a token under each audience its `aud` claim names (the driver requests one token per
 * audience, so a token's claim is the audience it is filed under), or under
 * {@link TOKEN_EXCHANGE_AUDIENCE} when it has none. The expiry comes from its `exp` claim.
 * Throws UsageError when the text is not a JWT; never quotes the token.
 */
export function tokensFromJwt(jwt: string, now: Date): ServiceAccountTokens {
  const token = jwt.trim();
  const claims = jwtClaims(token);
  const audiences = typeof claims.aud === "string"
    ? [claims.aud]
    : Array.isArray(claims.aud)
    ? claims.aud.filter((audience): audience is string => typeof audience === "string")
    : [];
  const expires = typeof claims.exp === "number"
    ? new Date(claims.exp * 1000)
    : new Date(now.getTime() + 3600_000);
  const entry = { token, expirationTimestamp: rfc3339(expires) };
  const keys = audiences.length > 0 ? audiences : [TOKEN_EXCHANGE_AUDIENCE];
  return Object.fromEntries(keys.map((audience) => [audience, entry]));
}

/**
 * Unsigned stand-in tokens for the audiences the chart's `tokenRequests` asks for, so that
 * `validate` can plan an identity mode that needs one without a cluster. Key Vault never
 * sees them: `validate` makes no network call.
 */
export function placeholderTokens(
  audiences: readonly string[],
  subject: string,
  now: Date,
): ServiceAccountTokens {
  const expires = Math.floor(now.getTime() / 1000) + 3600;
  const encode = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");
  return Object.fromEntries(audiences.map((audience) => {
    const claims = { aud: [audience], exp: expires, iss: "validate", sub: subject };
    // Shaped like a real token (a checker of its form must not tell them apart), never signed.
    const token = `${encode({ alg: "RS256", typ: "JWT" })}.${encode(claims)}.unsigned-placeholder`;
    return [audience, { token, expirationTimestamp: rfc3339(new Date(expires * 1000)) }];
  }));
}

/** The token's claims; a file that holds no JWT is the user's mistake, said without quoting it. */
function jwtClaims(token: string): Record<string, unknown> {
  const claims = /^[A-Za-z0-9_.-]*$/.test(token) ? readJwtClaims(token) : undefined;
  if (claims) return claims;
  throw new UsageError(
    "the service-account token file must hold one JWT (three base64url parts separated by dots)",
  );
}

/** RFC 3339 in UTC without fractions, as Go's `time.Time` marshals a whole second. */
function rfc3339(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}
