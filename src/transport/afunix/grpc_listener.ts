import * as grpc from "@grpc/grpc-js";
import type { Logger } from "../../log/logger.ts";
import { UnixAcceptor } from "./acceptor.ts";
import { loadSockets } from "./sockets.ts";

/**
 * Serves a grpc-js server on an AF_UNIX path with the FFI acceptor: every accepted connection
 * goes to a connection injector (`Server.createConnectionInjector`), which runs the same HTTP/2
 * server grpc-js runs behind its own listeners, so calls, deadlines and shutdown (tryShutdown,
 * forceShutdown) behave as with `bindAsync`.
 */
export function serveWithFfiListener(
  server: grpc.Server,
  path: string,
  logger: Logger,
): Promise<UnixAcceptor> {
  const sockets = loadSockets();
  const injector = server.createConnectionInjector(grpc.ServerCredentials.createInsecure());
  return UnixAcceptor.listen(sockets, path, (stream) => injector.injectConnection(stream), { logger });
}
