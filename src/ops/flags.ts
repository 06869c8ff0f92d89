import { CLOUD_NAMES, isCloudName } from "../cloud/clouds.ts";
import { parseGoBool } from "../text/go_bool.ts";
import { suggestName } from "../text/suggest.ts";
import { DEFAULT_TOKEN_PROXY_URL } from "../identity/aks_cluster.ts";
import { DEFAULT_ENDPOINT, InvalidEndpointError, parseEndpoint } from "../transport/endpoint.ts";
import { HOST_OS } from "../transport/os_conventions.ts";
import {
  isUnixListenerKind,
  UNIX_LISTENER_KINDS,
  type UnixListenerKind,
} from "../transport/unix_listener.ts";
import type { ProviderOptions } from "../mount/mount_types.ts";

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
  /** `--token-proxy-url`: the AKS token proxy of identity binding (`useAzureTokenProxy`). */
  readonly tokenProxyUrl: string;
  /** `--sni-name`: the TLS server name of the token proxy; "" to compute it from the API server. */
  readonly sniName: string;
  readonly objectConcurrency: number;
  /** `--max-response-size`: the largest Mount response sent, in bytes (0: no check). */
  readonly maxResponseBytes: number;
  /** `--object-cache-ttl`: how long fetched objects answer remounts, in ms (0: off). */
  readonly objectCacheTtlMs: number;
  /** `--vault-concurrency`: Key Vault requests in flight per vault at most. */
  readonly vaultConcurrency: number;
  readonly shutdownGraceMs: number;
  /** How a `unix://` endpoint is listened on. */
  readonly unixListener: UnixListenerKind;
  /** Flags accepted for compatibility that do nothing here, to log once at start. */
  readonly ignored: readonly string[];
}

type Kind = "string" | "bool" | "int" | "duration";
interface FlagSpec {
  readonly kind: Kind;
  readonly default: string;
  readonly help: string;
}

/** Every flag: name → kind, default and help (the flags table in docs/operations.md mirrors this). */
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
  "object-concurrency": { kind: "int", default: "16", help: "objects of one mount fetched at once" },
  "max-response-size": {
    kind: "int",
    default: "4194304",
    help: "largest Mount response in bytes: the driver's --max-call-recv-msg-size (0 turns the check off)",
  },
  "object-cache-ttl": {
    kind: "duration",
    default: "30s",
    help:
      "how long an object fetched by one identity may answer remounts of that identity's pods (first mounts always read Key Vault); at most 1m, 0 turns the cache off",
  },
  "vault-concurrency": {
    kind: "int",
    // As many as the connection pool keeps per origin (net/connection_pool.ts): more would only
    // queue in the agent. Why this is no risk to Key Vault's limits: docs/clouds-and-caches.md.
    default: "64",
    help: "Key Vault requests in flight to one vault at most, across all mounts",
  },
  "unix-listener": {
    kind: "string",
    default: HOST_OS.defaultUnixListener,
    help:
      "listener of a unix:// endpoint: native (node:net) or ffi (AF_UNIX via the system socket library, needs --allow-ffi); native on Linux, ffi on Windows",
  },
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
    default: DEFAULT_TOKEN_PROXY_URL,
    help: "AKS token proxy of identity binding (useAzureTokenProxy): an https:// URL, optionally with a path",
  },
  "sni-name": {
    kind: "string",
    default: "",
    help:
      "TLS server name of the token proxy (useAzureTokenProxy); empty: computed from the API server's certificate",
  },
};

/**
 * klog's flags, which the Go provider registers too (`klog.InitFlags`): accepted so existing
 * manifests keep starting, and ignored, since logs always go to stderr here.
 */
const KLOG_FLAGS: Readonly<Record<string, FlagSpec>> = {
  "logtostderr": { kind: "bool", default: "true", help: "klog; accepted, no effect (logs go to stderr)" },
  "alsologtostderr": { kind: "bool", default: "false", help: "klog; accepted, no effect" },
  "stderrthreshold": { kind: "string", default: "2", help: "klog; accepted, no effect" },
  "vmodule": { kind: "string", default: "", help: "klog; accepted, no effect" },
  "log_dir": { kind: "string", default: "", help: "klog; accepted, no effect" },
  "log_file": { kind: "string", default: "", help: "klog; accepted, no effect" },
  "log_file_max_size": { kind: "int", default: "1800", help: "klog; accepted, no effect" },
  "log_backtrace_at": { kind: "string", default: "", help: "klog; accepted, no effect" },
  "add_dir_header": { kind: "bool", default: "false", help: "klog; accepted, no effect" },
  "skip_headers": { kind: "bool", default: "false", help: "klog; accepted, no effect" },
  "skip_log_headers": { kind: "bool", default: "false", help: "klog; accepted, no effect" },
  "one_output": { kind: "bool", default: "false", help: "klog; accepted, no effect" },
  "legacy_stderr_threshold_behavior": { kind: "bool", default: "true", help: "klog; accepted, no effect" },
};

