import { SocketStream } from "./socket_stream.ts";
import type { Sockets } from "./sockets.ts";

/**
 * Connects to the AF_UNIX socket at `path` and returns the connection as a duplex stream,
 * for clients of the provider's own socket (its health check) where `node:net` cannot dial
 * AF_UNIX (Windows). The connect itself returns at once on a local socket.
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
