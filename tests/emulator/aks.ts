/**
 * The AKS cluster around the provider, for identity binding: the API server, whose certificate
 * names the cluster id (`hcp-kubernetes.<id>.svc.cluster.local`), and the identity-binding token
 * proxy on the same address, reached with its own TLS server name. The proxy's server name is
 * computed here with Python's base32hex, independently of the provider's code.
 */
import { jsonResponse } from "./http.ts";
import type { Route } from "./pipeline.ts";

/** The API server's in-cluster name, which the token proxy shares. */
export const API_SERVER_HOST = "kubernetes.default.svc.cluster.local";

/** The DNS names of the API server's certificate, as AKS issues it. */
export function apiServerNames(clusterId: string): string[] {
  return [
    "kubernetes",
    "kubernetes.default",
    "kubernetes.default.svc",
    API_SERVER_HOST,
    `hcp-kubernetes.${clusterId}.svc.cluster.local`,
  ];
}

/**
 * The token proxy's server name for `clusterId`: `a` + lowercase unpadded base32hex of
 * sha256("identity-binding" + id) + `.ests.aks`.
 */
export async function identityBindingSniName(clusterId: string): Promise<string> {
  const script = "import base64,hashlib,sys\n" +
    "digest = hashlib.sha256(b'identity-binding' + sys.argv[1].encode()).digest()\n" +
    "print('a' + base64.b32hexencode(digest).decode().rstrip('=').lower() + '.ests.aks')";
  const out = await new Deno.Command("python3", { args: ["-c", script, clusterId], stdout: "piped" })
    .output();
  if (!out.success) throw new Error("python3 could not compute the identity-binding server name");
  return new TextDecoder().decode(out.stdout).trim();
}

/**
 * The API server, for clients that reach it without the token proxy's server name: every
 * request is anonymous here, so every answer is Kubernetes' 403 Status.
 */
export function apiServerRoute(): Route {
  return {
    service: "apiserver",
    handler: (ctx) =>
      jsonResponse(403, {
        kind: "Status",
        apiVersion: "v1",
        metadata: {},
        status: "Failure",
        message:
          `forbidden: User "system:anonymous" cannot ${ctx.request.method.toLowerCase()} path "${ctx.url.pathname}"`,
        reason: "Forbidden",
        details: {},
        code: 403,
      }),
    faultBody: (status) => ({ kind: "Status", apiVersion: "v1", status: "Failure", code: status }),
  };
}
