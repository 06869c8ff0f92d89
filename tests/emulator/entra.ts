/**
 * Entra ID (Azure AD) on every cloud's login host: the v2 token endpoint for
 * client credentials (client secret or federated client assertion), plus the
 * discovery documents MSAL fetches for non-default authority hosts.
 * Error bodies follow the AADSTS shape MSAL parses into its error messages.
 */
import { Buffer } from "node:buffer";
import { createPublicKey, verify } from "node:crypto";
import { jsonResponse, nowSeconds } from "./http.ts";
import type { Route, ServiceContext } from "./pipeline.ts";
import type { Identity, IdentityKind, Seed } from "./seed.ts";
import type { TokenIssuer } from "./tokens.ts";

/** What the Entra emulator needs. */
export interface EntraDeps {
  seed: Seed;
  tokens: TokenIssuer;
  /** Token lifetime for an identity, in seconds. */
  lifetime: (identity: Identity) => number;
}

/**
 * Who answers Entra's paths: Entra itself, or a stand-in such as the AKS token proxy, which
 * serves them under a path of its own and exchanges other assertions for other identities.
 */
interface Issuer {
  service: "entra" | "tokenProxy";
  /** Entra's paths start after this prefix ("/" for Entra). */
  pathPrefix: string;
  /** The audience a client assertion must have. */
  assertionAudience: string;
  /** The identity kinds it issues tokens for. */
  kinds: readonly IdentityKind[];
}

const ENTRA: Issuer = {
  service: "entra",
  pathPrefix: "/",
  assertionAudience: "api://AzureADTokenExchange",
  kinds: ["servicePrincipal", "workload"],
};

const ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer";
/** Builds the Entra route. */
export function entraRoute(deps: EntraDeps): Route {
  return issuerRoute(deps, ENTRA);
}

/**
 * The AKS identity-binding token proxy: Entra's paths under `pathPrefix`, exchanging a
 * service-account token for `api://AKSIdentityBinding` for a token of the managed identity that
 * is bound to that service account (seed kind `identityBinding`, its `subjects`).
 */
export function tokenProxyRoute(deps: EntraDeps, pathPrefix: string): Route {
  return issuerRoute(deps, {
    service: "tokenProxy",
    pathPrefix,
    assertionAudience: "api://AKSIdentityBinding",
    kinds: ["identityBinding"],
  });
}

function issuerRoute(deps: EntraDeps, issuer: Issuer): Route {
  return {
    service: issuer.service,
    handler: (ctx) => handle(ctx, deps, issuer),
    faultBody: (status) => ({
      error: status === 429 ? "temporarily_unavailable" : "server_error",
      error_description:
        `AADSTS90033: A transient error has occurred (injected HTTP ${status}). Please try again.`,
    }),
  };
}

async function handle(ctx: ServiceContext, deps: EntraDeps, issuer: Issuer): Promise<Response> {
  if (!ctx.url.pathname.startsWith(issuer.pathPrefix)) {
    return jsonResponse(404, {
      error: "not_found",
      error_description: `No such endpoint ${ctx.url.pathname}`,
    });
  }
  const parts = ctx.url.pathname.slice(issuer.pathPrefix.length).split("/").filter((p) => p !== "");
  const method = ctx.request.method;
  if (method === "GET" && parts.join("/") === "common/discovery/instance") {
    return instanceDiscovery(ctx);
  }
  if (method === "GET" && /^(discovery\/keys|discovery\/v2\.0\/keys)$/.test(parts.slice(1).join("/"))) {
    return jsonResponse(200, { keys: [] });
  }
  const tenant = parts[0] ?? "";
  const rest = parts.slice(1).join("/");
  if (method === "GET" && rest === "v2.0/.well-known/openid-configuration") {
    return openIdConfiguration(ctx, tenant, deps.seed);
  }
  if (method === "POST" && rest === "oauth2/v2.0/token") return await token(ctx, tenant, deps, issuer);
  return jsonResponse(404, { error: "not_found", error_description: `No such endpoint ${ctx.url.pathname}` });
}

