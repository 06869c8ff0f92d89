/**
 * Where an AKS cluster's API server, its identity-binding token proxy and its CA are, as a pod
 * sees them. Kept apart from the code that connects, so the flags can name the default without
 * loading it.
 */

/** The API server's in-cluster name; the token proxy answers on it too, chosen by the TLS server name. */
export const API_SERVER_HOST = "kubernetes.default.svc.cluster.local";

/** `--token-proxy-url`'s default: the API server's address, where AKS routes the token proxy. */
export const DEFAULT_TOKEN_PROXY_URL = `https://${API_SERVER_HOST}`;

/**
 * The cluster CA that Kubernetes mounts into every pod with a service account. It signs the API
 * server's and the token proxy's certificates; when it is absent the system roots are trusted.
 */
export const SERVICE_ACCOUNT_CA_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
