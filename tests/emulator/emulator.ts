/**
 * Entry point of the Azure emulator used by the provider's tests: Key Vault,
 * Entra ID, IMDS and aad-pod-identity NMI, reached by the unmodified Azure
 * SDKs through HTTPS_PROXY + NODE_EXTRA_CA_CERTS (+ the IMDS override).
 *
 * Listeners (all on 127.0.0.1):
 *  - proxy: CONNECT tunnels to the internal TLS server (and, chosen by the TLS server name, to
 *    the AKS API server or its identity-binding token proxy), plus the admin API;
 *  - imds and nmi: plain HTTP;
 * each one a TCP front door relaying to an internal `Deno.serve` server
 * (see proxy.ts for why).
 *
 * Library: `startEmulator(options)`. CLI: `deno run -A tests/emulator/emulator.ts
 * [--seed f.yaml] [--port n] [--latency-ms n] [--state-dir d] ...`, which
 * prints one JSON line with the endpoints and runs until SIGTERM/SIGINT.
 */
import { parseArgs } from "node:util";
import { handleAdmin } from "./admin.ts";
import { createTlsMaterial } from "./ca.ts";
import { allClouds, type AzureStackEndpoints, certificateNames, isLoginHost, isVaultHost } from "./clouds.ts";
import { entraRoute, tokenProxyRoute } from "./entra.ts";
import { API_SERVER_HOST, apiServerNames, apiServerRoute, identityBindingSniName } from "./aks.ts";
import { type Fault, FaultSet } from "./faults.ts";
import { jsonResponse, nowSeconds, textResponse } from "./http.ts";
import { imdsRoute } from "./imds.ts";
import { keyVaultRoute } from "./keyvault.ts";
import { nmiRoute } from "./nmi.ts";
import { createServeHandler, type PipelineDeps, type Router } from "./pipeline.ts";
import { type FrontDoor, RelayRegistry, startFrontDoor } from "./proxy.ts";
import { type RecordedRequest, type RequestFilter, RequestLog } from "./records.ts";
import {
  derivedHex,
  type Identity,
  loadSeedFile,
  normalizeSeed,
  type SecretVersion,
  type Seed,
  type SeedInput,
} from "./seed.ts";
import { TokenIssuer, type TokenSource } from "./tokens.ts";

export type { Fault } from "./faults.ts";
export type { RecordedRequest, RequestFilter, ServiceName } from "./records.ts";
export type { Identity, Seed, SeedInput, Vault } from "./seed.ts";

/** How to start an emulator. Every field is optional. */
export interface EmulatorOptions {
  /** Seed object, or path of a YAML/JSON seed file. Default: seed.yaml beside this module. */
  seed?: SeedInput | string;
  /** Proxy (and admin API) port; 0 or omitted = any free port. */
  port?: number;
  /** IMDS port; 0 or omitted = any free port. */
  imdsPort?: number;
  /** NMI port; 0 or omitted = any free port. */
  nmiPort?: number;
  /** Added to every Key Vault and Entra request (benchmarks). */
  latencyMs?: number;
  /** Where ca.pem is written; default a fresh temp dir removed on close. */
  stateDir?: string;
  /** Version-listing page size when the client sends no maxresults (default 25). */
  pageSize?: number;
  /** Lifetime of every issued token; overrides the seed's settings. */
  tokenLifetimeSeconds?: number;
  /** Overrides the seed's AzureStack endpoints. */
  azureStack?: AzureStackEndpoints;
  /** Faults active from the start. */
  faults?: Fault[];
}

