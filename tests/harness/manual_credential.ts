import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";

/**
 * A credential whose token exchanges the test finishes by hand: each `getToken` call is
 * recorded with its abort signal and a `finish` that resolves it; an abort rejects it.
 */
export class ManualCredential implements TokenCredential {
  readonly calls: { signal?: AbortSignal; finish: (token: AccessToken) => void }[] = [];
  getToken(_scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken> {
    return new Promise((resolve, reject) => {
      const signal = options.abortSignal as AbortSignal | undefined;
      signal?.addEventListener("abort", () => reject(signal.reason), { once: true });
      this.calls.push({ signal, finish: resolve });
    });
  }
}
