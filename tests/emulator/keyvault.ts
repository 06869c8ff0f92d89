/**
 * The Key Vault data plane (read side): challenge authentication, token and
 * access-policy checks, object GETs and version paging, with the status
 * codes, error codes and messages of the real service, in the real order
 * (401 before anything else, then 403, then 404).
 */
import { type Cloud, cloudByName, stackCloud, vaultResource } from "./clouds.ts";
import { jsonResponse, nowSeconds } from "./http.ts";
import type { Route, ServiceContext } from "./pipeline.ts";
import type { Permission, SecretVersion, Seed, Vault } from "./seed.ts";
import { type Collection, type Json, VaultContents } from "./store.ts";
import type { IssuedToken, TokenIssuer } from "./tokens.ts";

/** What the Key Vault emulator needs. */
export interface KeyVaultDeps {
  seed: Seed;
  tokens: TokenIssuer;
  /** Page size of version listings when the client sends no `maxresults`. */
  pageSize: () => number;
}

interface VaultEntry {
  vault: Vault;
  cloud: Cloud;
  contents: VaultContents;
}

/** The real service caps `maxresults` at 25. */
const MAX_PAGE = 25;
const KEY_VAULT_APP_ID = "cfa8b339-82a2-471a-a3c9-0fc0be7a4093";

/** The Key Vault route, plus the one write the tests make behind the SDK's back. */
export interface KeyVaultRoute extends Route {
  /** Adds a secret version to a seeded vault (by name); throws for an unknown vault. */
  addSecretVersion(vault: string, name: string, version: SecretVersion): void;
}

/** Builds the Key Vault route. */
export function keyVaultRoute(deps: KeyVaultDeps): KeyVaultRoute {
  const vaults = new Map<string, VaultEntry>();
  for (const vault of deps.seed.vaults) {
    const cloud = vault.azureStack
      ? stackCloud(vault.azureStack)
      : cloudByName(vault.cloud, deps.seed.azureStack);
    vaults.set(`${vault.name}.${cloud.vaultSuffix}`, {
      vault,
      cloud,
      contents: new VaultContents(vault),
    });
  }
  return {
    service: "keyvault",
    handler: (ctx) => handle(ctx, vaults, deps),
    faultBody: keyVaultFaultBody,
    addSecretVersion: (vault, name, version) => {
      const entry = [...vaults.values()].find((e) => e.vault.name === vault.toLowerCase());
      if (!entry) throw new Error(`no seeded vault '${vault}'`);
      entry.contents.addSecretVersion(name, version);
    },
  };
}

function handle(ctx: ServiceContext, vaults: Map<string, VaultEntry>, deps: KeyVaultDeps): Response {
  const entry = vaults.get(ctx.host);
  // A real client would fail DNS resolution here; the proxy has already
  // accepted the tunnel, so the closest honest answer is a 404.
  if (!entry) {
    return kvError(404, "VaultNotFound", `The vault ${ctx.host} does not exist in this emulator.`);
  }
  const auth = authenticate(ctx, entry, deps.tokens);
  if (auth instanceof Response) return auth;
  ctx.record.identity = auth.identity;
  const op = parseOperation(ctx.url.pathname);
  if (!op) return kvError(404, "NotFound", `No route matches ${ctx.url.pathname}.`);
  if (ctx.request.method !== "GET") {
    return kvError(
      405,
      "MethodNotAllowed",
      `The requested resource does not support http method '${ctx.request.method}'. The emulator is read-only.`,
    );
  }
  const denied = authorize(auth, entry, op);
  if (denied) return denied;
  return execute(ctx, entry, op, deps);
}

// ---- authentication -------------------------------------------------------

function challenge(entry: VaultEntry): Record<string, string> {
  return {
    "www-authenticate":
      `Bearer authorization="https://${entry.cloud.loginHost}/${entry.vault.tenant}", resource="${
        vaultResource(entry.cloud)
      }"`,
  };
}

function unauthorized(entry: VaultEntry, message: string): Response {
  return jsonResponse(401, { error: { code: "Unauthorized", message } }, challenge(entry));
}

