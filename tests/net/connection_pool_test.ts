import assert from "node:assert/strict";
import https from "node:https";
import { HttpsProxyAgent } from "https-proxy-agent";
import { pooledConnectionsPolicy } from "../../src/net/connection_pool.ts";

type Request = Parameters<typeof pooledConnectionsPolicy.policy.sendRequest>[0];

/** Runs the policy on a request carrying `agent` and returns the agent it went out with. */
async function sentWith(agent: unknown): Promise<unknown> {
  const request = { agent } as unknown as Request;
  let seen: unknown = "not sent";
  await pooledConnectionsPolicy.policy.sendRequest(request, (sent) => {
    seen = sent.agent;
    return Promise.resolve({ request: sent, status: 200, headers: {} } as never);
  });
  return seen;
}

Deno.test("connection pool: a proxied request gets one keep-alive, bounded agent per proxy", async () => {
  const sdkAgent = new HttpsProxyAgent("http://user:pw@127.0.0.1:3128");
  const first = await sentWith(sdkAgent) as HttpsProxyAgent<string>;
  const second = await sentWith(new HttpsProxyAgent("http://user:pw@127.0.0.1:3128")) as HttpsProxyAgent<
    string
  >;
  assert.ok(first instanceof HttpsProxyAgent);
  assert.notEqual(first, sdkAgent);
  assert.equal(second, first, "every client shares the pool of one proxy");
  assert.equal(first.keepAlive, true);
  assert.equal(first.maxSockets, 64);
  assert.equal(first.proxy.href, "http://user:pw@127.0.0.1:3128/", "proxy credentials kept");
  assert.equal(first.isSecureEndpoint(), true);
  assert.equal(await sentWith(first), first, "a pooled agent is kept");
  const other = await sentWith(new HttpsProxyAgent("http://127.0.0.1:8080")) as HttpsProxyAgent<string>;
  assert.notEqual(other, first, "another proxy, another pool");
  first.destroy();
  other.destroy();
});

Deno.test("connection pool: direct requests and other agents are left to the SDK", async () => {
  assert.equal(await sentWith(undefined), undefined);
  const agent = new https.Agent({ keepAlive: true });
  assert.equal(await sentWith(agent), agent);
  agent.destroy();
});
