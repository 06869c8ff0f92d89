/**
 * A small Kubernetes REST client for the end-to-end suite: the static bearer token, the API
 * server's self-signed certificate as the only trusted CA, discovery to find where a kind lives,
 * and server-side apply (optionally as a dry run) — what `kubectl apply --server-side` does,
 * without needing kubectl.
 */

// deno-lint-ignore no-explicit-any
export type KubeObject = Record<string, any>;

/** An API answer other than 2xx. */
export class KubeError extends Error {
  constructor(readonly status: number, readonly body: KubeObject, what: string) {
    super(`${what}: HTTP ${status}: ${body.message ?? JSON.stringify(body)}`);
  }
}

interface ResourceInfo {
  name: string;
  namespaced: boolean;
}

/** Talks to one API server. */
export class Kube {
  readonly #client: Deno.HttpClient;
  readonly #resources = new Map<string, ResourceInfo>();

  constructor(readonly server: string, readonly token: string, caPem: string) {
    this.#client = Deno.createHttpClient({ caCerts: [caPem] });
  }

  /** One request; JSON in and out. Throws KubeError on a non-2xx answer. */
  async request(
    method: string,
    path: string,
    body?: unknown,
    contentType = "application/json",
  ): Promise<KubeObject> {
    const response = await fetch(`${this.server}${path}`, {
      method,
      client: this.#client,
      headers: {
        authorization: `Bearer ${this.token}`,
        accept: "application/json",
        ...(body === undefined ? {} : { "content-type": contentType }),
      },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    let parsed: KubeObject;
    try {
      parsed = text === "" ? {} : JSON.parse(text);
    } catch {
      parsed = { message: text };
    }
    if (!response.ok) throw new KubeError(response.status, parsed, `${method} ${path}`);
    return parsed;
  }

  /** GET, or undefined on 404. */
  async get(path: string): Promise<KubeObject | undefined> {
    try {
      return await this.request("GET", path);
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return undefined;
      throw err;
    }
  }

  /** The REST path of an object (or of its collection when `name` is omitted). */
  async pathOf(apiVersion: string, kind: string, namespace?: string, name?: string): Promise<string> {
    const info = await this.#resource(apiVersion, kind);
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const ns = info.namespaced ? `/namespaces/${namespace ?? "default"}` : "";
    return `${base}${ns}/${info.name}${name === undefined ? "" : `/${name}`}`;
  }

  /** Creates an object; returns what the server stored. */
  async create(object: KubeObject): Promise<KubeObject> {
    const path = await this.pathOf(object.apiVersion, object.kind, object.metadata?.namespace);
    return await this.request("POST", path, object);
  }

  /**
   * Server-side apply, as `kubectl apply --server-side [--dry-run=server]`: the server validates
   * the object against its schema (unknown fields are errors) and runs admission.
   */
  async apply(object: KubeObject, options: { dryRun?: boolean } = {}): Promise<KubeObject> {
    const { apiVersion, kind, metadata } = object;
    const path = await this.pathOf(apiVersion, kind, metadata?.namespace, metadata?.name);
    const query = `?fieldManager=akv-e2e&force=true&fieldValidation=Strict${
      options.dryRun ? "&dryRun=All" : ""
    }`;
    return await this.request("PATCH", `${path}${query}`, object, "application/apply-patch+yaml");
  }

  /** Forgets discovery answers (after CRDs were added). */
  forgetDiscovery(): void {
    this.#resources.clear();
  }

  /** Releases the HTTP client. */
  close(): void {
    this.#client.close();
  }

  async #resource(apiVersion: string, kind: string): Promise<ResourceInfo> {
    const key = `${apiVersion}/${kind}`;
    const known = this.#resources.get(key);
    if (known) return known;
    const base = apiVersion.includes("/") ? `/apis/${apiVersion}` : `/api/${apiVersion}`;
    const list = await this.request("GET", base);
    for (const r of list.resources as KubeObject[]) {
      if (!r.name.includes("/")) this.#resources.set(`${apiVersion}/${r.kind}`, r as ResourceInfo);
    }
    const found = this.#resources.get(key);
    if (!found) throw new Error(`the API server does not serve ${kind} in ${apiVersion}`);
    return found;
  }
}
