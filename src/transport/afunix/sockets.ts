/**
 * AF_UNIX stream sockets through `Deno.dlopen`, the same code on Linux (libc) and Windows
 * (Winsock): only the names and C types in {@link SocketPlatform} differ.
 *
 * accept, recv and send block, so they are `nonblocking: true` symbols: each call runs on a
 * thread of Deno's blocking pool and returns a promise. That pool is small (32 threads, shared
 * with file-system calls), which is why the acceptor bounds its connections. Non-blocking
 * sockets polled from the main thread would free those threads but add latency or idle
 * wake-ups, and `poll`/`WSAPoll` differ in layout and flag values: a bigger per-OS table that
 * CI cannot check.
 *
 * The calls that return at once (socket, bind, listen, connect, shutdown, close) run on the
 * main thread, where the thread-local error number can be read right after them; a worker
 * thread's error number cannot be read from JavaScript, so failures of accept, recv and send
 * carry none.
 */
import { type SocketPlatform, socketPlatform } from "./platform.ts";

const AF_UNIX = 1;
const SOCK_STREAM = 1;
/** `sizeof(struct sockaddr_un)`: u16 family + char path[108], on Linux and Windows alike. */
const SOCKADDR_UN_SIZE = 110;
const MAX_PATH_BYTES = 107;

/** `how` of shutdown: SHUT_WR/SD_SEND and SHUT_RDWR/SD_BOTH have the same values on both systems. */
export const SHUT_WR = 1;
export const SHUT_RDWR = 2;

/** A socket call that failed; `code` is the system's error number when it could be read. */
export class SocketError extends Error {
  override name = "SocketError";
  constructor(readonly operation: string, readonly code: number | undefined, message: string) {
    super(message);
  }
}

/** Thrown when the system's socket library cannot be opened (no `--allow-ffi` grant for it, or missing). */
export class SocketLibraryError extends Error {
  override name = "SocketLibraryError";
}

/** Thrown before any call when a path cannot be an AF_UNIX address. */
export class SocketPathError extends Error {
  override name = "SocketPathError";
}

/** The socket calls the listener and the dialer make, with numbers for sockets. */
export interface Sockets {
  /** A new AF_UNIX stream socket. */
  socket(): number;
  bind(socket: number, path: string): void;
  listen(socket: number, backlog: number): void;
  connect(socket: number, path: string): void;
  /** The next connection (on a worker thread). */
  accept(socket: number): Promise<number>;
  /** Reads into `buffer` (on a worker thread); 0 means the peer ended the stream. */
  recv(socket: number, buffer: Uint8Array): Promise<number>;
  /** Writes some of `bytes` (on a worker thread) and returns how many. */
  send(socket: number, bytes: Uint8Array): Promise<number>;
  /** Ends one or both directions; wakes a recv (and on Linux an accept) blocked on the socket. */
  shutdown(socket: number, how: number): void;
  close(socket: number): void;
}

/** Encodes `path` as a `struct sockaddr_un`, refusing paths the structure cannot hold. */
function sockaddrUn(path: string): Uint8Array {
  const bytes = new TextEncoder().encode(path);
  if (bytes.length === 0 || bytes.includes(0)) {
    throw new SocketPathError(`invalid socket path ${JSON.stringify(path)}`);
  }
  if (bytes.length > MAX_PATH_BYTES) {
    throw new SocketPathError(
      `socket path ${path} is ${bytes.length} bytes; an AF_UNIX address holds at most ${MAX_PATH_BYTES}`,
    );
  }
  const address = new Uint8Array(SOCKADDR_UN_SIZE);
  new DataView(address.buffer).setUint16(0, AF_UNIX, true);
  address.set(bytes, 2);
  return address;
}

let loaded: Sockets | undefined;

/**
 * Opens the socket library of this OS once per process (and on Windows starts Winsock).
 * Needs `--allow-ffi` for exactly the library path in the platform table.
 */
export function loadSockets(): Sockets {
  loaded ??= openSockets(socketPlatform());
  return loaded;
}

