import {
  type AccessToken,
  CredentialUnavailableError,
  type GetTokenOptions,
  type TokenCredential,
} from "@azure/identity";
import { request } from "node:http";
import { identityKey } from "../cache/keys.ts";
import type { IdentityContext, IdentityMode, IdentityRequest, ResolvedIdentity } from "./identity_mode.ts";

/**
 * aad-pod-identity (deprecated upstream, still served): the node's NMI hands out the token of
 * the identity bound to the pod, found by the pod's namespace and name. The tenant and any
 * client id are NMI's business, not the mount's.
 */
export const podIdentity: IdentityMode = {
  name: "podIdentity",
  selector: { switch: "usePodIdentity" },
  parameters: [],
  resolve(config: IdentityRequest, context: IdentityContext): ResolvedIdentity {
    const { pod } = config;
    const target = {
      nmiAddress: context.nmiAddress,
      podNamespace: pod.namespace,
      podName: pod.name,
      resource: config.cloud.keyVaultEndpoint,
    };
    const ignored = ["clientID", "userAssignedIdentityID"].filter((name) => config.parameters[name] !== "");
    return {
      mode: "podIdentity",
      // NMI decides per pod. The uid keeps a later pod of the same name (with another binding)
      // from receiving the token its predecessor was given.
      key: identityKey("podIdentity", {
        nmiAddress: target.nmiAddress,
        resource: target.resource,
        podNamespace: pod.namespace,
        podName: pod.name,
        podUid: pod.uid,
      }),
      description: `pod identity of ${pod.namespace}/${pod.name}`,
      createCredential: () => new NmiCredential(target),
      warnings: ignored.map((name) =>
        `${name} is ignored with usePodIdentity: NMI picks the identity bound to the pod (AzureIdentityBinding)`
      ),
    };
  },
};

/** Where a pod's token comes from. */
export interface NmiTarget {
  /** `host:port` of NMI (`--nmi-address`). */
  readonly nmiAddress: string;
  readonly podNamespace: string;
  readonly podName: string;
  /** The cloud's Key Vault resource, e.g. `https://vault.azure.net`. */
  readonly resource: string;
}

/** An NMI failure; the message is the Go provider's, so existing alerts keep matching. */
class NmiError extends CredentialUnavailableError {
  constructor(message: string) {
    super(message);
  }
}

/** A token is renewed this long before it expires (MSAL's margin), so a mount never races expiry. */
const RENEW_BEFORE_MS = 5 * 60 * 1000;
/** NMI's answers are small; anything larger is not NMI. */
const MAX_BODY_BYTES = 64 * 1024;

/**
 * Gets the pod's token from NMI's host endpoint
 * (`GET /host/token/?resource=…` with `podns` and `podname` headers) and keeps it until it
 * nears expiry. Requests go straight to NMI, never through a proxy, like the Go provider's.
 */
class NmiCredential implements TokenCredential {
  #cached?: AccessToken;

  constructor(private readonly target: NmiTarget) {}

  async getToken(_scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    const cached = this.#cached;
    if (cached && cached.expiresOnTimestamp - Date.now() > RENEW_BEFORE_MS) return cached;
    const token = await this.#fetch(options.abortSignal as AbortSignal | undefined);
    this.#cached = token;
    return token;
  }

  async #fetch(signal: AbortSignal | undefined): Promise<AccessToken> {
    const { nmiAddress, podNamespace, podName, resource } = this.target;
    // The resource goes unescaped, as the Go provider sends it and NMI expects it.
    const url = `http://${nmiAddress}/host/token/?resource=${resource}`;
    let answer: { status: number; body: string };
    try {
      answer = await get(url, { podns: podNamespace, podname: podName }, signal);
    } catch (error) {
      if (signal?.aborted) throw signal.reason;
      throw new NmiError(
        `cannot reach NMI at ${nmiAddress} (usePodIdentity needs aad-pod-identity's NMI on this node; ` +
          `the provider's --nmi-address flag says where): ${(error as Error).message}`,
      );
    }
    if (answer.status !== 200) {
      throw new NmiError(
        `nmi response failed with status code: ${answer.status}, response body: ${answer.body.trim()}`,
      );
    }
    return parseNmiToken(answer.body);
  }
}

/** Reads NMI's `{"token":{"access_token","expires_on",…},"clientid"}`; throws NmiError. */
function parseNmiToken(body: string): AccessToken {
  let parsed: { token?: { access_token?: unknown; expires_on?: unknown }; clientid?: unknown } | undefined;
  try {
    parsed = JSON.parse(body);
  } catch {
    parsed = undefined;
  }
  const accessToken = parsed?.token?.access_token;
  if (
    typeof accessToken !== "string" || accessToken === "" || typeof parsed?.clientid !== "string" ||
    parsed.clientid === ""
  ) {
    throw new NmiError("nmi did not return expected values in response: token and clientid");
  }
  // Epoch seconds as a string (or number). An unreadable expiry counts as expired, as in the
  // Go provider: the token is used once and never cached.
  const seconds = Number(parsed.token?.expires_on);
  const expiresOnTimestamp = Number.isFinite(seconds) && String(parsed.token?.expires_on).trim() !== ""
    ? seconds * 1000
    : Date.now();
  return { token: accessToken, expiresOnTimestamp, tokenType: "Bearer" };
}

/** One GET with node:http, which (unlike fetch) never routes through HTTP(S)_PROXY. */
function get(
  url: string,
  headers: Record<string, string>,
  signal: AbortSignal | undefined,
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: "GET", headers, signal }, (res) => {
      const chunks: Uint8Array[] = [];
      let size = 0;
      res.on("data", (chunk: Uint8Array) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          req.destroy(new Error(`NMI answered more than ${MAX_BODY_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on("end", () => {
        const bytes = new Uint8Array(size);
        let offset = 0;
        for (const chunk of chunks) {
          bytes.set(chunk, offset);
          offset += chunk.length;
        }
        resolve({ status: res.statusCode ?? 0, body: new TextDecoder().decode(bytes) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end();
  });
}
