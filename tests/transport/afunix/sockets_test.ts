/**
 * The FFI socket layer against the real libc: addresses, the per-OS table, error numbers read
 * after main-thread calls, and the choices that depend on the OS: this OS's through the real
 * calls, Windows' by its row of the tables the code indexes.
 */
import assert from "node:assert/strict";
import { parseFlags } from "../../../src/ops/flags.ts";
import { parseEndpoint } from "../../../src/transport/endpoint.ts";
import { PLATFORMS, socketPlatform } from "../../../src/transport/afunix/platform.ts";
import { loadSockets, SocketError, SocketPathError } from "../../../src/transport/afunix/sockets.ts";
import { OS_CONVENTIONS } from "../../../src/transport/os_conventions.ts";
import { removeStaleSocket } from "../../../src/transport/socket.ts";

const ROOT = new URL("../../../", import.meta.url);
// Opened before the tests, so the library handle is not counted as a resource a test leaked.
const sockets = loadSockets();

Deno.test("socket addresses: a path of up to 107 bytes is bound exactly there (sockaddr_un holds it with its NUL)", async () => {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "afunix-" });
  const socket = sockets.socket();
  try {
    const longest = `${dir}/${"a".repeat(107 - dir.length - 1)}`;
    assert.equal(new TextEncoder().encode(longest).length, 107);
    sockets.bind(socket, longest);
    assert.ok(Deno.lstatSync(longest).isSocket, "the socket is at exactly that path");
  } finally {
    sockets.close(socket);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("socket addresses: longer than 107 bytes, empty or holding a NUL is refused before any call", () => {
  const socket = sockets.socket();
  try {
    assert.throws(
      () => sockets.bind(socket, "/" + "a".repeat(107)),
      (error) =>
        error instanceof SocketPathError &&
        /is 108 bytes; an AF_UNIX address holds at most 107$/.test(error.message),
    );
    assert.throws(() => sockets.connect(socket, "/é".repeat(54)), /is 162 bytes/, "bytes, not characters");
    assert.throws(() => sockets.bind(socket, ""), SocketPathError);
    assert.throws(() => sockets.bind(socket, "/tmp/a\0b"), SocketPathError);
  } finally {
    sockets.close(socket);
  }
});

Deno.test("the per-OS table: Linux and Windows only, the Linux row opens this machine's libc", () => {
  assert.deepEqual(Object.keys(PLATFORMS), ["linux", "windows"]);
  assert.equal(PLATFORMS.linux.library, `/lib/${Deno.build.arch}-linux-gnu/libc.so.6`);
  assert.ok(Deno.statSync(PLATFORMS.linux.library).isFile, "the path the Linux grant names exists here");
  assert.equal(socketPlatform(), PLATFORMS.linux, "the row this OS uses");
});

Deno.test("the Windows permission list grants FFI for exactly the library the table opens", () => {
  const windows = Deno.readTextFileSync(new URL("deploy/permissions.windows", ROOT)).split(/\s+/).filter(
    Boolean,
  );
  const linux = Deno.readTextFileSync(new URL("deploy/permissions.linux", ROOT)).split(/\s+/).filter(Boolean);
  assert.deepEqual(windows.filter((flag) => flag.startsWith("--allow-ffi")), [
    "--allow-ffi=C:\\Windows\\System32\\ws2_32.dll",
  ]);
  assert.equal(PLATFORMS.windows.library, "C:\\Windows\\System32\\ws2_32.dll");
  assert.deepEqual(linux.filter((flag) => flag.startsWith("--allow-ffi")), [], "Linux runs native, no FFI");
  assert.ok(windows.includes("--allow-write=C:\\provider"));
  // The socket folder, and identity binding's cluster CA where Kubernetes mounts it on Windows.
  assert.ok(
    windows.includes(
      "--allow-read=C:\\provider,C:\\var\\run\\secrets\\kubernetes.io\\serviceaccount\\ca.crt",
    ),
  );
  // Everything else is the Linux list: the same network, environment and system grants.
  const shared = (flags: string[]) => flags.filter((flag) => !/^--allow-(read|write|ffi)=/.test(flag)).sort();
  assert.deepEqual(shared(windows), shared(linux));
});

Deno.test("--unix-listener: native on Linux, ffi on Windows, checked at parse time", () => {
  assert.equal(OS_CONVENTIONS.posix.defaultUnixListener, "native");
  assert.equal(OS_CONVENTIONS.windows.defaultUnixListener, "ffi");
  assert.equal(parseFlags([]).unixListener, "native", "on this Linux machine");
  assert.equal(parseFlags(["--unix-listener=ffi"]).unixListener, "ffi");
  assert.equal(parseFlags(["-unix-listener", "native"]).unixListener, "native");
  assert.throws(
    () => parseFlags(["--unix-listener=pipe"]),
    { message: 'invalid value "pipe" for flag --unix-listener: use native or ffi' },
  );
});

Deno.test("unix:// endpoints: rooted at / on Linux, kept as written on Windows", () => {
  assert.deepEqual(parseEndpoint("unix:///provider/azure.sock"), {
    kind: "unix",
    path: "/provider/azure.sock",
  });
  assert.deepEqual(parseEndpoint("unix://tmp/azure.sock"), { kind: "unix", path: "/tmp/azure.sock" });
  assert.equal(OS_CONVENTIONS.posix.socketPath("/provider/azure.sock"), "/provider/azure.sock");
  assert.equal(OS_CONVENTIONS.windows.socketPath("C:\\provider\\azure.sock"), "C:\\provider\\azure.sock");
});

Deno.test("a leftover socket file: Linux asks lstat; Windows takes an empty file for one", async () => {
  const info = (fields: Partial<Deno.FileInfo>) => ({
    isSocket: null,
    isFile: false,
    isDirectory: false,
    size: 0,
    ...fields,
  });
  const { posix, windows } = OS_CONVENTIONS;
  assert.equal(posix.isLeftoverSocket(info({ isSocket: true })), true);
  assert.equal(posix.isLeftoverSocket(info({ isSocket: false, isFile: true })), false);
  assert.equal(posix.isLeftoverSocket(info({ isSocket: false, isDirectory: true })), false);
  assert.equal(windows.isLeftoverSocket(info({ isFile: true, size: 0 })), true);
  assert.equal(windows.isLeftoverSocket(info({ isFile: true, size: 12 })), false, "a file with content");
  assert.equal(windows.isLeftoverSocket(info({ isDirectory: true })), false);

  // The Linux rule as the provider applies it at start.
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "afunix-" });
  const socket = sockets.socket();
  try {
    sockets.bind(socket, `${dir}/left.sock`);
    await removeStaleSocket(`${dir}/left.sock`);
    assert.equal(
      await Deno.lstat(`${dir}/left.sock`).catch(() => undefined),
      undefined,
      "a socket is removed",
    );
    await Deno.writeTextFile(`${dir}/empty`, "");
    await assert.rejects(
      removeStaleSocket(`${dir}/empty`),
      /exists and is not a socket; refusing to replace it/,
    );
    await removeStaleSocket(`${dir}/absent.sock`);
  } finally {
    sockets.close(socket);
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main-thread calls report the system error number", async () => {
  const dir = await Deno.makeTempDir();
  const taken = `${dir}/taken.sock`;
  const first = sockets.socket();
  const second = sockets.socket();
  try {
    sockets.bind(first, taken);
    assert.throws(
      () => sockets.bind(second, taken),
      (error) =>
        error instanceof SocketError && error.operation === "bind" && error.code === 98 &&
        error.message === `bind ${taken} failed: errno 98`,
      "EADDRINUSE",
    );
    assert.throws(
      () => sockets.connect(second, `${dir}/missing.sock`),
      (error) =>
        error instanceof SocketError && error.code === 2 &&
        /^connect .*missing\.sock failed: errno 2$/.test(error.message),
      "ENOENT",
    );
    assert.throws(
      () => sockets.connect(second, taken),
      (error) => error instanceof SocketError && error.code === 111,
      "ECONNREFUSED: bound but not listening",
    );
  } finally {
    sockets.close(first);
    sockets.close(second);
    await Deno.remove(dir, { recursive: true });
  }
});
