/**
 * /healthz answers from a gRPC health check made through the provider's own socket, as the Go
 * provider's does: 200 `ok`, or 503 with the error text when the socket does not answer.
 */
import assert from "node:assert/strict";
import { serveHealth } from "../../src/ops/health.ts";
import { silentLogger } from "../harness/logger.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { startProviderProcess } from "../harness/provider_process.ts";
import { freePort } from "../harness/net.ts";

async function get(url: string): Promise<{ status: number; type: string | null; body: string }> {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get("content-type"), body: await response.text() };
}

Deno.test("healthz: 200 ok through the socket, 404 elsewhere, 503 with the gRPC error once the socket is gone", async () => {
  const port = freePort();
  const provider = await startProviderProcess({
    args: [`--healthz-port=${port}`, "--healthz-path=/live", "--healthz-timeout=2s", "-v=5"],
  });
  try {
    assert.deepEqual(await get(`http://127.0.0.1:${port}/live`), {
      status: 200,
      type: "text/plain; charset=utf-8",
      body: "ok",
    });
    assert.equal((await get(`http://127.0.0.1:${port}/healthz`)).status, 404, "only the configured path");
    assert.match(provider.output(), /started health check/);
    assert.match(provider.output(), /grpc request v=5 method=\/grpc\.health\.v1\.Health\/Check code=OK/);

    // Nothing answers on the path any more: what a liveness probe must notice.
    await Deno.remove(provider.socketPath);
    const broken = await get(`http://127.0.0.1:${port}/live`);
    assert.equal(broken.status, 503);
    assert.equal(broken.type, "text/plain; charset=utf-8");
    assert.match(broken.body, /^rpc error: code = Unavailable desc = .+\n$/);
  } finally {
    assert.equal(await provider.stop(), 0);
  }
});

Deno.test("healthz: a socket that accepts but never answers is a 503 after --healthz-timeout", async () => {
  const dir = await Deno.makeTempDir({ prefix: "healthz-" });
  const path = `${dir}/azure.sock`;
  const listener = Deno.listen({ transport: "unix", path });
  const held: Deno.Conn[] = [];
  const accepting = (async () => {
    for await (const conn of listener) held.push(conn);
  })();
  const health = await serveHealth({
    port: 0,
    path: "/healthz",
    timeoutMs: 300,
    endpoint: { kind: "unix", path },
    logger: silentLogger,
  });
  try {
    const answer = await get(`http://127.0.0.1:${health.port}/healthz`);
    assert.equal(answer.status, 503);
    assert.match(answer.body, /^rpc error: code = DeadlineExceeded desc = /);
  } finally {
    await health.close();
    listener.close();
    await accepting.catch(() => {});
    for (const conn of held) conn.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a health or metrics port already taken on the node is logged; the provider serves gRPC and the other endpoint all the same", async () => {
  const taken = Deno.listen({ hostname: "0.0.0.0", port: 0 });
  const port = (taken.addr as Deno.NetAddr).port;
  const healthPort = freePort();
  const provider = await startProviderProcess({
    args: [`--prometheus-port=${port}`, `--healthz-port=${healthPort}`],
  });
  try {
    const client = providerClient(provider.socketPath);
    assert.equal((await client.version()).version, "v1alpha1");
    client.close();
    assert.equal((await get(`http://127.0.0.1:${healthPort}/healthz`)).body, "ok");
    assert.match(provider.output(), new RegExp(`ERROR cannot serve metrics on port ${port}: .*in use`, "i"));
    assert.match(provider.output(), /healthz endpoint listening/);
  } finally {
    assert.equal(await provider.stop(), 0);
    taken.close();
  }
});
