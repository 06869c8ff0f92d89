/**
 * The FFI socket layer against the real libc: addresses, the per-OS table, error numbers read
 * after main-thread calls, and the choices that depend on the OS (tested with the OS passed in).
 */
import assert from "node:assert/strict";
import { parseFlags } from "../../../src/ops/flags.ts";
import { parseEndpoint } from "../../../src/transport/endpoint.ts";
import {
  PLATFORMS,
  socketPlatform,
  UnsupportedPlatformError,
} from "../../../src/transport/afunix/platform.ts";
import {
  loadSockets,
  sockaddrUn,
  SocketError,
  SocketPathError,
} from "../../../src/transport/afunix/sockets.ts";
import { isLeftoverSocket } from "../../../src/transport/socket.ts";
import { defaultUnixListener } from "../../../src/transport/unix_listener.ts";

const ROOT = new URL("../../../", import.meta.url);
// Opened before the tests, so the library handle is not counted as a resource a test leaked.
const sockets = loadSockets();

Deno.test("sockaddr_un: family AF_UNIX (1, little-endian), the path, zero-padded to 110 bytes", () => {
  const address = sockaddrUn("/tmp/a.sock");
  assert.equal(address.length, 110);
  assert.deepEqual([...address.subarray(0, 2)], [1, 0]);
  assert.equal(new TextDecoder().decode(address.subarray(2, 13)), "/tmp/a.sock");
  assert.ok(address.subarray(13).every((byte) => byte === 0));
  const windows = sockaddrUn("C:\\provider\\azure.sock");
  assert.equal(new TextDecoder().decode(windows.subarray(2, 24)), "C:\\provider\\azure.sock");
  assert.equal(windows[24], 0);
});

Deno.test("sockaddr_un: a path must fit in 107 bytes and hold no NUL", () => {
  assert.equal(sockaddrUn("/" + "a".repeat(106)).length, 110);
  assert.throws(
    () => sockaddrUn("/" + "a".repeat(107)),
    (error) =>
      error instanceof SocketPathError &&
      /is 108 bytes; an AF_UNIX address holds at most 107$/.test(error.message),
  );
  assert.throws(() => sockaddrUn("/é".repeat(54)), /is 162 bytes/, "bytes, not characters");
  assert.throws(() => sockaddrUn(""), SocketPathError);
  assert.throws(() => sockaddrUn("/tmp/a\0b"), SocketPathError);
});

Deno.test("the per-OS table: Linux and Windows only", () => {
  assert.equal(socketPlatform("linux"), PLATFORMS.linux);
  assert.equal(socketPlatform("windows"), PLATFORMS.windows);
  assert.throws(
    () => socketPlatform("darwin"),
    (error) =>
      error instanceof UnsupportedPlatformError &&
      error.message ===
        "the FFI Unix socket listener supports linux and windows, not darwin (use --unix-listener=native)",
  );
  assert.equal(PLATFORMS.linux.library, `/lib/${Deno.build.arch}-linux-gnu/libc.so.6`);
  assert.ok(Deno.statSync(PLATFORMS.linux.library).isFile, "the path the Linux grant names exists here");
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
  assert.equal(defaultUnixListener("linux"), "native");
  assert.equal(defaultUnixListener("windows"), "ffi");
  assert.equal(defaultUnixListener("darwin"), "native");
  assert.equal(parseFlags([]).unixListener, defaultUnixListener());
  assert.equal(parseFlags(["--unix-listener=ffi"]).unixListener, "ffi");
  assert.equal(parseFlags(["-unix-listener", "native"]).unixListener, "native");
  assert.throws(
    () => parseFlags(["--unix-listener=pipe"]),
    { message: 'invalid value "pipe" for flag --unix-listener: use native or ffi' },
  );
});

Deno.test("parseEndpoint keeps a Windows socket path as it is", () => {
  assert.deepEqual(parseEndpoint("unix://C:\\provider\\azure.sock", "windows"), {
    kind: "unix",
    path: "C:\\provider\\azure.sock",
  });
  assert.deepEqual(parseEndpoint("unix:///provider/azure.sock", "linux"), {
    kind: "unix",
    path: "/provider/azure.sock",
  });
});

Deno.test("a leftover socket file: Linux asks lstat; Windows takes an empty file for one", () => {
  const info = (fields: Partial<Deno.FileInfo>) => ({
    isSocket: null,
    isFile: false,
    isDirectory: false,
    size: 0,
    ...fields,
  });
  assert.equal(isLeftoverSocket(info({ isSocket: true }), "linux"), true);
  assert.equal(isLeftoverSocket(info({ isSocket: false, isFile: true }), "linux"), false);
  assert.equal(isLeftoverSocket(info({ isSocket: false, isDirectory: true }), "linux"), false);
  assert.equal(isLeftoverSocket(info({ isFile: true, size: 0 }), "windows"), true);
  assert.equal(isLeftoverSocket(info({ isFile: true, size: 12 }), "windows"), false, "a file with content");
  assert.equal(isLeftoverSocket(info({ isDirectory: true }), "windows"), false);
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