/** A running emulator. */
export interface Emulator {
  /** `http://127.0.0.1:PORT`, for HTTPS_PROXY. */
  proxyUrl: string;
  /** CA certificate to trust (NODE_EXTRA_CA_CERTS). */
  caPath: string;
  /** `http://127.0.0.1:PORT`, for AZURE_POD_IDENTITY_AUTHORITY_HOST. */
  imdsUrl: string;
  /** `127.0.0.1:PORT` of the NMI endpoint. */
  nmiAddress: string;
  /** The AKS cluster: its API server and identity-binding token proxy (reached through the proxy). */
  aksCluster: AksClusterInfo;
  /** The normalised seed being served. */
  seed: Seed;
  /** HTTPS_PROXY, NODE_EXTRA_CA_CERTS and AZURE_POD_IDENTITY_AUTHORITY_HOST for a child process. */
  env(): Record<string, string>;
  /** Recorded requests (copies), optionally filtered, oldest first. */
  requests(filter?: RequestFilter | ((r: RecordedRequest) => boolean)): RecordedRequest[];
  /** TLS tunnels to the AKS cluster's address, with the server name each client sent, oldest first. */
  tunnels(): Tunnel[];
  /** Clears the request log and the tunnel log. */
  resetRequests(): void;
  /** Replaces the active faults. */
  setFaults(faults: Fault | Fault[]): void;
  /** Removes all faults. */
  clearFaults(): void;
  /** Every access token issued so far (for log-leak scans). */
  issuedTokens(): string[];
  /** Marks every issued token expired, as if their lifetime had passed. */
  expireTokens(): void;
  /** Changes the lifetime of tokens issued from now on; undefined restores seed defaults. */
  setTokenLifetime(seconds: number | undefined): void;
  /** Changes the global Key Vault/Entra latency. */
  setLatency(ms: number): void;
  /**
   * Adds a new, enabled version to a secret of a seeded vault (creating the secret if needed),
   * created now so that it is the latest; returns its version id.
   */
  addSecretVersion(vault: string, name: string, secret: NewSecretVersion): string;
  /** Stops every listener and removes temporary state. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** A secret version added while the emulator runs. */
export interface NewSecretVersion {
  value: string;
  /** Default: a 32-hex id derived from the vault, name and value. */
  version?: string;
  contentType?: string;
}

/** Where the emulated AKS cluster answers, as the provider names it. */
export interface AksClusterInfo {
  /** The id in the API server certificate's `hcp-kubernetes.<id>.svc.cluster.local` name. */
  id: string;
  /** `kubernetes.default.svc.cluster.local` (port 443). */
  apiServerHost: string;
  /** The token proxy's TLS server name (its certificate names only this). */
  sniName: string;
  /** `https://kubernetes.default.svc.cluster.local<tokenProxyPath>`, for `--token-proxy-url`. */
  tokenProxyUrl: string;
  /**
   * `127.0.0.1:PORT`: the token proxy's own TLS listener, for clients that reach it directly
   * (`NO_PROXY`) instead of through the CONNECT proxy; it presents the same certificate.
   */
  tokenProxyAddress: string;
}

/** One TLS tunnel to the cluster's address. */
export interface Tunnel {
  host: string;
  /** The server name in the client's ClientHello ("" for none). */
  serverName: string;
  /** Where the server name led. */
  backend: "apiserver" | "tokenProxy";
}

const LOOPBACK = ["127.0.0.1", "localhost"];

// Lifetimes of the real endpoints when nothing is configured.
const DEFAULT_LIFETIME: Record<TokenSource, number> = { entra: 3599, imds: 86400, nmi: 3599 };

/** Starts an emulator; resolves once every listener accepts connections. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const seed = await resolveSeed(options);
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? await Deno.makeTempDir({ prefix: "kv-emulator-" });
  await Deno.mkdir(stateDir, { recursive: true });
  const clouds = allClouds(seed.azureStack, seed.vaults.flatMap((v) => v.azureStack ? [v.azureStack] : []));
  const cluster = seed.aksCluster;
  const sniName = await identityBindingSniName(cluster.id);
  const tls = await createTlsMaterial(stateDir, certificateNames(clouds), {
    apiServer: apiServerNames(cluster.id),
    tokenProxy: [sniName],
  });

  const state = {
    latencyMs: options.latencyMs ?? 0,
    lifetime: options.tokenLifetimeSeconds,
    pageSize: options.pageSize ?? 25,
  };
  const log = new RequestLog();
  const faults = new FaultSet();
  if (options.faults) faults.set(options.faults);
  const tokens = new TokenIssuer();
  const relays = new RelayRegistry();
  const shutdown = new AbortController();
  const deps: PipelineDeps = {
    log,
    faults,
    relays,
    globalLatencyMs: () => state.latencyMs,
    shutdown: shutdown.signal,
  };
  const lifetimeFor = (source: TokenSource) => (identity: Identity) =>
    state.lifetime ?? identity.tokenLifetimeSeconds ?? seed.tokenLifetimeSeconds ??
      DEFAULT_LIFETIME[source];

  const kv = keyVaultRoute({ seed, tokens, pageSize: () => state.pageSize });
  const entra = entraRoute({ seed, tokens, lifetime: lifetimeFor("entra") });
  const tokenProxy = tokenProxyRoute(
    { seed, tokens, lifetime: lifetimeFor("entra") },
    cluster.tokenProxyPath,
  );
  const apiServer = apiServerRoute();
  const tlsRouter: Router = (host) => {
    if (isLoginHost(host, clouds)) return entra;
    if (isVaultHost(host, clouds)) return kv;
    return textResponse(421, `The emulator does not serve ${host}\n`);
  };
  const imds = imdsRoute({ seed, tokens, lifetime: lifetimeFor("imds") });
  const nmi = nmiRoute({ seed, tokens, lifetime: lifetimeFor("nmi") });

  const tlsServer = serve(deps, tlsRouter, { cert: tls.certPem, key: tls.keyPem });
  const imdsServer = serve(deps, () => imds);
  const nmiServer = serve(deps, () => nmi);
  const apiServerServer = serve(deps, () => apiServer, leafOf(tls.leaves.apiServer));
  const tokenProxyServer = serve(deps, () => tokenProxy, leafOf(tls.leaves.tokenProxy));
  const tunnels: Tunnel[] = [];
  const adminServer = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    onListen: () => {},
    handler: (req) => adminOrRefuse(req, { log, faults, tokens }),
  });

  const imdsFront = startFrontDoor({
    port: options.imdsPort ?? 0,
    plainBackendPort: imdsServer.addr.port,
    registry: relays,
  });
  const nmiFront = startFrontDoor({
    port: options.nmiPort ?? 0,
    plainBackendPort: nmiServer.addr.port,
    registry: relays,
  });
  const proxy = startFrontDoor({
    port: options.port ?? 0,
    plainBackendPort: adminServer.addr.port,
    tlsBackendPort: tlsServer.addr.port,
    allowConnect: (host) => isVaultHost(host, clouds) || isLoginHost(host, clouds),
    // The token proxy shares the API server's address; AKS tells them apart by server name.
    sni: {
      handles: (host) => host === API_SERVER_HOST,
      backend: (host, serverName) => {
        const backend = serverName === sniName ? "tokenProxy" : "apiserver";
        tunnels.push({ host, serverName, backend });
        return backend === "tokenProxy" ? tokenProxyServer.addr.port : apiServerServer.addr.port;
      },
    },
    // Plain-HTTP proxying reaches only the emulator's own IMDS and NMI (and
    // the well-known IMDS address); everything else ends at the admin server.
    forward: (host, port) => {
      if (host === "169.254.169.254" && port === 80) return imdsServer.addr.port;
      if (!LOOPBACK.includes(host)) return undefined;
      if (port === imdsFront.port) return imdsServer.addr.port;
      if (port === nmiFront.port) return nmiServer.addr.port;
      return undefined;
    },
    registry: relays,
  });
  const fronts: FrontDoor[] = [proxy, imdsFront, nmiFront];

  const proxyUrl = `http://127.0.0.1:${proxy.port}`;
  const imdsUrl = `http://127.0.0.1:${imdsFront.port}`;
  let closed: Promise<void> | undefined;
  const close = () =>
    closed ??= (async () => {
      shutdown.abort();
      await Promise.all(fronts.map((f) => f.close()));
      await Promise.all(
        [tlsServer, imdsServer, nmiServer, apiServerServer, tokenProxyServer, adminServer].map((s) =>
          s.shutdown()
        ),
      );
      if (ownsStateDir) await Deno.remove(stateDir, { recursive: true }).catch(() => {});
    })();

  return {
    proxyUrl,
    caPath: tls.caPath,
    imdsUrl,
    nmiAddress: `127.0.0.1:${nmiFront.port}`,
    aksCluster: {
      id: cluster.id,
      apiServerHost: API_SERVER_HOST,
      sniName,
      tokenProxyUrl: `https://${API_SERVER_HOST}${cluster.tokenProxyPath}`,
      tokenProxyAddress: `127.0.0.1:${tokenProxyServer.addr.port}`,
    },
    seed,
    env: () => ({
      HTTPS_PROXY: proxyUrl,
      NODE_EXTRA_CA_CERTS: tls.caPath,
      AZURE_POD_IDENTITY_AUTHORITY_HOST: imdsUrl,
    }),
    requests: (filter) => log.list(filter),
    tunnels: () => tunnels.map((tunnel) => ({ ...tunnel })),
    resetRequests: () => {
      log.reset();
      tunnels.length = 0;
    },
    setFaults: (f) => faults.set(f),
    clearFaults: () => faults.clear(),
    issuedTokens: () => tokens.all(),
    expireTokens: () => tokens.expireAll(),
    setTokenLifetime: (seconds) => {
      state.lifetime = seconds;
    },
    setLatency: (ms) => {
      state.latencyMs = ms;
    },
    addSecretVersion: (vault, name, secret) => {
      const created = nowSeconds();
      const version: SecretVersion = {
        version: secret.version ?? derivedHex(`${vault}/secrets/${name}/${created}/${secret.value}`),
        value: secret.value,
        contentType: secret.contentType,
        attributes: { enabled: true, created, updated: created },
      };
      kv.addSecretVersion(vault, name, version);
      return version.version;
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}

async function resolveSeed(options: EmulatorOptions): Promise<Seed> {
  const source = options.seed ?? defaultSeedPath();
  const seed = typeof source === "string" ? await loadSeedFile(source) : normalizeSeed(source);
  if (options.azureStack) seed.azureStack = { ...options.azureStack };
  return seed;
}

/** Path of the demo seed shipped beside this module. */
export function defaultSeedPath(): string {
  return decodeURIComponent(new URL("./seed.yaml", import.meta.url).pathname);
}

function serve(
  deps: PipelineDeps,
  router: Router,
  tls?: { cert: string; key: string },
): Deno.HttpServer<Deno.NetAddr> {
  let port = 0;
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: 0,
    ...tls,
    onListen: () => {},
    // Errors here are clients vanishing mid-response, which tests cause on purpose.
    onError: () => new Response(null, { status: 500 }),
    handler: createServeHandler(deps, router, () => port),
  });
  port = server.addr.port;
  return server;
}