const COMPATIBILITY_ONLY = [
  "custom-user-agent",
  "enable-pprof",
  "pprof-port",
  ...Object.keys(KLOG_FLAGS),
];

const ALL_FLAGS: Readonly<Record<string, FlagSpec>> = { ...FLAGS, ...KLOG_FLAGS };

/**
 * Parses flags the way Go's `flag` package accepts them: `-name` or `--name`, `=value` or the
 * next argument, bare booleans, the last occurrence winning, `--` ending the flags. Unknown
 * flags, missing or bad values and positional arguments throw FlagError.
 */
export function parseFlags(args: readonly string[]): ProviderFlags {
  const values = scan(args);
  const read = (name: string) => values.get(name) ?? FLAGS[name].default;
  const endpoint = read("endpoint");
  try {
    parseEndpoint(endpoint);
  } catch (error) {
    if (!(error instanceof InvalidEndpointError)) throw error;
    throw new FlagError(`invalid value ${JSON.stringify(endpoint)} for flag --endpoint: ${error.message}`);
  }
  for (const name of Object.keys(KLOG_FLAGS)) {
    const value = values.get(name);
    if (value === undefined) continue;
    const kind = KLOG_FLAGS[name].kind;
    if (kind === "bool") bool(name, value);
    if (kind === "int") integer(name, value, 0, Number.MAX_SAFE_INTEGER);
  }
  return {
    endpoint,
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
    // klog's -v is an int32 with no upper bound; levels above 10 log nothing more.
    verbosity: integer("v", read("v"), 0, 2 ** 31 - 1),
    version: bool("version", read("version")),
    nmiAddress: hostPort("nmi-address", read("nmi-address")),
    tokenProxyUrl: tokenProxyUrl(read("token-proxy-url")),
    sniName: sniName(read("sni-name")),
    objectConcurrency: integer("object-concurrency", read("object-concurrency"), 1, 256),
    maxResponseBytes: integer("max-response-size", read("max-response-size"), 0, 2 ** 31 - 1),
    objectCacheTtlMs: objectCacheTtl(read("object-cache-ttl")),
    vaultConcurrency: integer("vault-concurrency", read("vault-concurrency"), 1, 1024),
    shutdownGraceMs: duration("shutdown-grace-period", read("shutdown-grace-period")),
    unixListener: unixListener(read("unix-listener")),
    ignored: COMPATIBILITY_ONLY.filter((name) => values.has(name)),
  };
}

/** The usage text, one line per flag. */
export function usage(): string {
  const lines = Object.entries(FLAGS).map(([name, spec]) =>
    `  ${display(name)}${spec.kind === "bool" ? "" : ` <${spec.kind}>`}  ${spec.help} (default ${
      JSON.stringify(spec.default)
    })`
  );
  const klog = `  klog flags accepted and ignored: ${Object.keys(KLOG_FLAGS).map(display).join(" ")}`;
  return ["Usage: provider [flags]", ...lines, klog].join("\n");
}

/** Reads `args` into name → last raw value, checking names and the presence of values. */
function scan(args: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg === "--") {
      if (i + 1 < args.length) throw positional(args[i + 1]);
      break;
    }
    const match = /^--?([^-=][^=]*)(?:=([\s\S]*))?$/.exec(arg);
    if (!match) throw positional(arg);
    const [, name, inline] = match;
    const spec = ALL_FLAGS[name];
    if (!spec) {
      const suggestion = suggestName(name, Object.keys(ALL_FLAGS));
      const hint = suggestion ? `; did you mean ${display(suggestion)}?` : "";
      throw new FlagError(`flag provided but not defined: ${arg.split("=")[0]}${hint} (see --help)`);
    }
    if (inline !== undefined) {
      values.set(name, inline);
    } else if (spec.kind === "bool") {
      values.set(name, "true");
    } else if (i + 1 < args.length) {
      values.set(name, args[++i]);
    } else {
      throw new FlagError(`flag needs an argument: ${display(name)} (see --help)`);
    }
  }
  return values;
}

function positional(arg: string): FlagError {
  return new FlagError(
    `unexpected argument ${JSON.stringify(arg)}: the provider takes only flags (see --help)`,
  );
}

/** How a flag is shown in messages: `-v` for klog's one-letter flag, `--name` otherwise. */
function display(name: string): string {
  return name.length === 1 ? `-${name}` : `--${name}`;
}

function bool(name: string, value: string): boolean {
  try {
    if (value === "") throw new FlagError("empty");
    return parseGoBool(name, value);
  } catch {
    throw new FlagError(
      `invalid boolean value ${JSON.stringify(value)} for flag ${display(name)}: use true or false`,
    );
  }
}

function integer(name: string, value: string, min: number, max: number): number {
  const number = /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!(number >= min && number <= max)) {
    throw new FlagError(
      `invalid value ${JSON.stringify(value)} for flag ${
        display(name)
      }: want a whole number from ${min} to ${max}`,
    );
  }
  return number;
}

