/**
 * The request pipeline every emulated service runs behind: record the
 * request, apply global latency and injected faults, call the service, and
 * note whether the client was still there to receive the answer.
 */
import type { FaultSet, StatusFault } from "./faults.ts";
import { aborted, jsonResponse, queryOf, sleep } from "./http.ts";
import type { RelayRegistry } from "./proxy.ts";
import type { RecordedRequest, RequestLog, ServiceName } from "./records.ts";

/** What a service handler gets for one request. */
export interface ServiceContext {
  request: Request;
  url: URL;
  /** Host the client addressed, lower case, without a default port. */
  host: string;
  query: Record<string, string>;
  /** Aborts when the client goes away or the emulator shuts down. */
  signal: AbortSignal;
  /** Handlers set `record.identity` to attribute the request. */
  record: RecordedRequest;
}

/** A service's request handler. */
export type ServiceHandler = (ctx: ServiceContext) => Response | Promise<Response>;

/** A routed request: which service, its handler, and its fault-body style. */
export interface Route {
  service: ServiceName;
  handler: ServiceHandler;
  /** Service-typical body for an injected status without a body. */
  faultBody: (status: number) => unknown;
}

/** Shared state the pipeline needs. */
export interface PipelineDeps {
  log: RequestLog;
  faults: FaultSet;
  relays: RelayRegistry;
  /** Extra latency for every Key Vault and Entra request (benchmarks). */
  globalLatencyMs: () => number;
  /** Aborts on emulator shutdown, releasing hung and delayed requests. */
  shutdown: AbortSignal;
}

/** Picks the route for a request, or answers it directly (unknown host/path). */
export type Router = (host: string, url: URL) => Route | Response;

/** Builds a `Deno.serve` handler for a listener whose port `serverPort()` returns. */
export function createServeHandler(
  deps: PipelineDeps,
  router: Router,
  serverPort: () => number,
): Deno.ServeHandler<Deno.NetAddr> {
  return async (request, info) => {
    const url = new URL(request.url);
    const host = url.hostname.toLowerCase();
    const route = router(host, url);
    if (route instanceof Response) return route;
    const record = deps.log.start({
      service: route.service,
      host,
      method: request.method,
      path: url.pathname,
      query: queryOf(url),
    });
    const clientGone = deps.relays.clientGone(serverPort(), info.remoteAddr.port);
    const signal = clientGone ? AbortSignal.any([clientGone, deps.shutdown]) : deps.shutdown;
    const ctx: ServiceContext = { request, url, host, query: record.query, signal, record };
    const reset = () => deps.relays.reset(serverPort(), info.remoteAddr.port);
    try {
      return await runPipeline(deps, route, ctx, reset);
    } catch (err) {
      deps.log.finish(record, 500, signal.aborted);
      return jsonResponse(500, { error: { code: "EmulatorError", message: String(err) } });
    }
  };
}

async function runPipeline(
  deps: PipelineDeps,
  route: Route,
  ctx: ServiceContext,
  reset: () => boolean,
): Promise<Response> {
  const { record, signal } = ctx;
  const plan = deps.faults.take({
    service: route.service,
    host: ctx.host,
    path: ctx.url.pathname,
    method: ctx.request.method,
  });
  if (plan.latencyMs > 0) record.fault = "latency";
  const global = route.service === "keyvault" || route.service === "entra" ? deps.globalLatencyMs() : 0;
  if (!await sleep(global + plan.latencyMs, signal)) return abandoned(deps, record);
  const terminal = plan.terminal;
  if (terminal?.kind === "reset") {
    record.fault = "reset";
    reset();
    deps.log.finish(record, 0);
    // Nobody will read this: the client's socket is already gone.
    return new Response(null, { status: 502 });
  }
  if (terminal?.kind === "hang") {
    record.fault = "hang";
    await aborted(signal);
    return abandoned(deps, record);
  }
  const response = terminal?.kind === "status" ? faultResponse(terminal, route) : await route.handler(ctx);
  if (terminal) record.fault = "status";
  if (signal.aborted) return abandoned(deps, record);
  deps.log.finish(record, response.status);
  return response;
}

function abandoned(deps: PipelineDeps, record: RecordedRequest): Response {
  deps.log.finish(record, 0, true);
  return new Response(null, { status: 499 });
}

function faultResponse(fault: StatusFault, route: Route): Response {
  const headers = new Headers(fault.headers ?? {});
  if (fault.retryAfter !== undefined) headers.set("retry-after", String(fault.retryAfter));
  if ([204, 205, 304].includes(fault.status)) return new Response(null, { status: fault.status, headers });
  const body = fault.body ?? route.faultBody(fault.status);
  if (typeof body === "string") {
    if (!headers.has("content-type")) headers.set("content-type", "text/plain; charset=utf-8");
    return new Response(body, { status: fault.status, headers });
  }
  return jsonResponse(fault.status, body, headers);
}