// ---- discovery --------------------------------------------------------------

function instanceDiscovery(ctx: ServiceContext): Response {
  const authorize = ctx.query["authorization_endpoint"];
  let authority = `https://${ctx.host}/common`;
  if (authorize) {
    const u = new URL(authorize);
    authority = `https://${u.host}/${u.pathname.split("/")[1] ?? "common"}`;
  }
  const authorityHost = new URL(authority).host;
  return jsonResponse(200, {
    tenant_discovery_endpoint: `${authority}/v2.0/.well-known/openid-configuration`,
    "api-version": "1.1",
    metadata: [{
      preferred_network: authorityHost,
      preferred_cache: authorityHost,
      aliases: [authorityHost],
    }],
  });
}

function openIdConfiguration(ctx: ServiceContext, tenant: string, seed: Seed): Response {
  if (!knownTenant(seed, tenant)) return tenantNotFound(ctx, tenant);
  const base = `https://${ctx.host}/${tenant}`;
  return jsonResponse(200, {
    token_endpoint: `${base}/oauth2/v2.0/token`,
    token_endpoint_auth_methods_supported: ["client_secret_post", "private_key_jwt", "client_secret_basic"],
    jwks_uri: `${base}/discovery/v2.0/keys`,
    response_modes_supported: ["query", "fragment", "form_post"],
    subject_types_supported: ["pairwise"],
    id_token_signing_alg_values_supported: ["RS256"],
    response_types_supported: ["code", "id_token", "code id_token", "id_token token"],
    scopes_supported: ["openid", "profile", "email", "offline_access"],
    issuer: `https://${ctx.host}/${tenant}/v2.0`,
    request_uri_parameter_supported: false,
    userinfo_endpoint: "https://graph.microsoft.com/oidc/userinfo",
    authorization_endpoint: `${base}/oauth2/v2.0/authorize`,
    device_authorization_endpoint: `${base}/oauth2/v2.0/devicecode`,
    http_logout_supported: true,
    frontchannel_logout_supported: true,
    end_session_endpoint: `${base}/oauth2/v2.0/logout`,
    claims_supported: ["sub", "iss", "aud", "exp", "iat", "nbf", "tid", "oid"],
    kerberos_endpoint: `${base}/kerberos`,
    tenant_region_scope: "NA",
    cloud_instance_name: ctx.host.replace(/^login\./, ""),
    cloud_graph_host_name: "graph.windows.net",
    msgraph_host: "graph.microsoft.com",
    rbac_url: "https://pas.windows.net",
  });
}

function knownTenant(seed: Seed, tenant: string): boolean {
  const t = tenant.toLowerCase();
  return seed.identities.some((i) => i.tenant.toLowerCase() === t) ||
    seed.vaults.some((v) => v.tenant.toLowerCase() === t) ||
    seed.defaultTenant.toLowerCase() === t;
}

// ---- token endpoint ---------------------------------------------------------

async function token(
  ctx: ServiceContext,
  tenant: string,
  deps: EntraDeps,
  issuer: Issuer,
): Promise<Response> {
  const form = new URLSearchParams(await ctx.request.text());
  if (!/^[0-9a-zA-Z.-]+$/.test(tenant) || !knownTenant(deps.seed, tenant)) {
    return tenantNotFound(ctx, tenant);
  }
  const grantType = form.get("grant_type");
  if (grantType !== "client_credentials") {
    return aadError(
      ctx,
      400,
      "unsupported_grant_type",
      70003,
      `The app requested an unsupported grant type '${grantType ?? ""}'.`,
    );
  }
  const clientId = form.get("client_id");
  if (!clientId) return missingParameter(ctx, "client_id");
  const scope = form.get("scope");
  if (!scope) return missingParameter(ctx, "scope");
  const resource = resourceOf(scope);
  if (!resource) {
    return aadError(
      ctx,
      400,
      "invalid_scope",
      1002012,
      `The provided value for scope ${scope} is not valid. Client credential flows must have a scope value with /.default suffixed to the resource identifier (application ID URI).`,
    );
  }
  const identity = deps.seed.identities.find((i) =>
    issuer.kinds.includes(i.kind) &&
    i.clientId.toLowerCase() === clientId.toLowerCase() &&
    i.tenant.toLowerCase() === tenant.toLowerCase()
  );
  if (!identity) {
    return aadError(
      ctx,
      400,
      "unauthorized_client",
      700016,
      `Application with identifier '${clientId}' was not found in the directory '${tenant}'. This can happen if the application has not been installed by the administrator of the tenant or consented to by any user in the tenant. You may have sent your authentication request to the wrong tenant.`,
    );
  }
  const refused = checkClientCredential(ctx, form, identity, deps, issuer);
  if (refused) return refused;
  const issued = deps.tokens.issue(identity, resource, deps.lifetime(identity), "entra");
  ctx.record.identity = identity.name;
  const lifetime = issued.expiresOn - issued.issuedAt;
  return jsonResponse(200, {
    token_type: "Bearer",
    expires_in: lifetime,
    ext_expires_in: lifetime,
    access_token: issued.token,
  }, { "cache-control": "no-store, no-cache", pragma: "no-cache" });
}