function authenticate(ctx: ServiceContext, entry: VaultEntry, tokens: TokenIssuer): IssuedToken | Response {
  const header = ctx.request.headers.get("authorization") ?? "";
  const match = /^Bearer\s+(\S+)$/i.exec(header.trim());
  if (!match) return unauthorized(entry, "AKV10000: Request is missing a Bearer or PoP token.");
  const token = tokens.lookup(match[1]);
  if (!token) {
    return unauthorized(entry, "AKV10046: Unable to resolve the key used for signature validation.");
  }
  ctx.record.identity = token.identity;
  if (token.expiresOn <= nowSeconds()) {
    return unauthorized(entry, "[TokenExpired] Error validating token: 'S2S12086'.");
  }
  const resource = vaultResource(entry.cloud);
  // Exact comparison: the real service rejects `https://vault.azure.net/`.
  if (token.resource !== resource && token.resource !== KEY_VAULT_APP_ID) {
    return unauthorized(
      entry,
      `AKV10022: Invalid audience. Expected ${resource}, found: ${token.resource}.`,
    );
  }
  if (token.tenant !== entry.vault.tenant) {
    return unauthorized(
      entry,
      `AKV10032: Invalid issuer. Expected one of https://sts.windows.net/${entry.vault.tenant}/, found https://sts.windows.net/${token.tenant}/.`,
    );
  }
  return token;
}

// ---- routing ----------------------------------------------------------------

type Operation =
  | { kind: "get"; collection: Collection; name: string; version?: string }
  | { kind: "versions"; collection: Collection; name: string }
  | { kind: "list"; collection: Collection }
  | { kind: "policy"; name: string };

const COLLECTIONS: Collection[] = ["secrets", "keys", "certificates"];

/** Maps a path to an operation. `/secrets/x/` (trailing slash) means latest. */
function parseOperation(pathname: string): Operation | undefined {
  const parts = pathname.split("/").slice(1);
  if (parts.at(-1) === "") parts.pop();
  const collection = parts[0] as Collection;
  if (!COLLECTIONS.includes(collection)) return undefined;
  const [, name, third] = parts.map(decodeURIComponent);
  if (parts.length === 1) return { kind: "list", collection };
  if (parts.length === 2) return { kind: "get", collection, name };
  if (parts.length !== 3) return undefined;
  if (third === "versions") return { kind: "versions", collection, name };
  if (third === "policy" && collection === "certificates") return { kind: "policy", name };
  return { kind: "get", collection, name, version: third };
}

function permissionFor(op: Operation): Permission {
  if (op.kind === "policy") return "certificates get";
  return `${op.collection} ${op.kind === "get" ? "get" : "list"}` as Permission;
}

// ---- authorization ----------------------------------------------------------

function authorize(token: IssuedToken, entry: VaultEntry, op: Operation): Response | undefined {
  const permission = permissionFor(op);
  if (entry.vault.access[token.identity]?.includes(permission)) return undefined;
  const caller = `appid=${token.clientId};oid=${token.objectId};iss=https://sts.windows.net/${token.tenant}/`;
  const vaultRef = `${entry.vault.name};location=${entry.vault.location}`;
  if (entry.vault.authorization === "rbac") {
    const message = "Caller is not authorized to perform action on resource.\r\n" +
      "If role assignments, deny assignments or role definitions were changed recently, please observe propagation time.\r\n" +
      `Caller: ${caller}\r\nAction: '${rbacAction(permission)}'\r\n` +
      `Resource: '/subscriptions/00000000-0000-0000-0000-000000000000/resourcegroups/emulator/providers/microsoft.keyvault/vaults/${entry.vault.name}'\r\n` +
      `Assignment: (not found)\r\nDenyAssignmentId: null\r\nDecisionReason: null \r\nVault: ${vaultRef}\r\n`;
    return kvError(403, "Forbidden", message, "ForbiddenByRbac");
  }
  const message =
    `The user, group or application '${caller}' does not have ${permission} permission on key vault '${vaultRef}'. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125287`;
  return kvError(403, "Forbidden", message, "AccessDenied");
}

function rbacAction(permission: Permission): string {
  const actions: Record<Permission, string> = {
    "secrets get": "Microsoft.KeyVault/vaults/secrets/getSecret/action",
    "secrets list": "Microsoft.KeyVault/vaults/secrets/readMetadata/action",
    "keys get": "Microsoft.KeyVault/vaults/keys/read",
    "keys list": "Microsoft.KeyVault/vaults/keys/read",
    "certificates get": "Microsoft.KeyVault/vaults/certificates/read",
    "certificates list": "Microsoft.KeyVault/vaults/certificates/read",
  };
  return actions[permission];
}

// ---- operations -------------------------------------------------------------

function execute(ctx: ServiceContext, entry: VaultEntry, op: Operation, deps: KeyVaultDeps): Response {
  const base = `https://${ctx.host}`;
  switch (op.kind) {
    case "get":
      return getObject(entry, op.collection, op.name, op.version, base);
    case "versions": {
      const items = entry.contents.versions(op.collection, op.name, base);
      if (!items) return notFound(op.collection, op.name);
      return page(ctx, items, deps);
    }
    case "list":
      return page(ctx, entry.contents.objects(op.collection, base), deps);
    case "policy": {
      const policy = entry.contents.policy(op.name, base);
      return policy ? jsonResponse(200, policy) : notFound("certificates", op.name);
    }
  }
}