function leafOf(leaf: { certPem: string; keyPem: string }): { cert: string; key: string } {
  return { cert: leaf.certPem, key: leaf.keyPem };
}

// The proxy port also receives proxy-style plain-HTTP requests
// (`GET http://host/...`); only the emulator's own admin API is served.
function adminOrRefuse(req: Request, deps: Parameters<typeof handleAdmin>[1]): Promise<Response> | Response {
  const host = new URL(req.url).hostname;
  if (!LOOPBACK.includes(host)) {
    return jsonResponse(403, { error: `The Key Vault emulator does not proxy plain HTTP to ${host}` });
  }
  return handleAdmin(req, deps);
}

// ---- CLI --------------------------------------------------------------------

async function main(): Promise<void> {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      seed: { type: "string" },
      port: { type: "string" },
      "imds-port": { type: "string" },
      "nmi-port": { type: "string" },
      "latency-ms": { type: "string" },
      "state-dir": { type: "string" },
      "page-size": { type: "string" },
      "token-lifetime": { type: "string" },
    },
  });
  const num = (v: string | undefined) => (v === undefined ? undefined : Number(v));
  const emulator = await startEmulator({
    seed: values.seed,
    port: num(values.port),
    imdsPort: num(values["imds-port"]),
    nmiPort: num(values["nmi-port"]),
    latencyMs: num(values["latency-ms"]),
    stateDir: values["state-dir"],
    pageSize: num(values["page-size"]),
    tokenLifetimeSeconds: num(values["token-lifetime"]),
  });
  console.log(JSON.stringify({
    proxy: emulator.proxyUrl,
    ca: emulator.caPath,
    imds: emulator.imdsUrl,
    nmi: emulator.nmiAddress,
    tokenProxy: emulator.aksCluster.tokenProxyUrl,
    sniName: emulator.aksCluster.sniName,
  }));
  await new Promise<void>((resolve) => {
    Deno.addSignalListener("SIGTERM", resolve);
    Deno.addSignalListener("SIGINT", resolve);
  });
  await emulator.close();
  Deno.exit(0);
}

if (import.meta.main) {
  main().catch((err) => {
    console.error(`emulator: ${err instanceof Error ? err.message : err}`);
    Deno.exit(1);
  });
}