/** `https://vault.azure.net/.default` -> `https://vault.azure.net`. */
function resourceOf(scope: string): string | undefined {
  const s = scope.split(" ").find((x) => x.endsWith("/.default"));
  return s?.slice(0, -"/.default".length);
}

function checkClientCredential(
  ctx: ServiceContext,
  form: URLSearchParams,
  identity: Identity,
  deps: EntraDeps,
  issuer: Issuer,
): Response | undefined {
  const secret = form.get("client_secret");
  if (secret !== null) {
    if (identity.clientSecret !== undefined && secret === identity.clientSecret) return undefined;
    return aadError(
      ctx,
      401,
      "invalid_client",
      7000215,
      `Invalid client secret provided. Ensure the secret being sent in the request is the client secret value, not the client secret ID, for a secret added to app '${identity.clientId}'.`,
    );
  }
  const assertion = form.get("client_assertion");
  if (assertion !== null) {
    return checkAssertion(ctx, form, assertion, identity, deps, issuer.assertionAudience);
  }
  return aadError(
    ctx,
    401,
    "invalid_client",
    7000218,
    "The request body must contain the following parameter: 'client_assertion' or 'client_secret'.",
  );
}

// Federated credentials: the assertion's audience, expiry, issuer and subject are
// checked; its signature only when its issuer is one of the seed's `oidcIssuers`
// (tests mint unsigned tokens; a real API server's tokens are checked against its key).
function checkAssertion(
  ctx: ServiceContext,
  form: URLSearchParams,
  assertion: string,
  identity: Identity,
  deps: EntraDeps,
  audience: string,
): Response | undefined {
  if (form.get("client_assertion_type") !== ASSERTION_TYPE) {
    return aadError(ctx, 400, "invalid_request", 700023, "Invalid client assertion type.");
  }
  const claims = decodeJwt(assertion);
  if (!claims) return aadError(ctx, 400, "invalid_client", 50027, "JWT token is invalid or malformed.");
  const audiences = Array.isArray(claims.aud) ? claims.aud.map(String) : [String(claims.aud)];
  if (!audiences.includes(audience)) {
    return aadError(
      ctx,
      400,
      "invalid_client",
      700212,
      `No matching federated identity record found for presented assertion audience '${
        audiences.join(",")
      }'. Please note that the matching is done using a case-sensitive comparison. Check your federated identity credential Audience configured on your Application.`,
    );
  }
  const now = nowSeconds();
  const exp = Number(claims.exp);
  if (!Number.isFinite(exp) || exp <= now) {
    return aadError(
      ctx,
      400,
      "invalid_client",
      700024,
      `Client assertion is not within its valid time range. Current time: ${
        isoTime(now)
      }, expiry time of assertion ${Number.isFinite(exp) ? isoTime(exp) : "(missing)"}.`,
    );
  }
  const subject = String(claims.sub ?? "");
  const issuer = String(claims.iss ?? "");
  const subjectOk = /^system:serviceaccount:[^:]+:[^:]+$/.test(subject) &&
    identity.subjects.includes(subject);
  const issuerOk = identity.issuer === undefined || identity.issuer === issuer;
  if (subjectOk && issuerOk) return checkSignature(ctx, assertion, issuer, deps.seed);
  return aadError(
    ctx,
    400,
    "invalid_client",
    70021,
    `No matching federated identity record found for presented assertion. Assertion Issuer: '${issuer}'. Assertion Subject: '${subject}'. Assertion Audience: '${
      audiences.join(",")
    }'. https://learn.microsoft.com/entra/workload-id/workload-identity-federation`,
  );
}

