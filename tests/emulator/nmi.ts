/**
 * aad-pod-identity's Node Managed Identity (NMI) host endpoint, which the
 * provider calls in pod-identity mode with the pod's namespace and name in
 * headers. Errors are plain text, as NMI writes them with Go's http.Error.
 */
import { jsonResponse, nowSeconds, textResponse } from "./http.ts";
import type { Route, ServiceContext } from "./pipeline.ts";
import type { Identity, Seed } from "./seed.ts";
import type { TokenIssuer } from "./tokens.ts";

/** What the NMI emulator needs. */
export interface NmiDeps {
  seed: Seed;
  tokens: TokenIssuer;
  lifetime: (identity: Identity) => number;
}

/** Builds the NMI route. */
export function nmiRoute(deps: NmiDeps): Route {
  return {
    service: "nmi",
    handler: (ctx) => handle(ctx, deps),
    faultBody: (status) => `injected HTTP ${status}\n`,
  };
}

function handle(ctx: ServiceContext, deps: NmiDeps): Response {
  const path = ctx.url.pathname;
  // Go's ServeMux redirects the slash-less form of a subtree pattern.
  if (path === "/host/token") {
    return new Response(null, { status: 301, headers: { location: `/host/token/${ctx.url.search}` } });
  }
  if (path !== "/host/token/") return textResponse(404, "404 page not found\n");
  const podns = ctx.request.headers.get("podns") ?? "";
  const podname = ctx.request.headers.get("podname") ?? "";
  if (!podns || !podname) {
    return textResponse(400, "missing 'podname' and 'podns' from request header\n");
  }
  const resource = ctx.query["resource"] ?? "";
  if (!resource) return textResponse(400, "parameter resource cannot be empty\n");
  const identity = podIdentity(deps.seed, `${podns}/${podname}`, ctx.query["client_id"]);
  if (!identity) {
    return textResponse(
      404,
      `no AzureAssignedIdentity found for pod:${podns}/${podname} in assigned state\n`,
    );
  }
  const issued = deps.tokens.issue(identity, resource, deps.lifetime(identity), "nmi");
  ctx.record.identity = identity.name;
  return jsonResponse(200, {
    token: {
      access_token: issued.token,
      refresh_token: "",
      expires_in: String(issued.expiresOn - issued.issuedAt),
      expires_on: String(issued.expiresOn),
      not_before: String(nowSeconds()),
      resource,
      token_type: "Bearer",
    },
    clientid: identity.clientId,
  });
}

function podIdentity(seed: Seed, pod: string, clientId: string | undefined): Identity | undefined {
  return seed.identities.find((i) =>
    i.kind === "podIdentity" && i.pods.includes(pod) &&
    (clientId === undefined || i.clientId.toLowerCase() === clientId.toLowerCase())
  );
}
