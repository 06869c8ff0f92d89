import type { Logger } from "../../log/logger.ts";
import { bindPrivateSocket } from "../socket.ts";
import { SocketStream } from "./socket_stream.ts";
import { SHUT_RDWR, type Sockets } from "./sockets.ts";

/**
 * Open connections at most. Each holds one thread of Deno's 32-thread blocking pool for its
 * pending recv (plus one while it sends), and the accept loop holds one: 8 connections keep at
 * most 17 busy, leaving the rest to file-system calls. The driver keeps one connection per
 * provider and the health check opens one at a time; further clients wait in the backlog.
 */
const MAX_CONNECTIONS = 8;
const BACKLOG = 128;
/** Retry delays after a failed accept, as Go's net/http: 5 ms doubling up to 1 s. */
const FIRST_RETRY_MS = 5;
const LAST_RETRY_MS = 1000;

/** Where a listener runs and what it tells. */
export interface UnixAcceptorOptions {
  readonly logger: Logger;
}

/**
 * Listens on an AF_UNIX path through {@link Sockets} and hands every accepted connection, as a
 * duplex stream, to `onConnection` (the gRPC server's connection injector).
 *
 * Stopping wakes the pending accept by connecting to the socket itself: that works the same on
 * Linux and Windows (a listening socket's shutdown wakes accept only on Linux; closing a handle
 * another thread is blocked on races with the reuse of its number).
 */
export class UnixAcceptor {
  readonly #sockets: Sockets;
  readonly #listener: number;
  readonly #path: string;
  readonly #onConnection: (stream: SocketStream) => void;
  readonly #logger: Logger;
  readonly #connections = new Set<SocketStream>();
  #slotFreed?: PromiseWithResolvers<void>;
  #accepting?: Promise<number>;
  #loop: Promise<void> = Promise.resolve();
  #stopping = false;
  #stopped?: Promise<void>;

  private constructor(
    sockets: Sockets,
    listener: number,
    path: string,
    onConnection: (stream: SocketStream) => void,
    options: UnixAcceptorOptions,
  ) {
    this.#sockets = sockets;
    this.#listener = listener;
    this.#path = path;
    this.#onConnection = onConnection;
    this.#logger = options.logger;
  }

  /**
   * Binds `path` (private to its owner, as the native listener) and starts accepting. The
   * caller removes a stale socket file first.
   */
  static async listen(
    sockets: Sockets,
    path: string,
    onConnection: (stream: SocketStream) => void,
    options: UnixAcceptorOptions,
  ): Promise<UnixAcceptor> {
    const listener = sockets.socket();
    try {
      await bindPrivateSocket(path, (boundPath) => {
        sockets.bind(listener, boundPath);
        sockets.listen(listener, BACKLOG);
        return Promise.resolve();
      });
    } catch (error) {
      sockets.close(listener);
      throw error;
    }
    const acceptor = new UnixAcceptor(sockets, listener, path, onConnection, options);
    acceptor.#loop = acceptor.#acceptLoop();
    return acceptor;
  }

  /** Connections open now. */
  get connections(): number {
    return this.#connections.size;
  }

  async #acceptLoop(): Promise<void> {
    let retryMs = 0;
    while (!this.#stopping) {
      await this.#freeSlot();
      if (this.#stopping) break;
      let handle: number;
      try {
        this.#accepting = this.#sockets.accept(this.#listener);
        handle = await this.#accepting;
      } catch (error) {
        if (this.#stopping) break;
        retryMs = Math.min(Math.max(retryMs * 2, FIRST_RETRY_MS), LAST_RETRY_MS);
        this.#logger.warn("accept on the provider socket failed; retrying", {
          error: (error as Error).message,
          retryMs,
        });
        await new Promise((resolve) => setTimeout(resolve, retryMs));
        continue;
      } finally {
        this.#accepting = undefined;
      }
      retryMs = 0;
      const stream = new SocketStream(this.#sockets, handle);
      this.#connections.add(stream);
      stream.released.then(() => {
        this.#connections.delete(stream);
        this.#slotFreed?.resolve();
      });
      if (this.#stopping) {
        stream.destroy();
        break;
      }
      stream.on(
        "error",
        (error) => this.#logger.debug(5, "provider socket connection failed", { error: error.message }),
      );
      this.#onConnection(stream);
    }
  }

  async #freeSlot(): Promise<void> {
    let warned = false;
    while (this.#connections.size >= MAX_CONNECTIONS && !this.#stopping) {
      if (!warned) {
        warned = true;
        this.#logger.warn("provider socket has its maximum of open connections; new ones wait", {
          connections: this.#connections.size,
        });
      }
      this.#slotFreed = Promise.withResolvers<void>();
      await this.#slotFreed.promise;
    }
  }

  /**
   * Stops accepting and closes the listening socket; open connections keep being served
   * (the gRPC server drains them). Idempotent.
   */
  stopAccepting(): Promise<void> {
    this.#stopped ??= this.#stop();
    return this.#stopped;
  }

  async #stop(): Promise<void> {
    this.#stopping = true;
    this.#slotFreed?.resolve();
    if (this.#accepting) this.#wakeAccept();
    await this.#loop;
    this.#sockets.close(this.#listener);
  }

  /** A connection of our own makes the pending accept return; the loop then closes it. */
  #wakeAccept(): void {
    const waker = this.#sockets.socket();
    try {
      this.#sockets.connect(waker, this.#path);
    } catch (error) {
      // The socket file is gone (removed by someone): shutdown wakes accept on Linux at least.
      this.#logger.warn("could not connect to the provider socket to stop accepting", {
        error: (error as Error).message,
      });
      try {
        this.#sockets.shutdown(this.#listener, SHUT_RDWR);
      } catch {
        // Nothing else to try; the process exits anyway.
      }
    } finally {
      this.#sockets.close(waker);
    }
  }

  /**
   * Stops accepting, destroys the connections still open, and resolves once every socket is
   * closed and no call on any of them is pending, or after `waitMs` with a warning: a shut-down
   * socket whose peer never answers must not hold up the provider's exit.
   */
  async close(waitMs = Infinity): Promise<void> {
    await this.stopAccepting();
    const open = [...this.#connections];
    for (const stream of open) stream.destroy();
    const released = Promise.all(open.map((stream) => stream.released)).then(() => true);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const expired = new Promise<boolean>((resolve) => {
      if (Number.isFinite(waitMs)) timer = setTimeout(() => resolve(false), waitMs);
    });
    const done = await Promise.race([released, expired]);
    clearTimeout(timer);
    if (!done) {
      this.#logger.warn("provider socket connections still busy after closing; not waiting", {
        connections: this.#connections.size,
      });
    }
  }
}
