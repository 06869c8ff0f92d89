/**
 * Service-account tokens as the kubelet projects them for the driver (unsigned: neither the
 * provider nor the emulator checks a signature), and the driver's
 * `csi.storage.k8s.io/serviceAccount.tokens` parameter that carries them.
 */
import { Buffer } from "node:buffer";

/** The service account of the test seeds' workload identity. */
export const WORKLOAD_SUBJECT = "system:serviceaccount:default:workload-sa";
/** The audience Entra's token exchange asks for. */
export const EXCHANGE_AUDIENCE = "api://AzureADTokenExchange";
/** The signature part of every token made here, for scans that a token never appears anywhere. */
export const SIGNATURE = Buffer.from("unsigned").toString("base64url");

const part = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64url");

/**
 * A projected service-account token: `sub` {@link WORKLOAD_SUBJECT}, audience
 * {@link EXCHANGE_AUDIENCE}, an AKS issuer and an hour to live unless `claims` say otherwise,
 * and a fresh `jti`, so two tokens of one subject differ as the kubelet's do.
 */
export function serviceAccountJwt(
  claims: { sub?: string; aud?: string | string[]; exp?: number; iss?: string } = {},
): string {
  const now = Math.floor(Date.now() / 1000);
  const payload = {
    aud: Array.isArray(claims.aud) ? claims.aud : [claims.aud ?? EXCHANGE_AUDIENCE],
    exp: claims.exp ?? now + 3600,
    iat: now,
    iss: claims.iss ?? "https://oidc.prod-aks.azure.com/00000000-0000-0000-0000-000000000000/",
    "kubernetes.io": { namespace: "default", serviceaccount: { name: "workload-sa" } },
    jti: crypto.randomUUID(),
    nbf: now,
    sub: claims.sub ?? WORKLOAD_SUBJECT,
  };
  return `${part({ alg: "RS256", kid: "test" })}.${part(payload)}.${SIGNATURE}`;
}

/** The driver's `csi.storage.k8s.io/serviceAccount.tokens` value for tokens by audience. */
export function serviceAccountTokens(tokens: Record<string, string>): string {
  const entries = Object.entries(tokens).map(([audience, token]) => {
    const exp = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString()).exp as number;
    return [audience, { token, expirationTimestamp: new Date(exp * 1000).toISOString() }];
  });
  return JSON.stringify(Object.fromEntries(entries));
}
