import { parseArgs } from "node:util";
import { isCloudName } from "../config/clouds.ts";
import { parseGoBool } from "../config/go_bool.ts";
import { DEFAULT_ENDPOINT } from "../server/endpoint.ts";

/** Thrown for an unknown flag or a value a flag cannot take; the CLI prints it and exits 2. */
export class FlagError extends Error {
  override name = "FlagError";
}

/** The provider's flags, the Go provider's names and defaults plus a few of our own. */
export interface ProviderFlags {
  readonly endpoint: string;
  readonly constructPemChain: boolean;
  readonly writeCertAndKeyInSeparateFiles: boolean;
  readonly cloudName: string;
  readonly healthzPort: number;
  readonly healthzPath: string;
  readonly healthzTimeoutMs: number;
  readonly metricsBackend: string;
  readonly prometheusPort: number;
  readonly logFormatJson: boolean;
  readonly verbosity: number;
  readonly version: boolean;
  readonly nmiAddress: string;
  readonly objectConcurrency: number;
  readonly shutdownGraceMs: number;
  /** Flags accepted for compatibility that do nothing here, to log once at start. */
  readonly ignored: readonly string[];
}

type Kind = "string" | "bool" | "int" | "duration";
interface FlagSpec {
  readonly kind: Kind;
  readonly default: string;
  readonly help: string;
}

/** Every flag: name → kind, default and help (the README's flag table mirrors this). */
export const FLAGS: Readonly<Record<string, FlagSpec>> = {
  "endpoint": {
    kind: "string",
    default: DEFAULT_ENDPOINT,
    help: "gRPC endpoint: unix:///path.sock or tcp://host:port",
  },
  "construct-pem-chain": {
    kind: "bool",
    default: "true",
    help: "order certificate chains leaf → intermediates → root",
  },
  "write-cert-and-key-in-separate-files": {
    kind: "bool",
    default: "false",
    help: "also write <file>.crt and <file>.key for certificate-backed secrets",
  },
  "cloud-name": {
    kind: "string",
    default: "AzurePublicCloud",
    help: "cloud of SecretProviderClasses that set no cloudName",
  },
  "healthz-port": { kind: "int", default: "8989", help: "port of the HTTP health endpoint (0 turns it off)" },
  "healthz-path": { kind: "string", default: "/healthz", help: "path of the HTTP health endpoint" },
  "healthz-timeout": {
    kind: "duration",
    default: "5s",
    help: "timeout of the gRPC health check behind /healthz",
  },
  "metrics-backend": { kind: "string", default: "Prometheus", help: "metrics backend; only prometheus" },
  "prometheus-port": { kind: "int", default: "8898", help: "port serving /metrics (0 turns it off)" },
  "log-format-json": { kind: "bool", default: "false", help: "write logs as JSON lines" },
  "v": { kind: "int", default: "0", help: "log verbosity (klog -v); 5 logs every gRPC call" },
  "version": { kind: "bool", default: "false", help: "print the version as JSON and exit" },
  "nmi-address": {
    kind: "string",
    default: "localhost:2579",
    help: "aad-pod-identity NMI host:port (usePodIdentity)",
  },
  "object-concurrency": { kind: "int", default: "8", help: "objects of one mount fetched at once" },
  "shutdown-grace-period": {
    kind: "duration",
    default: "25s",
    help: "how long mounts under way may finish after SIGTERM",
  },
  "custom-user-agent": {
    kind: "string",
    default: "",
    help: "accepted for compatibility; no effect (as in the Go provider)",
  },
  "enable-pprof": { kind: "bool", default: "false", help: "accepted for compatibility; no effect" },
  "pprof-port": { kind: "int", default: "6060", help: "accepted for compatibility; no effect" },
  "token-proxy-url": {
    kind: "string",
    default: "",
    help: "accepted for compatibility; identity binding is not supported",
  },
  "sni-name": {
    kind: "string",
    default: "",
    help: "accepted for compatibility; identity binding is not supported",
  },
};

const COMPATIBILITY_ONLY = ["custom-user-agent", "enable-pprof", "pprof-port", "token-proxy-url", "sni-name"];

/**
 * Parses flags the way Go's `flag` package accepts them: `-name`, `--name`, `-name=value`,
 * `--name value`, and bare booleans. Unknown flags and bad values throw FlagError.
 */
