/**
 * The TCP front door of every emulator listener.
 *
 * Clients never talk to an HTTP server directly: each accepted connection is
 * relayed byte for byte to an internal `Deno.serve` server. That indirection
 * serves two purposes:
 *  - `CONNECT host:443` turns the connection into a tunnel to the internal TLS
 *    server, which is how HTTPS_PROXY lets the unmodified SDK reach
 *    `*.vault.azure.net` and `login.microsoftonline.com` (other hosts get 403);
 *  - the emulator owns the client's socket, so a "reset" fault can drop it
 *    with no response at all, which `Deno.serve` handlers cannot do.
 * Relayed connections are registered under the port pair the internal server
 * sees as the peer, so a handler can find the client socket behind a request.
 */

/** One relayed client connection. */
export interface Relay {
  front: Deno.Conn;
  back: Deno.Conn;
  /** Aborted when the connection ends, i.e. when the client has gone away. */
  ended: AbortController;
}

/** Relays by the internal server's view of them: `<server port>/<peer port>`. */
export class RelayRegistry {
  #relays = new Map<string, Relay>();

  /** Registers a relay; returns its key. */
  add(relay: Relay): string {
    const key = relayKey((relay.back.remoteAddr as Deno.NetAddr).port, localPort(relay.back));
    this.#relays.set(key, relay);
    return key;
  }

  /** Forgets a relay. */
  delete(key: string): void {
    this.#relays.delete(key);
  }

  /** Drops the client connection behind a request; false if unknown. */
  reset(serverPort: number, peerPort: number): boolean {
    const relay = this.#relays.get(relayKey(serverPort, peerPort));
    if (!relay) return false;
    closeQuietly(relay.front);
    closeQuietly(relay.back);
    return true;
  }

  /**
   * A signal that aborts when the client connection behind a request ends.
   * Used instead of `Request.signal`, which Deno 2.9 also aborts after every
   * successful response (and warns about) unless an unstable flag is set.
   */
  clientGone(serverPort: number, peerPort: number): AbortSignal | undefined {
    return this.#relays.get(relayKey(serverPort, peerPort))?.ended.signal;
  }

  /** Drops every relayed connection (shutdown). */
  closeAll(): void {
    for (const relay of this.#relays.values()) {
      closeQuietly(relay.front);
      closeQuietly(relay.back);
    }
    this.#relays.clear();
  }
}

/** Key of the relay a request arrived through. */
export function relayKey(serverPort: number, peerPort: number): string {
  return `${serverPort}/${peerPort}`;
}

/** How a front door treats the connections it accepts. */
export interface FrontDoorOptions {
  /** Port to listen on, 0 = any free port. Always bound to 127.0.0.1. */
  port: number;
  /** Internal server for ordinary (non-CONNECT) HTTP requests. */
  plainBackendPort: number;
  /** Internal TLS server for CONNECT tunnels; CONNECT is refused without it. */
  tlsBackendPort?: number;
  /** Which CONNECT targets may be tunnelled. */
  allowConnect?: (host: string, port: number) => boolean;
  /**
   * CONNECT targets whose TLS server depends on the server name the client sends (SNI), as the
   * AKS API server and its token proxy share one address: the tunnel reads the ClientHello first.
   */
  sni?: SniRouting;
  /**
   * Internal server for a proxy-style plain-HTTP request (`GET http://host:port/...`),
   * or undefined to use `plainBackendPort`. The Azure SDK sends even `http://`
   * IMDS calls through HTTPS_PROXY, so the proxy forwards those to IMDS.
   */
  forward?: (host: string, port: number) => number | undefined;
  registry: RelayRegistry;
}

/** Chooses a TLS backend by the server name in the client's ClientHello. */
export interface SniRouting {
  /** True for the CONNECT targets routed by server name. */
  handles(host: string): boolean;
  /** The backend port for `serverName` ("" when the client sent none). */
  backend(host: string, serverName: string): number;
}

/** A listening front door. */
export interface FrontDoor {
  port: number;
  close(): Promise<void>;
}

