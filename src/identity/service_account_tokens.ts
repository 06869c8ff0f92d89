import { InvalidMountConfigError } from "../errors.ts";
import { describeJsonSyntaxError } from "../text/json_syntax.ts";
import { readJwtClaims } from "./jwt.ts";

/** The audience of the service-account token that workload identity exchanges at Entra ID. */
export const TOKEN_EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";

/** The audience of the service-account token that AKS identity binding (`useAzureTokenProxy`) exchanges. */
export const IDENTITY_BINDING_AUDIENCE = "api://AKSIdentityBinding";

/** One service-account token the driver sent, with the public claims a mount needs. */
export interface ServiceAccountToken {
  /** The token itself: a credential, never logged or put in a message. */
  readonly token: string;
  /** `sub`, e.g. `system:serviceaccount:<namespace>:<name>`. */
  readonly subject: string;
  /** `iss`, the cluster's OIDC issuer ("" when absent). */
  readonly issuer: string;
  /** When it expires, in milliseconds since the epoch (0 when unknown). */
  readonly expiresOn: number;
}

/** What fixes missing tokens, for every message that reports them. */
export function tokenRequestsHint(audience: string): string {
  return `the driver sends service account tokens only for the audiences listed in its CSIDriver: add ` +
    `{audience: ${audience}} to spec.tokenRequests of the secrets-store.csi.k8s.io CSIDriver ` +
    `(Helm value tokenRequests of the driver's chart)`;
}

/**
 * Picks the token for `audience` out of the driver's `csi.storage.k8s.io/serviceAccount.tokens`
 * JSON (`{"<audience>":{"token":"…","expirationTimestamp":"RFC 3339"}}`) and reads its public
 * claims. Throws InvalidMountConfigError, with the Go provider's wording first (`failing`, e.g.
 * `failed to parse workload identity tokens`), when the tokens, the audience or the claims are
 * missing. The signature is Entra's (or the token proxy's) to check, not ours.
 */
export function serviceAccountToken(
  json: string,
  audience: string,
  failing = "failed to parse workload identity tokens",
): ServiceAccountToken {
  const fail = (text: string): never => {
    throw new InvalidMountConfigError(`${failing}, error: ${text}`);
  };
  if (json.trim() === "") fail(`service account tokens not found: ${tokenRequestsHint(audience)}`);
  let tokens: unknown;
  try {
    tokens = JSON.parse(json);
  } catch (error) {
    // Never the parser's message: it quotes the text around the error, i.e. the token.
    fail(`failed to unmarshal service account tokens, error: ${describeJsonSyntaxError(error)}`);
  }
  if (typeof tokens !== "object" || tokens === null || Array.isArray(tokens)) {
    fail("failed to unmarshal service account tokens, error: expected a JSON object of audiences");
  }
  const entries = tokens as Record<string, unknown>;
  const entry = Object.hasOwn(entries, audience) ? entries[audience] : undefined;
  const token = (entry as { token?: unknown } | undefined)?.token;
  if (typeof token !== "string" || token === "") {
    const sent = Object.keys(entries);
    const listed = sent.length === 0 ? "none" : sent.join(", ");
    fail(
      `token for audience ${audience} not found (the driver sent tokens for: ${listed}): ${
        tokenRequestsHint(audience)
      }`,
    );
  }
  const claims = readJwtClaims(token as string);
  const subject = typeof claims?.sub === "string" ? claims.sub : "";
  if (subject === "") {
    fail(`the service account token for audience ${audience} is not a JWT with a subject (sub)`);
  }
  const stated = Date.parse(String((entry as { expirationTimestamp?: unknown }).expirationTimestamp ?? ""));
  const exp = typeof claims?.exp === "number" ? claims.exp * 1000 : 0;
  return {
    token: token as string,
    subject,
    issuer: typeof claims?.iss === "string" ? claims.iss : "",
    expiresOn: Number.isFinite(stated) ? stated : exp,
  };
}
