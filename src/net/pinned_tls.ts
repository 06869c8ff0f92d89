import { createHttpHeaders, createPipelineRequest, proxyPolicy } from "@azure/core-rest-pipeline";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { Agent as HttpAgent, ClientRequest, ClientRequestArgs } from "node:http";
import { connect as tlsConnect, type ConnectionOptions, type TLSSocket } from "node:tls";
import type { Duplex } from "node:stream";
import { HttpsProxyAgent } from "https-proxy-agent";
import { MAX_SOCKETS_PER_ORIGIN, PooledHttpsProxyAgent } from "./connection_pool.ts";

/**
 * How a TLS connection checks the server it reaches: the server name it sends (SNI) and checks
 * the certificate against, and the certificates it trusts (PEM; the system roots when absent).
 */
export interface PinnedTls {
  readonly servername: string;
  readonly ca?: string;
}

/**
 * The SDK's own decision whether a URL goes through a proxy: its proxy policy reads
 * `HTTPS_PROXY`/`NO_PROXY` and sets an agent on the request when one applies. Asked once per
 * URL, so a host in `NO_PROXY` (the cluster's own names) is reached directly as every SDK
 * request would be.
 */
const sdkProxy = proxyPolicy();

/** The proxy agent the Azure SDK would send a request to `url` through, or undefined (direct). */
async function sdkProxyAgent(url: string): Promise<HttpsProxyAgent<string> | undefined> {
  const request = createPipelineRequest({ url });
  await sdkProxy.sendRequest(
    request,
    (decided) => Promise.resolve({ request: decided, status: 0, headers: createHttpHeaders() }),
  );
  return request.agent instanceof HttpsProxyAgent ? request.agent : undefined;
}

/** Opens every connection straight to the server, with the pinned server name and trust. */
class PinnedTlsAgent extends HttpsAgent {
  constructor(private readonly pinned: PinnedTls) {
    super({ keepAlive: true, maxSockets: MAX_SOCKETS_PER_ORIGIN });
  }

  // Deno's node:https refuses an Agent given its own `ca` or `servername` (it asks for sys
  // access), but passes tls.connect's options through: the TLS settings go here.
  // The socket is returned, not passed to the callback: node:http's agent takes either.
  override createConnection(options: ClientRequestArgs): Duplex {
    return tlsConnect({
      ...(options as ConnectionOptions),
      servername: this.pinned.servername,
      ca: this.pinned.ca,
    });
  }
}

/** Tunnels through an HTTPS proxy (CONNECT), then opens TLS with the pinned server name and trust. */
class PinnedTlsTunnelAgent extends PooledHttpsProxyAgent {
  constructor(proxy: HttpsProxyAgent<string>, private readonly pinned: PinnedTls) {
    // The URL keeps any proxy credentials, so the tunnel authenticates as the SDK's would.
    super(proxy.proxy.href, {
      keepAlive: true,
      maxSockets: MAX_SOCKETS_PER_ORIGIN,
      headers: proxy.proxyHeaders,
    });
  }

  // agent-base's connect options are the request's; the TLS options go into the upgrade of the
  // tunnel (https-proxy-agent passes them to tls.connect, and sets servername only when unset).
  override connect(request: ClientRequest, options: ConnectOptions) {
    const pinned = { servername: this.pinned.servername, ca: this.pinned.ca };
    return super.connect(request, { ...options, ...pinned } as ConnectOptions);
  }
}

type ConnectOptions = Parameters<HttpsProxyAgent<string>["connect"]>[1];

/** One agent per (route, server name, trust); a new CA replaces the agent of the old one. */
const agents = new Map<string, { readonly ca: string | undefined; readonly agent: HttpAgent }>();

/**
 * The agent for HTTPS requests to `url` whose TLS must send and check `pinned.servername` and
 * trust `pinned.ca`: through the proxy the SDK would use for `url`, or directly. Agents keep
 * their connections, so a token request after the first reuses one.
 */
export async function pinnedTlsAgent(url: string, pinned: PinnedTls): Promise<HttpAgent> {
  const proxy = await sdkProxyAgent(url);
  const origin = new URL(url);
  const key = JSON.stringify([proxy?.proxy.href ?? "", origin.host, pinned.servername]);
  const kept = agents.get(key);
  if (kept && kept.ca === pinned.ca) return kept.agent;
  kept?.agent.destroy();
  const agent = proxy ? new PinnedTlsTunnelAgent(proxy, pinned) : new PinnedTlsAgent(pinned);
  agents.set(key, { ca: pinned.ca, agent });
  return agent;
}

/** The largest response body read while looking at a server's certificate. */
const MAX_PROBE_BODY = 64 * 1024;

/**
 * The certificate `url`'s server presents (DER), from one anonymous `HEAD` request over a
 * connection of its own with `pinned` TLS settings: the handshake checks the certificate
 * against the trust and the server name, then the answer itself is not needed.
 */
export async function peerCertificate(
  url: string,
  pinned: PinnedTls,
  signal: AbortSignal,
): Promise<Uint8Array> {
  const proxy = await sdkProxyAgent(url);
  const agent = proxy ? new PinnedTlsTunnelAgent(proxy, pinned) : new PinnedTlsAgent(pinned);
  try {
    return await new Promise<Uint8Array>((resolve, reject) => {
      const request = httpsRequest(url, { method: "HEAD", agent, signal }, (response) => {
        const certificate = (response.socket as TLSSocket).getPeerCertificate?.()?.raw;
        let size = 0;
        response.on("data", (chunk: Uint8Array) => {
          size += chunk.length;
          if (size > MAX_PROBE_BODY) response.destroy();
        });
        response.resume();
        if (certificate) resolve(new Uint8Array(certificate));
        else reject(new Error(`${new URL(url).host} presented no certificate`));
      });
      request.on("error", reject);
      request.end();
    });
  } finally {
    agent.destroy();
  }
}
