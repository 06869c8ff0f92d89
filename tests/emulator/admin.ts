/**
 * The admin API on the proxy port, for users in another process (bench,
 * demo) that cannot call the Emulator object: read and clear the request log,
 * set and clear faults, list issued tokens.
 */
import type { Fault, FaultSet } from "./faults.ts";
import { jsonResponse } from "./http.ts";
import type { RequestFilter, RequestLog, ServiceName } from "./records.ts";
import type { TokenIssuer } from "./tokens.ts";

/** What the admin API controls. */
export interface AdminDeps {
  log: RequestLog;
  faults: FaultSet;
  tokens: TokenIssuer;
}

/** Handles `/_emulator/...` requests; anything else gets 404 (or 403 for proxy-style URLs). */
export async function handleAdmin(request: Request, deps: AdminDeps): Promise<Response> {
  const url = new URL(request.url);
  const route = `${request.method} ${url.pathname.replace(/\/$/, "")}`;
  switch (route) {
    case "GET /_emulator/requests":
      return jsonResponse(200, deps.log.list(filterOf(url)));
    case "POST /_emulator/reset":
      deps.log.reset();
      return jsonResponse(200, { ok: true });
    case "GET /_emulator/faults":
      return jsonResponse(200, deps.faults.list());
    case "POST /_emulator/faults":
      return await setFaults(request, deps.faults);
    case "DELETE /_emulator/faults":
      deps.faults.clear();
      return jsonResponse(200, { ok: true });
    case "GET /_emulator/tokens":
      return jsonResponse(200, deps.tokens.all());
    case "GET /_emulator/health":
      return jsonResponse(200, { ok: true });
  }
  return jsonResponse(404, { error: `unknown admin endpoint ${route}` });
}

async function setFaults(request: Request, faults: FaultSet): Promise<Response> {
  try {
    const body = await request.json() as Fault | Fault[];
    faults.set(body);
    return jsonResponse(200, faults.list());
  } catch (err) {
    return jsonResponse(400, { error: String(err instanceof Error ? err.message : err) });
  }
}

// `GET /_emulator/requests?service=keyvault&pathPrefix=/secrets` filters like requests(filter).
function filterOf(url: URL): RequestFilter {
  const q = url.searchParams;
  const filter: RequestFilter = {};
  if (q.has("service")) filter.service = q.get("service") as ServiceName;
  if (q.has("host")) filter.host = q.get("host")!;
  if (q.has("method")) filter.method = q.get("method")!;
  if (q.has("pathPrefix")) filter.pathPrefix = q.get("pathPrefix")!;
  if (q.has("identity")) filter.identity = q.get("identity")!;
  if (q.has("status")) filter.status = Number(q.get("status"));
  if (q.has("aborted")) filter.aborted = q.get("aborted") === "true";
  return filter;
}
