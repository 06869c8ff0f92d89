/**
 * The FFI acceptor in process against the real libc, with clients that do not share its code
 * (node:net's own AF_UNIX client) and with its own dialer. Deno's op sanitizer, on by default,
 * fails a test that leaves a recv, send or accept pending on a worker thread.
 */
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import net from "node:net";
import * as grpc from "@grpc/grpc-js";
import { silentLogger } from "../../harness/logger.ts";
import { UnixAcceptor } from "../../../src/transport/afunix/acceptor.ts";
import { dialUnix } from "../../../src/transport/afunix/dial.ts";
import { healthCheckOverAfUnix } from "../../../src/transport/afunix/health_check.ts";
import type { SocketStream } from "../../../src/transport/afunix/socket_stream.ts";
import { loadSockets } from "../../../src/transport/afunix/sockets.ts";
import { healthService } from "../../../src/transport/proto.ts";
import { until } from "../../harness/wait.ts";

const sockets = loadSockets();

/** Connections served at once (docs/windows.md: each holds a thread of Deno's blocking pool). */
const CONNECTION_LIMIT = 8;

async function socketDir(): Promise<string> {
  return await Deno.makeTempDir({ dir: "/tmp", prefix: "afunix-" });
}

/** Connects with node:net and collects what the server sends until it ends the stream. */
function netClient(path: string) {
  const socket = net.createConnection({ path });
  const chunks: Buffer[] = [];
  socket.on("data", (chunk: Buffer) => chunks.push(chunk));
  const ended = new Promise<Buffer>((resolve, reject) => {
    socket.on("end", () => resolve(Buffer.concat(chunks)));
    socket.on("error", reject);
  });
  const connected = new Promise<void>((resolve, reject) => {
    socket.once("connect", () => resolve());
    socket.once("error", reject);
  });
  const closed = new Promise<void>((resolve) => socket.on("close", () => resolve()));
  // A client that never connects rejects all three; a test awaits the one it cares about.
  ended.catch(() => {});
  connected.catch(() => {});
  return { socket, ended, connected, closed };
}

function echo(stream: SocketStream): void {
  stream.on("data", (chunk) => stream.write(chunk));
  stream.on("end", () => stream.end());
}

