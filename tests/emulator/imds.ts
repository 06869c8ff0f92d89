/**
 * The Azure Instance Metadata Service token endpoint, as a VM's managed
 * identities see it. The SDK reaches it through
 * AZURE_POD_IDENTITY_AUTHORITY_HOST (which adds a trailing slash to the path).
 * Unknown identities get 400, not 404: the SDK retries 404 five times.
 */
import { jsonResponse, nowSeconds } from "./http.ts";
import type { Route, ServiceContext } from "./pipeline.ts";
import type { Identity, Seed } from "./seed.ts";
import type { TokenIssuer } from "./tokens.ts";

/** What the IMDS emulator needs. */
export interface ImdsDeps {
  seed: Seed;
  tokens: TokenIssuer;
  lifetime: (identity: Identity) => number;
}

const TOKEN_PATHS = ["/metadata/identity/oauth2/token", "/metadata/identity/oauth2/token/"];

/** Builds the IMDS route. */
export function imdsRoute(deps: ImdsDeps): Route {
  return {
    service: "imds",
    handler: (ctx) => handle(ctx, deps),
    faultBody: (status) => ({
      error: "temporarily_unavailable",
      error_description: `Injected HTTP ${status}`,
    }),
  };
}

function handle(ctx: ServiceContext, deps: ImdsDeps): Response {
  if (!TOKEN_PATHS.includes(ctx.url.pathname.toLowerCase())) {
    return jsonResponse(404, { error: "not_found", error_description: "Not found" });
  }
  // Checked first, so the SDK's header-less availability probe gets a 400 too.
  if (ctx.request.headers.get("metadata")?.toLowerCase() !== "true") {
    return invalidRequest("Required metadata header not specified");
  }
  if (ctx.request.method !== "GET") {
    return jsonResponse(405, { error: "invalid_request", error_description: "Method not allowed" });
  }
  if (!ctx.query["api-version"]) return invalidRequest("Required query variable 'api-version' is missing");
  const resource = ctx.query["resource"];
  if (!resource) return invalidRequest("Required query variable 'resource' is missing");
  const identity = selectIdentity(ctx.query, deps.seed);
  if (typeof identity === "string") return invalidRequest(identity);
  const issued = deps.tokens.issue(identity, resource, deps.lifetime(identity), "imds");
  ctx.record.identity = identity.name;
  const lifetime = String(issued.expiresOn - issued.issuedAt);
  return jsonResponse(200, {
    access_token: issued.token,
    client_id: identity.clientId,
    expires_in: lifetime,
    expires_on: String(issued.expiresOn),
    ext_expires_in: lifetime,
    not_before: String(nowSeconds()),
    resource,
    token_type: "Bearer",
  });
}

/** Picks the managed identity a request names; a string is the error text. */
function selectIdentity(query: Record<string, string>, seed: Seed): Identity | string {
  const managed = seed.identities.filter((i) => i.kind === "managedIdentity");
  const clientId = query["client_id"];
  const objectId = query["object_id"];
  const resId = query["msi_res_id"] ?? query["mi_res_id"];
  const userAssigned = managed.filter((i) => !i.systemAssigned);
  let found: Identity | undefined;
  if (clientId) found = managed.find((i) => same(i.clientId, clientId));
  else if (objectId) found = managed.find((i) => same(i.objectId, objectId));
  else if (resId) found = userAssigned.find((i) => i.resourceId !== undefined && same(i.resourceId, resId));
  else {
    found = managed.find((i) => i.systemAssigned);
    // Like a real VM: with no system identity, a lone user-assigned one is the default.
    if (!found && userAssigned.length > 1) {
      return "Multiple user assigned identities exist, please specify the clientId / resourceId of the identity in the token request";
    }
    found ??= userAssigned[0];
  }
  return found ?? "Identity not found";
}

function same(a: string, b: string): boolean {
  return a.toLowerCase() === b.toLowerCase();
}

function invalidRequest(description: string): Response {
  return jsonResponse(400, { error: "invalid_request", error_description: description });
}
