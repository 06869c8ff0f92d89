import { SocketStream } from "./socket_stream.ts";
import type { Sockets } from "./sockets.ts";

/**
 * Connects to the AF_UNIX socket at `path` and returns the connection as a duplex stream,
 * for clients of the provider's own socket (its health check) where `node:net` cannot dial
 * AF_UNIX (Windows). connect runs on the main thread, so a failure names its error number; it
 * returns at once unless the listener's backlog (128) is full, which means the provider is
 * wedged and its liveness probe should fail anyway.
 */
export function dialUnix(sockets: Sockets, path: string): SocketStream {
  const socket = sockets.socket();
  try {
    sockets.connect(socket, path);
  } catch (error) {
    sockets.close(socket);
    throw error;
  }
  return new SocketStream(sockets, socket);
}