function port(name: string, value: string): number {
  return integer(name, value, 0, 65535);
}

const UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "µs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a Go duration such as `5s`, `250ms`, `1m30s` or `0` into milliseconds. */
export function duration(name: string, value: string): number {
  if (value === "0") return 0;
  const parts = [...value.matchAll(/(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/g)];
  if (parts.length === 0 || parts.map((part) => part[0]).join("") !== value) {
    throw new FlagError(
      `invalid duration ${JSON.stringify(value)} for flag ${display(name)}: use e.g. 5s, 250ms, 1m30s`,
    );
  }
  return parts.reduce((sum, [, amount, unit]) => sum + Number(amount) * UNITS[unit], 0);
}

/**
 * At most a minute, half the driver's default rotation poll (2m): every poll then finds the
 * entries of the one before expired and reads each object again, so rotation keeps working.
 */
const MAX_OBJECT_CACHE_TTL_MS = 60_000;

function objectCacheTtl(value: string): number {
  const ms = duration("object-cache-ttl", value);
  if (ms > MAX_OBJECT_CACHE_TTL_MS) {
    throw new FlagError(
      `invalid value ${
        JSON.stringify(value)
      } for flag --object-cache-ttl: at most 1m, so that every rotation poll (2m by default) reads Key Vault again`,
    );
  }
  return ms;
}

function path(value: string): string {
  if (!value.startsWith("/")) {
    throw new FlagError(`invalid value ${JSON.stringify(value)} for flag --healthz-path: must start with /`);
  }
  return value;
}

/** `host:port` (a name, an IPv4 address or a bracketed IPv6 one), as NMI's address is given. */
function hostPort(name: string, value: string): string {
  const match = /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+):(\d{1,5})$/.exec(value);
  if (!match || Number(match[2]) > 65535) {
    throw new FlagError(
      `invalid value ${JSON.stringify(value)} for flag --${name}: want host:port, e.g. localhost:2579`,
    );
  }
  return value;
}

/**
 * An `https://` URL without credentials, query or fragment (the rules of the Azure SDKs' token
 * proxy support), checked at start so a typo stops the provider instead of every identity-binding
 * mount. "" is the default, as Go's flag treats it.
 */
function tokenProxyUrl(value: string): string {
  if (value === "") return new URL(DEFAULT_TOKEN_PROXY_URL).href;
  let url: URL | undefined;
  try {
    url = new URL(value);
  } catch {
    url = undefined;
  }
  const problem = !url
    ? "not a URL"
    : url.protocol !== "https:"
    ? "the token proxy is reached over https://"
    : url.username || url.password
    ? "it must not hold user info"
    : url.search || url.hash
    ? "it must not have a query or a fragment"
    : undefined;
  if (problem) {
    throw new FlagError(
      `invalid value ${
        JSON.stringify(value)
      } for flag --token-proxy-url: ${problem}, e.g. ${DEFAULT_TOKEN_PROXY_URL}`,
    );
  }
  return url!.href;
}

/** A DNS name as TLS sends it in the server name indication, or "" (computed). */
function sniName(value: string): string {
  if (
    value === "" ||
    /^(?=.{1,253}$)[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/
      .test(value)
  ) {
    return value;
  }
  throw new FlagError(
    `invalid value ${JSON.stringify(value)} for flag --sni-name: want a DNS name such as a0123….ests.aks`,
  );
}

function cloud(value: string): string {
  if (!isCloudName(value)) {
    throw new FlagError(
      `invalid value ${JSON.stringify(value)} for flag --cloud-name: unknown cloud (valid names: ${
        CLOUD_NAMES.join(", ")
      })`,
    );
  }
  return value;
}

function metricsBackend(value: string): string {
  if (value.toLowerCase() !== "prometheus") {
    throw new FlagError(`unsupported metrics backend ${value} (only prometheus is supported)`);
  }
  return "prometheus";
}

function unixListener(value: string): UnixListenerKind {
  if (!isUnixListenerKind(value)) {
    throw new FlagError(
      `invalid value ${JSON.stringify(value)} for flag --unix-listener: use ${
        UNIX_LISTENER_KINDS.join(" or ")
      }`,
    );
  }
  return value;
}

/** The options that shape every mount, from the flags (the `mount` command uses them too). */
export function mountOptions(flags: ProviderFlags): ProviderOptions {
  return {
    constructPemChain: flags.constructPemChain,
    writeCertAndKeyInSeparateFiles: flags.writeCertAndKeyInSeparateFiles,
    defaultCloudName: flags.cloudName,
    nmiAddress: flags.nmiAddress,
    tokenProxyUrl: flags.tokenProxyUrl,
    sniName: flags.sniName,
    objectConcurrency: flags.objectConcurrency,
    maxResponseBytes: flags.maxResponseBytes,
    objectCacheTtlMs: flags.objectCacheTtlMs,
    vaultConcurrency: flags.vaultConcurrency,
  };
}