const MAX_HEAD = 64 * 1024;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Starts accepting connections on 127.0.0.1. */
export function startFrontDoor(opts: FrontDoorOptions): FrontDoor {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: opts.port });
  const open = new Map<Deno.Conn, Promise<void>>();
  const acceptLoop = (async () => {
    for await (const conn of listener) {
      const p = handleConnection(conn, opts)
        .catch(() => closeQuietly(conn))
        .finally(() => open.delete(conn));
      open.set(conn, p);
    }
  })().catch(() => {/* listener closed */});
  return {
    port: (listener.addr as Deno.NetAddr).port,
    async close() {
      closeQuietly(listener);
      await acceptLoop;
      opts.registry.closeAll();
      // Also drops connections that never finished sending a request head.
      for (const conn of open.keys()) closeQuietly(conn);
      await Promise.allSettled([...open.values()]);
    },
  };
}

async function handleConnection(conn: Deno.Conn, opts: FrontDoorOptions): Promise<void> {
  const head = await readHead(conn);
  if (!head) return closeQuietly(conn);
  const requestLine = decoder.decode(head.bytes.subarray(0, head.headEnd)).split("\r\n")[0];
  const [method, target] = requestLine.split(" ");
  if (method !== "CONNECT") {
    const backend = forwardTarget(target ?? "", opts) ?? opts.plainBackendPort;
    return await relay(conn, backend, head.bytes, opts.registry);
  }
  const { host, port } = parseAuthority(target ?? "");
  const bySni = port === 443 && (opts.sni?.handles(host) ?? false);
  const allowed = bySni ||
    (opts.tlsBackendPort !== undefined && port === 443 && (opts.allowConnect?.(host, port) ?? false));
  if (!allowed) {
    await refuse(conn, target ?? "");
    return;
  }
  await writeAll(conn, encoder.encode("HTTP/1.1 200 Connection Established\r\n\r\n"));
  // Bytes after the CONNECT head (an eager ClientHello) belong to the tunnel.
  const early = head.bytes.subarray(head.headEnd);
  if (!bySni) return await relay(conn, opts.tlsBackendPort!, early, opts.registry);
  const hello = await readClientHello(conn, early);
  if (!hello) return closeQuietly(conn);
  await relay(conn, opts.sni!.backend(host, serverNameOf(hello)), hello, opts.registry);
}

async function refuse(conn: Deno.Conn, target: string): Promise<void> {
  const body = `The Key Vault emulator does not tunnel to ${target}\n`;
  const response = "HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n" +
    `Content-Length: ${encoder.encode(body).length}\r\nConnection: close\r\n\r\n${body}`;
  await writeAll(conn, encoder.encode(response)).catch(() => {});
  closeQuietly(conn);
}

/** Connects to the backend, forwards `initial`, then pipes both ways until either side ends. */
async function relay(
  front: Deno.Conn,
  backendPort: number,
  initial: Uint8Array,
  registry: RelayRegistry,
): Promise<void> {
  const back = await Deno.connect({ hostname: "127.0.0.1", port: backendPort });
  const ended = new AbortController();
  const key = registry.add({ front, back, ended });
  try {
    if (initial.length > 0) await writeAll(back, initial);
    // When either direction ends, the connection is over: HTTP clients never
    // half-close, and closing both sides lets the backend see the client leave.
    // The loser of the race fails once its sockets close; that is expected.
    const up = copy(front, back).catch(() => {});
    const down = copy(back, front).catch(() => {});
    await Promise.race([up, down]);
  } catch {
    // A reset fault or a client going away closes sockets under the copy loops.
  } finally {
    registry.delete(key);
    closeQuietly(front);
    closeQuietly(back);
    ended.abort();
  }
}

async function copy(src: Deno.Conn, dst: Deno.Conn): Promise<void> {
  const buf = new Uint8Array(32 * 1024);
  while (true) {
    const n = await src.read(buf);
    if (n === null) return;
    await writeAll(dst, buf.subarray(0, n));
  }
}

