/**
 * Child processes for tests: their output kept for failure messages, stopped gracefully, and
 * waits that poll a condition until a deadline (never a fixed sleep) and end early when the
 * process they wait on exits.
 */

/** A running child process and everything it printed. */
export interface Service {
  readonly name: string;
  readonly pid: number;
  /** stdout and stderr so far, interleaved. */
  output(): string;
  /** Resolves with the exit status once it has exited and its output is read. */
  readonly exited: Promise<Deno.CommandStatus>;
  /** Sends `signal` unless it has exited already. */
  kill(signal: Deno.Signal): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves when it has exited. */
  stop(graceMs?: number): Promise<void>;
}

/** Starts a child process with a cleared environment plus `env` (PATH kept unless `env` sets it). */
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
    return status;
  });
  let done = false;
  exited.then(() => done = true);
  const kill = (signal: Deno.Signal) => {
    try {
      if (!done) child.kill(signal);
    } catch {
      // already gone
    }
  };
  return {
    name,
    pid: child.pid,
    output: () => text,
    exited,
    kill,
    async stop(graceMs = 10_000) {
      if (done) return;
      kill("SIGTERM");
      const timer = setTimeout(() => kill("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
    },
  };
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
  options.service?.exited.then((status) => exitCode = status.code);
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

/**
 * Runs a command to completion with `stdin` (if given) on its standard input; returns both
 * outputs, or throws with the command line and its standard error when it fails.
 */
export async function runCommand(
  command: string,
  args: string[],
  stdin?: Uint8Array | string,
): Promise<{ stdout: Uint8Array; stderr: Uint8Array }> {
  const child = new Deno.Command(command, {
    args,
    stdin: stdin === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (stdin !== undefined) {
    const writer = child.stdin.getWriter();
    await writer.write(typeof stdin === "string" ? new TextEncoder().encode(stdin) : stdin);
    await writer.close();
  }
  const out = await child.output();
  if (!out.success) {
    const stderr = new TextDecoder().decode(out.stderr).trim();
    throw new Error(`${command} ${args.join(" ")} failed (${out.code}): ${stderr}`);
  }
  return out;
}

/** {@link runCommand}, for its standard output as text. */
export async function run(command: string, args: string[], stdin?: string): Promise<string> {
  return new TextDecoder().decode((await runCommand(command, args, stdin)).stdout);
}
