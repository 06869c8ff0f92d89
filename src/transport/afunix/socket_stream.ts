import { Buffer } from "node:buffer";
import { Duplex } from "node:stream";
import { SHUT_RDWR, SHUT_WR, type Sockets } from "./sockets.ts";

/** Bytes asked for per recv: HTTP/2's default frame size and more, one copy per read. */
const READ_SIZE = 64 * 1024;

/**
 * A connected socket as a Node duplex stream, which grpc-js (through node:http2) serves or
 * dials like a `net.Socket`. One recv is pending while the stream reads and at most one send
 * while it writes, each on a worker thread.
 *
 * Closing never races a pending call: destroy first shuts the socket down, which makes a
 * pending recv or send return, and only then closes the handle, so a call can never run on a
 * handle number the system has already given to another socket. {@link released} resolves then.
 */
export class SocketStream extends Duplex {
  readonly #sockets: Sockets;
  readonly #handle: number;
  readonly #buffer = new Uint8Array(READ_SIZE);
  readonly #pending = new Set<Promise<unknown>>();
  readonly #released = Promise.withResolvers<void>();
  #reading = false;
  #closing = false;

  constructor(sockets: Sockets, handle: number) {
    // As a net.Socket: when the peer ends its side, end ours too.
    super({ allowHalfOpen: false });
    this.#sockets = sockets;
    this.#handle = handle;
  }

  /** Resolves once the socket handle is closed and no call on it is pending. */
  get released(): Promise<void> {
    return this.#released.promise;
  }

  override _read(): void {
    if (!this.#reading) void this.#pump();
  }

  async #pump(): Promise<void> {
    this.#reading = true;
    try {
      while (!this.#closing) {
        const count = await this.#track(this.#sockets.recv(this.#handle, this.#buffer));
        if (this.#closing) return;
        if (count === 0) return void this.push(null);
        if (!this.push(Buffer.from(this.#buffer.subarray(0, count)))) return;
      }
    } catch (error) {
      if (!this.#closing) this.destroy(error as Error);
    } finally {
      this.#reading = false;
    }
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#sendAll(chunk).then(() => callback(), callback);
  }

  // HTTP/2 writes many small frames; one send for all of them saves a thread hop each.
  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    this.#sendAll(Buffer.concat(chunks.map(({ chunk }) => chunk))).then(() => callback(), callback);
  }

  async #sendAll(bytes: Uint8Array): Promise<void> {
    for (let sent = 0; sent < bytes.length;) {
      if (this.#closing) throw new Error("the socket is closed");
      sent += await this.#track(this.#sockets.send(this.#handle, bytes.subarray(sent)));
    }
  }

  override _final(callback: (error?: Error | null) => void): void {
    try {
      this.#sockets.shutdown(this.#handle, SHUT_WR);
    } catch {
      // The peer is already gone; destroy closes the handle.
    }
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    this.#release();
    callback(error);
  }

  /** Shuts the socket down, then closes it once every pending call has returned. */
  #release(): void {
    if (this.#closing) return;
    this.#closing = true;
    try {
      this.#sockets.shutdown(this.#handle, SHUT_RDWR);
    } catch {
      // Not connected any more: nothing is left to wake.
    }
    Promise.allSettled([...this.#pending]).then(() => {
      try {
        this.#sockets.close(this.#handle);
      } catch {
        // Nothing more can be done with a handle the system refuses to close.
      }
      this.#released.resolve();
    });
  }

  #track<T>(call: Promise<T>): Promise<T> {
    this.#pending.add(call);
    call.finally(() => this.#pending.delete(call)).catch(() => {});
    return call;
  }
}
