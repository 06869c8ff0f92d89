/** Scrapes and parses a Prometheus endpoint for the tests, with a parser independent of prom-client. */
import { fileURLToPath } from "node:url";

/** One parsed sample. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number | "+Inf";
}

/** One parsed metric family. */
export interface Family {
  name: string;
  type: string;
  documentation: string;
  samples: Sample[];
}

const PARSER = fileURLToPath(new URL("./parse_metrics.py", import.meta.url));

/** Parses exposition text with python3-prometheus-client's parser (Debian's /usr/bin/python3). */
export async function parseExposition(text: string): Promise<Family[]> {
  const child = new Deno.Command("/usr/bin/python3", {
    args: [PARSER],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(text));
  await writer.close();
  const output = await child.output();
  if (output.code !== 0) {
    throw new Error(`the Prometheus parser rejected the text: ${new TextDecoder().decode(output.stderr)}`);
  }
  return JSON.parse(new TextDecoder().decode(output.stdout));
}