function symbolsFor(p: SocketPlatform) {
  return {
    socket: { parameters: ["i32", "i32", "i32"], result: p.socket },
    bind: { parameters: [p.socket, "buffer", p.addressLength], result: "i32" },
    listen: { parameters: [p.socket, "i32"], result: "i32" },
    connect: { parameters: [p.socket, "buffer", p.addressLength], result: "i32" },
    accept: { parameters: [p.socket, "pointer", "pointer"], result: p.socket, nonblocking: true },
    recv: { parameters: [p.socket, "buffer", p.length, "i32"], result: p.count, nonblocking: true },
    send: { parameters: [p.socket, "buffer", p.length, "i32"], result: p.count, nonblocking: true },
    shutdown: { parameters: [p.socket, "i32"], result: "i32" },
    close: { name: p.close, parameters: [p.socket], result: "i32" },
    lastError: {
      name: p.lastError,
      parameters: [],
      result: p.lastError === "__errno_location" ? "pointer" : "i32",
    },
    ...(p.startup === "WSAStartup"
      ? { startup: { name: "WSAStartup", parameters: ["u16", "buffer"], result: "i32" } }
      : {}),
  } as const satisfies Deno.ForeignLibraryInterface;
}

type Symbols = Deno.DynamicLibrary<ReturnType<typeof symbolsFor>>["symbols"];

function openSockets(platform: SocketPlatform): Sockets {
  let symbols: Symbols;
  try {
    symbols = Deno.dlopen(platform.library, symbolsFor(platform)).symbols;
  } catch (error) {
    const grant = `--allow-ffi=${platform.library}`;
    const reason = error instanceof Deno.errors.NotCapable
      ? `the provider runs without ${grant}`
      : (error as Error).message;
    throw new SocketLibraryError(
      `the FFI Unix socket listener cannot open ${platform.library}: ${reason}`,
      { cause: error },
    );
  }
  if ("startup" in symbols && symbols.startup) {
    // 2.2, the Winsock version that has AF_UNIX; WSADATA is 408 bytes on 64-bit Windows.
    const code = symbols.startup(0x0202, new Uint8Array(512));
    if (code !== 0) {
      throw new SocketError("WSAStartup", code, `WSAStartup failed: ${platform.errorLabel} ${code}`);
    }
  }
  const lastError = (): number => {
    const value = symbols.lastError();
    return typeof value === "number" ? value : new Deno.UnsafePointerView(value!).getInt32();
  };
  const check = (operation: string, result: number | bigint, detail = ""): number => {
    const value = Number(result);
    if (value >= 0) return value;
    const code = lastError();
    throw new SocketError(operation, code, `${operation}${detail} failed: ${platform.errorLabel} ${code}`);
  };
  const checkAsync = async (operation: string, pending: Promise<number | bigint>): Promise<number> => {
    const value = Number(await pending);
    if (value >= 0) return value;
    throw new SocketError(operation, undefined, `${operation} failed on the socket`);
  };
  return {
    socket: () => check("socket", symbols.socket(AF_UNIX, SOCK_STREAM, 0)),
    bind: (socket, path) => {
      check("bind", symbols.bind(socket, sockaddrUn(path), SOCKADDR_UN_SIZE), ` ${path}`);
    },
    listen: (socket, backlog) => void check("listen", symbols.listen(socket, backlog)),
    connect: (socket, path) => {
      check("connect", symbols.connect(socket, sockaddrUn(path), SOCKADDR_UN_SIZE), ` ${path}`);
    },
    accept: (socket) => checkAsync("accept", symbols.accept(socket, null, null)),
    recv: (socket, buffer) => checkAsync("recv", symbols.recv(socket, buffer, buffer.length, 0)),
    send: (socket, bytes) =>
      checkAsync("send", symbols.send(socket, bytes, bytes.length, platform.sendFlags)),
    shutdown: (socket, how) => void check("shutdown", symbols.shutdown(socket, how)),
    close: (socket) => void check("close", symbols.close(socket)),
  };
}
