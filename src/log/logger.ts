import { readableLine } from "../text/readable_text.ts";

/** Structured fields of a log line. Values are ids, names and counts: never secret content. */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** The provider's logger: klog-like levels, text or JSON lines on stderr. */
export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  /** Logs only when the `-v` verbosity is at least `level` (klog's V(level)). */
  debug(level: number, message: string, fields?: LogFields): void;
}

/** How logs are written. */
export interface LoggerOptions {
  readonly json: boolean;
  readonly verbosity: number;
}

const encoder = new TextEncoder();
/** The longest message of one text log line. */
const MAX_LOG_MESSAGE = 4096;

function writeStderr(line: string): void {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
}

/** Creates a logger writing text (`time LEVEL message k=v`) or JSON lines to stderr. */
export function createLogger(options: LoggerOptions): Logger {
  const emit = (level: string, message: string, fields: LogFields = {}) => {
    const time = new Date().toISOString();
    const defined = Object.entries(fields).filter(([, value]) => value !== undefined);
    if (options.json) {
      writeStderr(JSON.stringify({ ts: time, level, msg: message, ...Object.fromEntries(defined) }));
    } else {
      // Messages quote user input (parameter names, object names): one line each, always, so
      // a SecretProviderClass cannot forge log lines.
      const pairs = defined.map(([key, value]) => `${key}=${formatValue(value)}`);
      writeStderr([time, level.toUpperCase(), readableLine(message, MAX_LOG_MESSAGE), ...pairs].join(" "));
    }
  };
  return {
    error: (message, fields) => emit("error", message, fields),
    warn: (message, fields) => emit("warning", message, fields),
    info: (message, fields) => emit("info", message, fields),
    debug: (level, message, fields) => {
      if (options.verbosity >= level) emit("debug", message, { v: level, ...fields });
    },
  };
}

function formatValue(value: string | number | boolean | undefined): string {
  const text = String(value);
  return /^[\w./:@-]*$/.test(text) && text !== "" ? text : JSON.stringify(text);
}