async function writeAll(conn: Deno.Conn, data: Uint8Array): Promise<void> {
  let off = 0;
  while (off < data.length) off += await conn.write(data.subarray(off));
}

/** Reads until the end of the HTTP head; null if the client sent nothing usable. */
async function readHead(
  conn: Deno.Conn,
): Promise<{ bytes: Uint8Array; headEnd: number } | null> {
  let bytes: Uint8Array = new Uint8Array(0);
  const buf = new Uint8Array(8192);
  while (bytes.length < MAX_HEAD) {
    const n = await conn.read(buf);
    if (n === null) return null;
    bytes = concat(bytes, buf.subarray(0, n));
    const end = indexOfHeadEnd(bytes);
    if (end >= 0) return { bytes, headEnd: end };
  }
  return null;
}

function indexOfHeadEnd(bytes: Uint8Array): number {
  for (let i = 3; i < bytes.length; i++) {
    if (bytes[i - 3] === 13 && bytes[i - 2] === 10 && bytes[i - 1] === 13 && bytes[i] === 10) {
      return i + 1;
    }
  }
  return -1;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** The largest TLS record (2^14 bytes plus header and expansion). */
const MAX_RECORD = 5 + 18432;

/** Reads the tunnel's first TLS record (the ClientHello) whole; null if the client left first. */
async function readClientHello(conn: Deno.Conn, early: Uint8Array): Promise<Uint8Array | null> {
  let bytes = early;
  const buf = new Uint8Array(8192);
  while (bytes.length < 5 || bytes.length < 5 + ((bytes[3] << 8) | bytes[4])) {
    if (bytes.length >= MAX_RECORD) return bytes;
    const n = await conn.read(buf);
    if (n === null) return null;
    bytes = concat(bytes, buf.subarray(0, n));
  }
  return bytes;
}

/**
 * The host name in a ClientHello's server_name extension (RFC 6066), or "" when it has none or
 * the record is not a ClientHello: record header (5), handshake header (4), version (2),
 * random (32), then session id, cipher suites and compression methods, then the extensions.
 */
export function serverNameOf(record: Uint8Array): string {
  if (record[0] !== 22 || record[5] !== 1) return "";
  const view = new DataView(record.buffer, record.byteOffset, record.byteLength);
  let at = 5 + 4 + 2 + 32;
  const skip = (lengthBytes: 1 | 2) => {
    if (at + lengthBytes > record.length) return false;
    const length = lengthBytes === 1 ? record[at] : view.getUint16(at);
    at += lengthBytes + length;
    return at <= record.length;
  };
  if (!skip(1) || !skip(2) || !skip(1) || at + 2 > record.length) return "";
  const end = Math.min(record.length, at + 2 + view.getUint16(at));
  at += 2;
  while (at + 4 <= end) {
    const type = view.getUint16(at);
    const length = view.getUint16(at + 2);
    at += 4;
    // server_name: a list (2-byte length) of entries: type 0 (host_name), 2-byte length, name.
    if (type === 0 && at + 5 <= end && record[at + 2] === 0) {
      const nameLength = view.getUint16(at + 3);
      return decoder.decode(record.subarray(at + 5, at + 5 + nameLength));
    }
    at += length;
  }
  return "";
}

function forwardTarget(target: string, opts: FrontDoorOptions): number | undefined {
  if (!opts.forward || !target.startsWith("http://")) return undefined;
  try {
    const url = new URL(target);
    return opts.forward(url.hostname.toLowerCase(), Number(url.port || 80));
  } catch {
    return undefined;
  }
}

function parseAuthority(target: string): { host: string; port: number } {
  const i = target.lastIndexOf(":");
  if (i < 0) return { host: target.toLowerCase(), port: 443 };
  return { host: target.slice(0, i).toLowerCase(), port: Number(target.slice(i + 1)) };
}

function localPort(conn: Deno.Conn): number {
  return (conn.localAddr as Deno.NetAddr).port;
}

function closeQuietly(c: { close(): void }): void {
  try {
    c.close();
  } catch {
    // already closed
  }
}
