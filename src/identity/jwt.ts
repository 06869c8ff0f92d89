import { Buffer } from "node:buffer";

/**
 * The payload of a JWT, unverified: the provider hands service-account tokens to Entra (or a
 * token proxy), which checks the signature; it reads the public claims only to key its caches
 * and to word its errors. Undefined when `token` is not three base64url parts with a JSON
 * object in the middle.
 *
 * @example
 * ```ts
 * readJwtClaims("eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJhIn0.c2ln"); // { sub: "a" }
 * readJwtClaims("not a token"); // undefined
 * ```
 */
export function readJwtClaims(token: string): Record<string, unknown> | undefined {
  const parts = token.split(".");
  if (parts.length !== 3) return undefined;
  try {
    const claims = JSON.parse(Buffer.from(parts[1], "base64url").toString("utf8"));
    return typeof claims === "object" && claims !== null && !Array.isArray(claims) ? claims : undefined;
  } catch {
    return undefined;
  }
}
