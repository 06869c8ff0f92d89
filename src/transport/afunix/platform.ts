/**
 * The only per-OS facts of the FFI listener, in one table. Everything else (AF_UNIX = 1,
 * SOCK_STREAM = 1, the `sockaddr_un` layout {u16 family; char path[108]}, the shutdown
 * constants) is the same on Linux and Windows. This table is what CI on Linux cannot check
 * for Windows: keep it small and compare every line with the C prototypes quoted here.
 */

/** How one OS spells the socket calls the FFI listener makes. */
export interface SocketPlatform {
  /** Opened with `Deno.dlopen` by exactly this path, which the `--allow-ffi` grant must name. */
  readonly library: string;
  /** A socket: `int` on Linux; `SOCKET` (UINT_PTR) on Windows, read signed so INVALID_SOCKET is -1. */
  readonly socket: "i32" | "isize";
  /** recv/send length: `size_t` on Linux, `int` on Windows. */
  readonly length: "usize" | "i32";
  /** recv/send result: `ssize_t` on Linux, `int` on Windows. */
  readonly count: "isize" | "i32";
  /** bind/connect address length: `socklen_t` (unsigned) on Linux, `int` on Windows. */
  readonly addressLength: "u32" | "i32";
  /** Releases a socket: `close(int)` vs `closesocket(SOCKET)`. */
  readonly close: "close" | "closesocket";
  /** The calling thread's last error: `int *__errno_location(void)` vs `int WSAGetLastError(void)`. */
  readonly lastError: "__errno_location" | "WSAGetLastError";
  /** `int WSAStartup(WORD, LPWSADATA)` must run before any other Winsock call; Linux needs none. */
  readonly startup: "WSAStartup" | "none";
  /** send flags: MSG_NOSIGNAL (0x4000) so a vanished peer is an error, not SIGPIPE; Windows has no SIGPIPE. */
  readonly sendFlags: number;
  /** How error numbers are named in messages. */
  readonly errorLabel: "errno" | "WSA error";
}

/** Linux (glibc, Debian multiarch path) and Windows. */
export const PLATFORMS: Readonly<Record<"linux" | "windows", SocketPlatform>> = {
  linux: {
    library: `/lib/${Deno.build.arch}-linux-gnu/libc.so.6`,
    socket: "i32",
    length: "usize",
    count: "isize",
    addressLength: "u32",
    close: "close",
    lastError: "__errno_location",
    startup: "none",
    sendFlags: 0x4000,
    errorLabel: "errno",
  },
  windows: {
    library: "C:\\Windows\\System32\\ws2_32.dll",
    socket: "isize",
    length: "i32",
    count: "i32",
    addressLength: "i32",
    close: "closesocket",
    lastError: "WSAGetLastError",
    startup: "WSAStartup",
    sendFlags: 0,
    errorLabel: "WSA error",
  },
};

/** Thrown on an OS the FFI listener has no table entry for (macOS lays out `sockaddr_un` differently). */
export class UnsupportedPlatformError extends Error {
  override name = "UnsupportedPlatformError";
}

/** The table entry of the OS this process runs on. */
export function socketPlatform(): SocketPlatform {
  const os = Deno.build.os;
  if (os === "linux" || os === "windows") return PLATFORMS[os];
  throw new UnsupportedPlatformError(
    `the FFI Unix socket listener supports linux and windows, not ${os} (use --unix-listener=native)`,
  );
}