Deno.test("FFI acceptor: 8 MiB echoed back byte for byte, in order", async () => {
  const dir = await socketDir();
  const path = `${dir}/azure.sock`;
  const acceptor = await UnixAcceptor.listen(sockets, path, echo, { logger: silentLogger });
  try {
    const payload = Buffer.alloc(8 * 1024 * 1024);
    for (let offset = 0; offset < payload.length; offset += 65536) {
      crypto.getRandomValues(payload.subarray(offset, offset + 65536));
    }
    // Written in uneven pieces so reads and writes never line up with the 64 KiB recv size.
    const client = netClient(path);
    await client.connected;
    for (let offset = 0; offset < payload.length; offset += 100_003) {
      client.socket.write(payload.subarray(offset, offset + 100_003));
    }
    client.socket.end();
    const received = await client.ended;
    assert.equal(received.length, payload.length);
    assert.ok(received.equals(payload));
    await client.closed;
  } finally {
    await acceptor.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FFI acceptor: the socket is its owner's only (0600), bound without a window", async () => {
  const dir = await socketDir();
  const path = `${dir}/azure.sock`;
  const acceptor = await UnixAcceptor.listen(sockets, path, echo, { logger: silentLogger });
  try {
    const info = await Deno.lstat(path);
    assert.equal(info.isSocket, true);
    assert.equal(info.mode! & 0o777, 0o600);
    assert.deepEqual(
      [...Deno.readDirSync(dir)].map((entry) => entry.name),
      ["azure.sock"],
      "no private folder left",
    );
  } finally {
    await acceptor.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FFI acceptor: past the connection limit, a client waits in the backlog until one closes", async () => {
  const dir = await socketDir();
  const path = `${dir}/azure.sock`;
  const accepted: SocketStream[] = [];
  const acceptor = await UnixAcceptor.listen(sockets, path, (stream) => {
    accepted.push(stream);
    echo(stream);
  }, { logger: silentLogger });
  const clients = Array.from({ length: CONNECTION_LIMIT + 1 }, () => netClient(path));
  const last = clients[CONNECTION_LIMIT];
  try {
    await Promise.all(clients.map((client) => client.connected));
    await until(() => accepted.length === CONNECTION_LIMIT, `${CONNECTION_LIMIT} connections accepted`);
    // Round trips on every accepted connection give the accept loop every chance to run.
    for (const client of clients.slice(0, CONNECTION_LIMIT)) {
      const answered = new Promise((resolve) => client.socket.once("data", resolve));
      client.socket.write("ping");
      await answered;
    }
    assert.equal(accepted.length, CONNECTION_LIMIT, "the one past the limit waits");
    assert.equal(acceptor.connections, CONNECTION_LIMIT);
    clients[0].socket.end();
    await clients[0].closed;
    await until(() => accepted.length === CONNECTION_LIMIT + 1, "the last is accepted once the first closed");
    const answered = new Promise<Buffer>((resolve) => last.socket.once("data", resolve));
    last.socket.write("last");
    assert.equal((await answered).toString(), "last");
  } finally {
    for (const client of clients) client.socket.destroy();
    await acceptor.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("FFI acceptor: close() wakes the pending accept, ends open connections, leaves no call pending", async () => {
  const dir = await socketDir();
  const path = `${dir}/azure.sock`;
  const acceptor = await UnixAcceptor.listen(sockets, path, () => {}, { logger: silentLogger });
  const client = netClient(path);
  await client.connected;
  await until(() => acceptor.connections === 1, "the client is accepted");
  await acceptor.close();
  assert.equal(acceptor.connections, 0);
  assert.equal((await client.ended).length, 0, "the client sees the end of the stream");
  await client.closed;
  const late = netClient(path);
  await assert.rejects(late.connected, { code: "ECONNREFUSED" }, "nothing listens any more");
  await Deno.remove(dir, { recursive: true });
});

Deno.test("FFI dialer: a stream to an AF_UNIX socket, both directions", async () => {
  const dir = await socketDir();
  const path = `${dir}/azure.sock`;
  const server = net.createServer((socket) => {
    socket.end("hello from node:net");
  });
  await new Promise<void>((resolve) => server.listen(path, resolve));
  try {
    const stream = dialUnix(sockets, path);
    const chunks: Buffer[] = [];
    stream.on("data", (chunk) => chunks.push(chunk));
    await new Promise((resolve) => stream.on("close", resolve));
    assert.equal(Buffer.concat(chunks).toString(), "hello from node:net");
    await stream.released;
  } finally {
    await new Promise((resolve) => server.close(resolve));
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("health check over AF_UNIX: SERVING, UNIMPLEMENTED and an absent socket", async () => {
  const dir = await socketDir();
  const path = `${dir}/azure.sock`;
  const server = new grpc.Server();
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  const acceptor = await UnixAcceptor.listen(sockets, path, (stream) => injector.injectConnection(stream), {
    logger: silentLogger,
  });
  try {
    assert.deepEqual(await healthCheckOverAfUnix(path, 5000), {
      code: grpc.status.UNIMPLEMENTED,
      details: "The server does not implement the method /grpc.health.v1.Health/Check",
    });
    server.addService(healthService, {
      Check: (_call: unknown, callback: grpc.sendUnaryData<unknown>) => callback(null, { status: "SERVING" }),
      List: () => {},
      Watch: () => {},
    });
    assert.deepEqual(await healthCheckOverAfUnix(path, 5000), {
      code: grpc.status.OK,
      details: "OK",
      status: 1,
    });
    assert.deepEqual(await healthCheckOverAfUnix(`${dir}/missing.sock`, 5000), {
      code: grpc.status.UNAVAILABLE,
      details: `connect ${dir}/missing.sock failed: errno 2`,
    });
  } finally {
    await acceptor.stopAccepting();
    server.forceShutdown();
    await acceptor.close();
    await Deno.remove(dir, { recursive: true });
  }
});
