/**
 * Access tokens: minted by the Entra, IMDS and NMI emulators and checked by
 * the Key Vault emulator. Tokens are JWT-shaped like real Entra tokens (so
 * anything that logs or inspects them sees a realistic string), but validity
 * is decided by lookup in the issued set, never by trusting the signature.
 */
import { Buffer } from "node:buffer";
import { createHmac, randomBytes } from "node:crypto";
import type { Identity } from "./seed.ts";

/** Which endpoint issued a token. */
export type TokenSource = "entra" | "imds" | "nmi";

/** What the emulator remembers about a token it issued. */
export interface IssuedToken {
  token: string;
  identity: string;
  clientId: string;
  objectId: string;
  tenant: string;
  /** Audience, e.g. `https://vault.azure.net`. */
  resource: string;
  source: TokenSource;
  /** Unix seconds. */
  issuedAt: number;
  /** Unix seconds. */
  expiresOn: number;
}

/** Mints and remembers tokens. */
export class TokenIssuer {
  // A per-run key: signatures look real but mean nothing outside this run.
  #key = randomBytes(32);
  #issued = new Map<string, IssuedToken>();

  /** Issues a token for `identity` with audience `resource`. */
  issue(
    identity: Identity,
    resource: string,
    lifetimeSeconds: number,
    source: TokenSource,
  ): IssuedToken {
    const now = Math.floor(Date.now() / 1000);
    const claims = {
      aud: resource,
      iss: `https://sts.windows.net/${identity.tenant}/`,
      iat: now,
      nbf: now,
      exp: now + lifetimeSeconds,
      aio: randomBytes(12).toString("base64url"),
      appid: identity.clientId,
      appidacr: identity.kind === "servicePrincipal" ? "1" : "2",
      idp: `https://sts.windows.net/${identity.tenant}/`,
      idtyp: "app",
      oid: identity.objectId,
      sub: identity.objectId,
      tid: identity.tenant,
      uti: randomBytes(16).toString("base64url"),
      ver: "1.0",
    };
    const token = this.#sign(claims);
    const issued: IssuedToken = {
      token,
      identity: identity.name,
      clientId: identity.clientId,
      objectId: identity.objectId,
      tenant: identity.tenant,
      resource,
      source,
      issuedAt: now,
      expiresOn: claims.exp,
    };
    this.#issued.set(token, issued);
    return issued;
  }

  /** The record for a token this emulator issued, or undefined. */
  lookup(token: string): IssuedToken | undefined {
    return this.#issued.get(token);
  }

  /** Every token string issued so far, oldest first. */
  all(): string[] {
    return [...this.#issued.keys()];
  }

  /** Makes every issued token expired now (simulates time passing). */
  expireAll(): void {
    const past = Math.floor(Date.now() / 1000) - 1;
    for (const t of this.#issued.values()) t.expiresOn = Math.min(t.expiresOn, past);
  }

  #sign(claims: Record<string, unknown>): string {
    const header = { typ: "JWT", alg: "HS256", kid: "kv-emulator" };
    const body = `${b64url(header)}.${b64url(claims)}`;
    const sig = createHmac("sha256", this.#key).update(body).digest("base64url");
    return `${body}.${sig}`;
  }
}

function b64url(value: unknown): string {
  return Buffer.from(JSON.stringify(value)).toString("base64url");
}
