/**
 * Small process and polling helpers of the end-to-end suite: child processes whose output is
 * kept for failure messages, free loopback ports, and waits that poll a condition until a
 * deadline (never a fixed sleep).
 */

/** A running child process and everything it printed. */
export interface Service {
  readonly name: string;
  readonly pid: number;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves with the exit code once it has exited. */
  readonly exited: Promise<number>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a child process with a cleared environment plus `env`. */
export function spawn(
  name: string,
  command: string,
  args: string[],
  env: Record<string, string> = {},
): Service {
  const child = new Deno.Command(command, {
    args,
    clearEnv: true,
    env: { PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) text += chunk;
  };
  const pumped = Promise.all([pump(child.stdout), pump(child.stderr)]);
  const exited = child.status.then(async (status) => {
    await pumped;
    return status.code;
  });
  let done = false;
  exited.then(() => done = true);
  return {
    name,
    pid: child.pid,
    output: () => text,
    exited,
    async stop(graceMs = 10_000) {
      if (done) return;
      const signal = (s: Deno.Signal) => {
        try {
          child.kill(s);
        } catch {
          // already gone
        }
      };
      signal("SIGTERM");
      const timer = setTimeout(() => signal("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/**
 * Polls `check` until it returns a value other than undefined/false, or throws after
 * `timeoutMs` with `what` and the last error. `service` ends the wait early if it exits.
 */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs?: number; intervalMs?: number; service?: Service } = {},
): Promise<T> {
  const deadline = Date.now() + (options.timeoutMs ?? 60_000);
  let exitCode: number | undefined;
  options.service?.exited.then((code) => exitCode = code);
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined && value !== false) return value;
    } catch (err) {
      last = err;
    }
    if (exitCode !== undefined) {
      throw new Error(
        `${options.service!.name} exited (${exitCode}) while waiting for ${what}:\n${
          tail(options.service!.output())
        }`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, options.intervalMs ?? 100));
  }
  const service = options.service
    ? `\n${options.service.name} output:\n${tail(options.service.output())}`
    : "";
  throw new Error(`timed out waiting for ${what}${last ? `: ${last}` : ""}${service}`);
}

/** The last lines of a log, for error messages. */
export function tail(text: string, lines = 40): string {
  return text.split("\n").slice(-lines).join("\n");
}

/** Runs a command to completion; throws with its stderr when it fails. */
export async function run(command: string, args: string[], stdin?: string): Promise<string> {
  const child = new Deno.Command(command, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(new TextEncoder().encode(stdin));
    await writer.close();
  }
  const out = await child.output();
  if (!out.success) {
    throw new Error(
      `${command} ${args.join(" ")} failed (${out.code}): ${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return new TextDecoder().decode(out.stdout);
}
