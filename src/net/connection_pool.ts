import type { SecretClient } from "@azure/keyvault-secrets";
import { HttpsProxyAgent } from "https-proxy-agent";

type ClientOptions = NonNullable<ConstructorParameters<typeof SecretClient>[2]>;
/** A policy as the Azure SDK clients and credentials take it in `additionalPolicies`. */
export type AdditionalPolicy = NonNullable<ClientOptions["additionalPolicies"]>[number];

/**
 * Connections kept per origin (one Key Vault, one Entra host) through one proxy. A burst of
 * pods queues its requests here instead of opening a connection (and a TLS session) each:
 * 110 pods × 5 objects would otherwise mean hundreds of handshakes and their buffers at once.
 */
export const MAX_SOCKETS_PER_ORIGIN = 64;

/**
 * An `HttpsProxyAgent` that pools its tunnels. agent-base names a pool by asking whether the
 * request is HTTPS, and without a `protocol` option it guesses by searching a fresh stack
 * trace for Node's https module. Under Deno the guess differs between taking a socket and
 * giving it back, so a freed socket lands in a pool nobody asks and every request opens a
 * new connection while the old ones stay open; the stack trace also costs milliseconds per
 * request in a busy process. Every request through this agent is HTTPS: say so.
 */
export class PooledHttpsProxyAgent extends HttpsProxyAgent<string> {
  override isSecureEndpoint(): boolean {
    return true;
  }
}

/** One pooled agent per proxy URL, shared by every client and credential of the process. */
const agents = new Map<string, PooledHttpsProxyAgent>();

/**
 * Keeps connections through an HTTPS proxy open between requests, in one bounded pool.
 *
 * Without a proxy the SDK reuses connections, but with `HTTPS_PROXY` set its proxy policy
 * gives each client an `HttpsProxyAgent` without keep-alive: every Key Vault GET and token
 * request then opens a connection, sends CONNECT and does a TLS handshake (the Go provider's
 * transport keeps them). This policy runs after the SDK's proxy policy has decided, honouring
 * NO_PROXY, that a request goes through the proxy, and swaps in the pooled agent for the
 * same proxy. Requests the SDK sends directly are left alone.
 */
export const pooledConnectionsPolicy: AdditionalPolicy = {
  position: "perRetry",
  policy: {
    name: "pooledConnectionsPolicy",
    sendRequest(request, next) {
      const agent = request.agent;
      if (agent instanceof HttpsProxyAgent && !(agent instanceof PooledHttpsProxyAgent)) {
        request.agent = pooledAgent(agent);
      }
      return next(request);
    },
  },
};

function pooledAgent(agent: HttpsProxyAgent<string>): PooledHttpsProxyAgent {
  // The URL keeps any proxy credentials, so the pooled agent authenticates as the SDK's would.
  const key = agent.proxy.href;
  let pooled = agents.get(key);
  if (!pooled) {
    pooled = new PooledHttpsProxyAgent(key, {
      keepAlive: true,
      maxSockets: MAX_SOCKETS_PER_ORIGIN,
      headers: agent.proxyHeaders,
    });
    agents.set(key, pooled);
  }
  return pooled;
}
