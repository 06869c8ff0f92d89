import { CredentialUnavailableError } from "@azure/identity";
import { readFile } from "node:fs/promises";
import type { AdditionalPolicy } from "../net/connection_pool.ts";
import { type PinnedTls, pinnedTlsAgent } from "../net/pinned_tls.ts";
import { SERVICE_ACCOUNT_CA_FILE } from "./aks_cluster.ts";
import { clusterSniName } from "./sni_name.ts";

/** The token proxy one credential uses, from the provider's flags. */
export interface TokenProxyTarget {
  /** `--token-proxy-url`: an https URL, maybe with a path. */
  readonly url: string;
  /** `--sni-name`; "" to compute it from the API server's certificate. */
  readonly sniName: string;
}

/**
 * Where a token request goes instead of the authority host: the proxy's origin, the proxy's path,
 * then the request's own path, its query kept
 * (`https://login.microsoftonline.com/<tenant>/oauth2/v2.0/token` →
 * `https://kubernetes.default.svc.cluster.local/<tenant>/oauth2/v2.0/token`).
 */
export function proxiedUrl(original: string, proxy: string): string {
  const from = new URL(original);
  const to = new URL(proxy);
  const base = to.pathname.endsWith("/") ? to.pathname : `${to.pathname}/`;
  to.pathname = base + from.pathname.replace(/^\//, "");
  to.search = from.search;
  return to.href;
}

/**
 * The cluster CA, read again whenever a token is asked for (the file is small and the CA
 * rotates), or undefined when the file does not exist: then the system roots
 * are trusted, as by the Go provider.
 */
async function clusterCa(): Promise<string | undefined> {
  let text: string;
  try {
    text = await readFile(SERVICE_ACCOUNT_CA_FILE, "utf8");
  } catch (error) {
    if ((error as { code?: string }).code === "ENOENT") return undefined;
    throw new CredentialUnavailableError(
      `identity binding: cannot read the cluster CA ${SERVICE_ACCOUNT_CA_FILE}: ${(error as Error).message}`,
    );
  }
  if (!text.includes("-----BEGIN CERTIFICATE-----")) {
    // Empty while the kubelet rotates it; the next mount reads it again.
    throw new CredentialUnavailableError(
      `identity binding: the cluster CA ${SERVICE_ACCOUNT_CA_FILE} holds no PEM certificate`,
    );
  }
  return text;
}

/**
 * Sends one credential's requests to the token proxy: a pipeline policy that rewrites each URL
 * (see {@link proxiedUrl}) and gives the request an agent whose TLS sends and checks the proxy's
 * server name and trusts the cluster CA. Everything else — the form, the client assertion, retries,
 * parsing and caching the answer — stays the SDK's.
 */
export class TokenProxyRedirect {
  #tls?: PinnedTls;
  /** Why the last request could not reach the proxy; MSAL reports only `network_error`. */
  #unreachable?: Error;

  constructor(private readonly target: TokenProxyTarget) {}

  /**
   * Settles the server name (computing it once per process when `--sni-name` is empty) and reads
   * the trust, before the credential sends anything; throws CredentialUnavailableError.
   */
  async prepare(): Promise<void> {
    const ca = await clusterCa();
    const servername = this.target.sniName || await clusterSniName(ca);
    this.#tls = { servername, ca };
    this.#unreachable = undefined;
  }

  /**
   * Why the proxy could not be reached (connection, TLS handshake, certificate), as an error that
   * names the proxy and the server name sent, or undefined when it was reached.
   */
  unreachable(): CredentialUnavailableError | undefined {
    const cause = this.#unreachable;
    if (!cause) return undefined;
    return new CredentialUnavailableError(
      `identity binding: cannot reach the token proxy ${this.target.url} with TLS server name ` +
        `${this.#tls?.servername}: ${cause.message}`,
    );
  }

  /** The policy to hand the credential (`additionalPolicies`). */
  readonly policy: AdditionalPolicy = {
    position: "perCall",
    policy: {
      name: "tokenProxyRedirectPolicy",
      sendRequest: async (request, next) => {
        const tls = this.#tls;
        if (!tls) throw new CredentialUnavailableError("identity binding: the token proxy was not prepared");
        request.url = proxiedUrl(request.url, this.target.url);
        request.agent = await pinnedTlsAgent(request.url, tls);
        try {
          return await next(request);
        } catch (error) {
          this.#unreachable = error as Error;
          throw error;
        }
      },
    },
  };
}
