import { createHash, X509Certificate } from "node:crypto";
import { CredentialUnavailableError } from "@azure/identity";
import { peerCertificate } from "../net/pinned_tls.ts";
import { API_SERVER_HOST } from "./aks_cluster.ts";

/** What AKS hashes with the cluster id, and what it puts around the hash. */
const SNI_SALT = "identity-binding";
const SNI_PREFIX = "a";
const SNI_SUFFIX = ".ests.aks";
/** The API server certificate's DNS name that carries the cluster id: `hcp-kubernetes.<id>.svc.cluster.local`. */
const CLUSTER_SAN = /^hcp-kubernetes\.(.*)\.svc\.cluster\.local$/;

/** The probe of the API server gives up after this long, as the Go provider's dial does. */
const PROBE_TIMEOUT_MS = 10_000;

/** The token proxy's server name could not be computed; the message says how to avoid computing it. */
export class SniNameError extends CredentialUnavailableError {
  constructor(reason: string) {
    super(
      `identity binding: cannot compute the token proxy's TLS server name: ${reason} ` +
        "(set the provider's --sni-name flag to skip automatic SNI detection)",
    );
  }
}

/**
 * The token proxy's TLS server name for a cluster: `a` + the lowercase, unpadded base32hex
 * (RFC 4648 §7) of sha256(`identity-binding` + id) + `.ests.aks`, as AKS and the Go provider
 * compute it.
 */
export function identityBindingSniName(clusterId: string): string {
  const digest = createHash("sha256").update(SNI_SALT + clusterId).digest();
  return SNI_PREFIX + base32Hex(digest).toLowerCase() + SNI_SUFFIX;
}

const BASE32HEX = "0123456789ABCDEFGHIJKLMNOPQRSTUV";

/**
 * Unpadded base32hex. Neither Web APIs nor node:buffer have base32, and a package for these
 * ten lines would be a dependency to keep for one call.
 */
function base32Hex(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32HEX[(buffer >> bits) & 31];
    }
    buffer &= (1 << bits) - 1;
  }
  return bits > 0 ? out + BASE32HEX[(buffer << (5 - bits)) & 31] : out;
}

/** The cluster id in a DER certificate's `hcp-kubernetes.<id>.svc.cluster.local` DNS name. */
export function clusterIdOf(certificate: Uint8Array): string {
  const names = (new X509Certificate(certificate).subjectAltName ?? "").split(/,\s*/)
    .filter((entry) => entry.startsWith("DNS:")).map((entry) => entry.slice(4));
  for (const name of names) {
    const id = CLUSTER_SAN.exec(name)?.[1];
    if (id === undefined) continue;
    if (id === "") throw new SniNameError(`empty cluster ID in SAN ${JSON.stringify(name)}`);
    return id;
  }
  throw new SniNameError(
    `cluster ID SAN (hcp-kubernetes.<id>.svc.cluster.local) not found in the API server certificate of ${API_SERVER_HOST}`,
  );
}

/**
 * Computes the server name from the certificate the API server presents at
 * `kubernetes.default.svc.cluster.local:$KUBERNETES_SERVICE_PORT` (443 when unset), trusting `ca`
 * (the system roots when undefined). Once found it is kept: a cluster's id does not change while
 * the provider runs. A failure is not kept, so the next identity-binding mount tries again.
 */
export function clusterSniName(ca: string | undefined): Promise<string> {
  // Shared by every mount waiting for it, so it ends on its own timeout, not on one mount's.
  computed ??= compute(ca).catch((error) => {
    computed = undefined;
    throw error;
  });
  return computed;
}

let computed: Promise<string> | undefined;

async function compute(ca: string | undefined): Promise<string> {
  const port = Deno.env.get("KUBERNETES_SERVICE_PORT") || "443";
  const url = `https://${API_SERVER_HOST}:${port}/`;
  let certificate: Uint8Array;
  try {
    const deadline = AbortSignal.timeout(PROBE_TIMEOUT_MS);
    certificate = await peerCertificate(url, { servername: API_SERVER_HOST, ca }, deadline);
  } catch (error) {
    throw new SniNameError(`TLS connect to the API server ${url} failed: ${(error as Error).message}`);
  }
  return identityBindingSniName(clusterIdOf(certificate));
}
