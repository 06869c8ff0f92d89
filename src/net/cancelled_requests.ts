import { Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import type { AdditionalPolicy } from "./connection_pool.ts";

/**
 * Deno's node:http resends a request on a fresh connection when the kept-alive socket it was
 * sent on closes before a response, to hide sockets the server closed while idle. It does so
 * even when the socket closed because the caller cancelled the request (denoland/deno#36786,
 * open in Deno 2.9.6; Node.js never resends): a mount whose deadline passed left its Key Vault
 * GET running again, unseen, until Key Vault answered. This marks a request the caller
 * destroyed as already retried, which is the one thing that resend checks, so cancelled stays
 * cancelled and stale idle sockets are still retried.
 */
export const cancelledRequestsPolicy: AdditionalPolicy = {
  position: "perRetry",
  policy: {
    name: "cancelledRequestsPolicy",
    sendRequest(request, next) {
      const agent = request.agent ?? defaultAgent(request.url);
      request.agent = guarded(agent as unknown as AgentLike) as unknown as typeof request.agent;
      return next(request);
    },
  },
};

/** What node:http's ClientRequest needs of an agent. */
interface AgentLike {
  addRequest(request: RequestLike, options: unknown): void;
}

/** The part of a ClientRequest this module touches. */
interface RequestLike {
  destroy(error?: Error): unknown;
  /** Deno's guard against resending a request twice; set, it also stops the first resend. */
  _retrying?: boolean;
  [STAYS_CANCELLED]?: true;
}

const STAYS_CANCELLED = Symbol("staysCancelled");
const wrappers = new WeakMap<AgentLike, AgentLike>();
// The SDK's own defaults when no proxy applies: one keep-alive agent per protocol.
const defaults = { https: new HttpsAgent({ keepAlive: true }), http: new HttpAgent({ keepAlive: true }) };

function defaultAgent(url: string): HttpAgent {
  return url.startsWith("https:") ? defaults.https : defaults.http;
}

/** The agent, unchanged but for every request it takes staying cancelled once destroyed. */
function guarded(agent: AgentLike): AgentLike {
  let wrapper = wrappers.get(agent);
  if (!wrapper) {
    wrapper = new Proxy(agent, {
      get(target, property) {
        if (property === "addRequest") {
          return (request: RequestLike, options: unknown) => {
            staysCancelled(request);
            return target.addRequest(request, options);
          };
        }
        const value = Reflect.get(target, property, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    wrappers.set(agent, wrapper);
    wrappers.set(wrapper, wrapper);
  }
  return wrapper;
}

function staysCancelled(request: RequestLike): void {
  if (request[STAYS_CANCELLED]) return;
  request[STAYS_CANCELLED] = true;
  const destroy = request.destroy;
  request.destroy = function (this: RequestLike, error?: Error) {
    this._retrying = true;
    return destroy.call(this, error);
  };
}
