/**
 * The logger as the provider runs it: lines on stderr, read from a child process that logs one
 * message (the logger has no other output, and a test gets no hook into it).
 */
import assert from "node:assert/strict";
import { baseEnv } from "../harness/env.ts";

const LOGGER = new URL("../../src/log/logger.ts", import.meta.url).href;

/** The stderr lines of a process that logs `message` once as a warning. */
async function loggedLines(message: string, json: boolean): Promise<string[]> {
  const script = `import { createLogger } from ${JSON.stringify(LOGGER)};
createLogger({ json: ${json}, verbosity: 0 }).warn(Deno.env.get("LOG_MESSAGE") ?? "");`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["eval", script],
    clearEnv: true,
    env: { ...baseEnv(), LOG_MESSAGE: message },
    stdout: "null",
    stderr: "piped",
  }).output();
  assert.ok(output.success, new TextDecoder().decode(output.stderr));
  return new TextDecoder().decode(output.stderr).split("\n").filter((line) => line !== "");
}

Deno.test("text log lines: a message cannot forge another line", async () => {
  const lines = await loggedLines('unknown parameter "x\n2026-01-01T00:00:00.000Z INFO forged"', false);
  assert.equal(lines.length, 1);
  assert.match(lines[0], /^\S+ WARNING unknown parameter "x\\n2026-01-01T00:00:00.000Z INFO forged"$/);
});
