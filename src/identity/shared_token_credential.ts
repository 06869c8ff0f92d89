import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";

/**
 * Wraps a credential so that concurrent token requests for the same scopes share one
 * exchange. The credentials cache tokens, but a burst of first mounts would otherwise ask
 * Entra (or IMDS, or NMI) once per concurrent request before the first answer arrives.
 */
export class SharedTokenCredential implements TokenCredential {
  readonly #pending = new Map<string, Promise<AccessToken | null>>();

  constructor(private readonly inner: TokenCredential) {}

  getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken | null> {
    const key = JSON.stringify([
      scopes,
      options.tenantId ?? "",
      options.claims ?? "",
      options.enableCae ?? false,
    ]);
    const pending = this.#pending.get(key);
    if (pending) return pending;
    const { abortSignal: _ignored, ...shared } = options;
    const request = this.inner.getToken(scopes, shared).finally(() => this.#pending.delete(key));
    this.#pending.set(key, request);
    return request;
  }
}
