/**
 * Everything the socket transport does differently on Windows, in one table that the code
 * indexes with the OS it runs on ({@link HOST_OS}). Linux CI cannot run the Windows row, but it
 * can read it: tests check each row's rules, and the Linux row also through the real calls.
 * (The FFI listener's system calls have their own table: `afunix/platform.ts`.)
 */
import type { UnixListenerKind } from "./unix_listener.ts";

/** What `lstat` reported at the socket path, as far as a leftover socket is concerned. */
export type PathInfo = Pick<Deno.FileInfo, "isSocket" | "isFile" | "isDirectory" | "size">;

/** How one family of OSes names, binds and recognises the provider's socket. */
export interface OsConventions {
  /**
   * `--unix-listener`'s default: `ffi` on Windows, where Deno's `node:net` listens on named
   * pipes only (denoland/deno#18236) and the driver dials an AF_UNIX socket.
   */
  readonly defaultUnixListener: UnixListenerKind;
  /** The socket path a `unix://` endpoint names, from what follows `unix://`. */
  socketPath(written: string): string;
  /** Whether what `lstat` found at the socket path is a socket a previous provider left. */
  isLeftoverSocket(info: PathInfo): boolean;
  /**
   * Whether the socket is bound in a private 0700 folder, made 0600 and renamed into place, so
   * that it is never reachable with looser permissions (Windows has no such modes).
   */
  readonly bindsPrivately: boolean;
}

/** The rules of Linux (and every other POSIX system) and of Windows. */
export const OS_CONVENTIONS: Readonly<Record<"posix" | "windows", OsConventions>> = {
  posix: {
    defaultUnixListener: "native",
    // `unix:///tmp/azure.sock` names /tmp/azure.sock; a path without its leading slash is rooted.
    socketPath: (written) => written.startsWith("/") ? written : `/${written}`,
    // Deno's lstat tells sockets apart here.
    isLeftoverSocket: (info) => info.isSocket === true && !info.isFile && !info.isDirectory,
    bindsPrivately: true,
  },
  windows: {
    defaultUnixListener: "ffi",
    // `unix://C:\provider\azure.sock` names C:\provider\azure.sock, as written.
    socketPath: (written) => written,
    // Deno reports no file types beyond file, folder and link here, and an AF_UNIX socket is an
    // empty reparse-point file: an empty file counts as one (removing it loses nothing), a file
    // with content does not.
    isLeftoverSocket: (info) => !info.isDirectory && info.size === 0,
    bindsPrivately: false,
  },
};

/** The conventions of the OS this process runs on. */
export const HOST_OS: OsConventions = OS_CONVENTIONS[Deno.build.os === "windows" ? "windows" : "posix"];