// JWS algorithms a Kubernetes service-account signing key can produce.
const JWS_HASHES: Record<string, string> = {
  RS256: "sha256",
  RS384: "sha384",
  RS512: "sha512",
  ES256: "sha256",
  ES384: "sha384",
  ES512: "sha512",
};

/** An assertion from a seeded OIDC issuer must be signed by one of its keys. */
function checkSignature(
  ctx: ServiceContext,
  assertion: string,
  issuer: string,
  seed: Seed,
): Response | undefined {
  const trusted = seed.oidcIssuers.find((i) => i.issuer === issuer);
  if (!trusted) return undefined;
  const [header, payload, signature] = assertion.split(".");
  const alg = String(decodeSegment(header)?.alg ?? "");
  const hash = JWS_HASHES[alg];
  const signed = Buffer.from(`${header}.${payload}`);
  const valid = hash !== undefined && trusted.publicKeys.some((pem) => {
    const key = createPublicKey(pem);
    const options = alg.startsWith("ES") ? { key, dsaEncoding: "ieee-p1363" as const } : key;
    return verify(hash, signed, options, Buffer.from(signature, "base64url"));
  });
  if (valid) return undefined;
  return aadError(
    ctx,
    400,
    "invalid_client",
    700027,
    `Client assertion failed signature validation. (Issuer: '${issuer}', algorithm: '${alg}'.)`,
  );
}

function decodeSegment(segment: string): Record<string, unknown> | undefined {
  try {
    const value = JSON.parse(Buffer.from(segment, "base64url").toString("utf8"));
    return typeof value === "object" && value !== null ? value : undefined;
  } catch {
    return undefined;
  }
}

function decodeJwt(jwt: string): Record<string, unknown> | undefined {
  const parts = jwt.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    return typeof claims === "object" && claims !== null ? claims : undefined;
  } catch {
    return undefined;
  }
}

// ---- errors -----------------------------------------------------------------

function tenantNotFound(ctx: ServiceContext, tenant: string): Response {
  return aadError(
    ctx,
    400,
    "invalid_request",
    90002,
    `Tenant '${tenant}' not found. Check to make sure you have the correct tenant ID and are signing into the correct cloud. Check with your subscription administrator, this may happen if there are no active subscriptions for the tenant.`,
  );
}

function missingParameter(ctx: ServiceContext, name: string): Response {
  return aadError(
    ctx,
    400,
    "invalid_request",
    900144,
    `The request body must contain the following parameter: '${name}'.`,
  );
}

/** An AADSTS error body; correlation id echoes MSAL's client-request-id. */
function aadError(
  ctx: ServiceContext,
  status: number,
  error: string,
  code: number,
  text: string,
): Response {
  const traceId = crypto.randomUUID();
  const correlationId = ctx.query["client-request-id"] ?? crypto.randomUUID();
  const timestamp = isoTime(nowSeconds()).replace("T", " ");
  return jsonResponse(status, {
    error,
    error_description:
      `AADSTS${code}: ${text} Trace ID: ${traceId} Correlation ID: ${correlationId} Timestamp: ${timestamp}`,
    error_codes: [code],
    timestamp,
    trace_id: traceId,
    correlation_id: correlationId,
    error_uri: `https://${ctx.host}/error?code=${code}`,
  }, { "cache-control": "no-store, no-cache", pragma: "no-cache" });
}

function isoTime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().replace(/\.\d{3}Z$/, "Z");
}