function getObject(
  entry: VaultEntry,
  collection: Collection,
  name: string,
  version: string | undefined,
  base: string,
): Response {
  const found = entry.contents.get(collection, name, version, base);
  if (found.kind === "found") return jsonResponse(200, found.bundle);
  if (found.kind === "notFound") return notFound(collection, version ? `${name}/${version}` : name);
  const noun = collection === "secrets" ? "secret" : "key";
  const inner = collection === "secrets" ? "SecretDisabled" : "KeyDisabled";
  return kvError(403, "Forbidden", `Operation get is not allowed on a disabled ${noun}.`, inner);
}

function notFound(collection: Collection, name: string): Response {
  const [code, noun] = {
    secrets: ["SecretNotFound", "secret"],
    keys: ["KeyNotFound", "key"],
    certificates: ["CertificateNotFound", "certificate"],
  }[collection];
  const message = `A ${noun} with (name/id) ${name} was not found in this key vault. ` +
    "If you recently deleted this " + noun +
    " you may be able to recover it using the correct recovery command. " +
    "For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182";
  return kvError(404, code, message);
}

/** One page of `items`, with an absolute nextLink carrying a $skiptoken. */
function page(ctx: ServiceContext, items: Json[], deps: KeyVaultDeps): Response {
  const size = pageSizeOf(ctx, deps);
  if (size instanceof Response) return size;
  const offset = skipOf(ctx);
  if (offset instanceof Response) return offset;
  const end = offset + size;
  let nextLink: string | null = null;
  if (end < items.length) {
    const params = new URLSearchParams();
    const apiVersion = ctx.query["api-version"];
    if (apiVersion !== undefined) params.set("api-version", apiVersion);
    // Real nextLinks name the port and repeat the page size.
    nextLink = `https://${ctx.host}:443${ctx.url.pathname}?${params}` +
      `${apiVersion === undefined ? "" : "&"}$skiptoken=${encodeSkip(end)}&maxresults=${size}`;
  }
  return jsonResponse(200, { value: items.slice(offset, end), nextLink });
}

function pageSizeOf(ctx: ServiceContext, deps: KeyVaultDeps): number | Response {
  const raw = ctx.query["maxresults"];
  if (raw === undefined) return deps.pageSize();
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > MAX_PAGE) {
    return kvError(
      400,
      "BadParameter",
      `Invalid value '${raw}' for parameter maxresults: it must be an integer between 1 and ${MAX_PAGE}.`,
    );
  }
  return n;
}

// Skip tokens are opaque to clients; ours encode the offset, base64url so
// they survive being pasted into a URL unescaped.
function encodeSkip(offset: number): string {
  return btoa(JSON.stringify({ NextMarker: `2!${offset}` })).replaceAll("+", "-").replaceAll(
    "/",
    "_",
  ).replace(/=+$/, "");
}

function skipOf(ctx: ServiceContext): number | Response {
  const token = ctx.url.searchParams.get("$skiptoken");
  if (token === null) return 0;
  try {
    const json = JSON.parse(atob(token.replaceAll("-", "+").replaceAll("_", "/")));
    const offset = Number(String(json.NextMarker).split("!")[1]);
    if (Number.isInteger(offset) && offset >= 0) return offset;
  } catch {
    // fall through to the error below
  }
  return kvError(400, "BadParameter", "The provided skip token is invalid.");
}

function kvError(status: number, code: string, message: string, inner?: string): Response {
  const error: Json = { code, message };
  if (inner) error.innererror = { code: inner };
  return jsonResponse(status, { error });
}

/** Service-typical bodies for injected statuses. */
export function keyVaultFaultBody(status: number): unknown {
  const known: Record<number, [string, string]> = {
    429: [
      "Throttled",
      "Request was not processed because too many requests were received. Reason: VaultRequestTypeLimitReached",
    ],
    500: ["InternalServerError", "The server encountered an internal error."],
    502: ["BadGateway", "The server received an invalid response from an upstream server."],
    503: ["ServiceUnavailable", "The service is currently unavailable. Please retry."],
    504: ["GatewayTimeout", "The operation timed out."],
  };
  const [code, message] = known[status] ?? ["InjectedFault", `Injected HTTP ${status}.`];
  return { error: { code, message } };
}