export function parseFlags(args: readonly string[]): ProviderFlags {
  const normalized = normalize(args);
  let values: Record<string, string | undefined>;
  try {
    const options = Object.fromEntries(Object.keys(FLAGS).map((name) => [name, { type: "string" as const }]));
    values = parseArgs({ args: normalized, options, strict: true, allowPositionals: false }).values as Record<
      string,
      string | undefined
    >;
  } catch (error) {
    throw new FlagError(`${(error as Error).message.replace(/\. To specify .*$/, "")} (see --help)`);
  }
  const read = (name: string) => values[name] ?? FLAGS[name].default;
  const flags: ProviderFlags = {
    endpoint: read("endpoint"),
    constructPemChain: bool("construct-pem-chain", read("construct-pem-chain")),
    writeCertAndKeyInSeparateFiles: bool(
      "write-cert-and-key-in-separate-files",
      read("write-cert-and-key-in-separate-files"),
    ),
    cloudName: cloud(read("cloud-name")),
    healthzPort: port("healthz-port", read("healthz-port")),
    healthzPath: path(read("healthz-path")),
    healthzTimeoutMs: duration("healthz-timeout", read("healthz-timeout")),
    metricsBackend: metricsBackend(read("metrics-backend")),
    prometheusPort: port("prometheus-port", read("prometheus-port")),
    logFormatJson: bool("log-format-json", read("log-format-json")),
    verbosity: integer("v", read("v"), 0, 10),
    version: bool("version", read("version")),
    nmiAddress: read("nmi-address"),
    objectConcurrency: integer("object-concurrency", read("object-concurrency"), 1, 256),
    shutdownGraceMs: duration("shutdown-grace-period", read("shutdown-grace-period")),
    ignored: COMPATIBILITY_ONLY.filter((name) => values[name] !== undefined),
  };
  return flags;
}

/** The usage text, one line per flag. */
export function usage(): string {
  const lines = Object.entries(FLAGS).map(([name, spec]) =>
    `  --${name}${spec.kind === "bool" ? "" : ` <${spec.kind}>`}  ${spec.help} (default ${
      JSON.stringify(spec.default)
    })`
  );
  return ["Usage: provider [flags]", ...lines].join("\n");
}

function normalize(args: readonly string[]): string[] {
  const result: string[] = [];
  for (const arg of args) {
    let current = arg;
    if (/^-[^-]/.test(current)) current = `-${current}`;
    const name = /^--([^=]+)$/.exec(current)?.[1];
    if (name && FLAGS[name]?.kind === "bool") current = `--${name}=true`;
    result.push(current);
  }
  return result;
}

function bool(name: string, value: string): boolean {
  try {
    return parseGoBool(name, value);
  } catch {
    throw new FlagError(`invalid boolean value ${JSON.stringify(value)} for flag --${name}`);
  }
}

function integer(name: string, value: string, min: number, max: number): number {
  const number = /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!(number >= min && number <= max)) {
    throw new FlagError(
      `invalid value ${JSON.stringify(value)} for flag --${name}: want a whole number from ${min} to ${max}`,
    );
  }
  return number;
}

function port(name: string, value: string): number {
  return integer(name, value, 0, 65535);
}

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Parses a Go duration such as `5s`, `250ms`, `1m30s`. */
export function duration(name: string, value: string): number {
  const parts = [...value.matchAll(/(\d+(?:\.\d+)?)(ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== value) {
    throw new FlagError(
      `invalid duration ${JSON.stringify(value)} for flag --${name}: use e.g. 5s, 250ms, 1m`,
    );
  }
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * UNITS[unit], 0);
}

function path(value: string): string {
  if (!value.startsWith("/")) {
    throw new FlagError(`invalid value ${JSON.stringify(value)} for flag --healthz-path: must start with /`);
  }
  return value;
}

function cloud(value: string): string {
  if (!isCloudName(value)) {
    throw new FlagError(`invalid value ${JSON.stringify(value)} for flag --cloud-name: unknown cloud`);
  }
  return value;
}

function metricsBackend(value: string): string {
  if (value.toLowerCase() !== "prometheus") throw new FlagError(`unsupported metrics backend ${value}`);
  return "prometheus";
}
