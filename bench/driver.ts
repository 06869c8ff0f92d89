/**
 * The benchmark's client: bench/driver.py (python3-grpcio, the gRPC C core) as a long-lived
 * child process, so neither provider is measured with a client that shares its own gRPC stack.
 */
import { fileURLToPath } from "node:url";

const SCRIPT = fileURLToPath(new URL("./driver.py", import.meta.url));

/** A MountRequest's fields as the driver sends them. */
export interface MountFields {
  attributes: string;
  secrets: string;
  permission: string;
  target_path: string;
}

/** One call's timing and outcome; times in ms, start/end relative to the batch start. */
export interface CallResult {
  start_ms: number;
  end_ms: number;
  ms: number;
  code: string;
  details?: string;
  files: number;
  bytes: number;
}

/** A batch's results in request order and its wall time. */
export interface Batch {
  wall_ms: number;
  results: CallResult[];
}

/** The driver process. */
export class Driver {
  readonly #child: Deno.ChildProcess;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  readonly #lines: AsyncIterator<string>;
  #stderr = "";

  private constructor(child: Deno.ChildProcess) {
    this.#child = child;
    this.#writer = child.stdin.getWriter();
    this.#lines = lines(child.stdout)[Symbol.asyncIterator]();
    (async () => {
      for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) this.#stderr += chunk;
    })();
  }

  /** Starts driver.py with /usr/bin/python3 and waits until it has loaded the protos. */
  static async start(python = "/usr/bin/python3"): Promise<Driver> {
    const child = new Deno.Command(python, {
      args: [SCRIPT],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const driver = new Driver(child);
    await driver.#read();
    return driver;
  }

  /** One gRPC health check; true when SERVING. */
  async health(socket: string): Promise<boolean> {
    const answer = await this.#ask({ op: "health", socket }) as { status?: string };
    return answer.status === "SERVING";
  }

  /** Runs `requests` with at most `concurrency` in flight. */
  mounts(
    socket: string,
    requests: MountFields[],
    concurrency: number,
    deadlineSeconds = 120,
  ): Promise<Batch> {
    return this.#ask({
      op: "mounts",
      socket,
      requests,
      concurrency,
      deadline_seconds: deadlineSeconds,
    }) as Promise<Batch>;
  }

  /** Ends the driver. */
  async close(): Promise<void> {
    try {
      await this.#writer.write(new TextEncoder().encode(JSON.stringify({ op: "quit" }) + "\n"));
      await this.#writer.close();
    } catch {
      // already gone
    }
    await this.#child.status;
  }

  async #ask(command: Record<string, unknown>): Promise<unknown> {
    await this.#writer.write(new TextEncoder().encode(JSON.stringify(command) + "\n"));
    return await this.#read();
  }

  async #read(): Promise<unknown> {
    const next = await this.#lines.next();
    if (next.done) throw new Error(`the gRPC driver ended: ${this.#stderr.trim()}`);
    return JSON.parse(next.value);
  }
}

async function* lines(stream: ReadableStream<Uint8Array>): AsyncGenerator<string> {
  let buffered = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      yield buffered.slice(0, newline);
      buffered = buffered.slice(newline + 1);
    }
  }
}
