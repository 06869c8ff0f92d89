import type { AccessToken, GetTokenOptions, TokenCredential } from "@azure/identity";
import { tokenRequestKey } from "../cache/keys.ts";
import { abortSignalOf } from "../concurrency/abort_signal.ts";
import { InFlight } from "../concurrency/in_flight.ts";

/**
 * Wraps a credential so that concurrent token requests for the same scopes share one
 * exchange. The credentials cache tokens, but a burst of first mounts would otherwise ask
 * Entra (or IMDS, or NMI) once per concurrent request before the first answer arrives.
 * Each caller still stops waiting when its own abort signal fires; the shared exchange is
 * cancelled only once every caller waiting for it has given up.
 */
export class SharedTokenCredential implements TokenCredential {
  readonly #pending = new InFlight<AccessToken | null>();

  constructor(private readonly inner: TokenCredential) {}

  getToken(scopes: string | string[], options: GetTokenOptions = {}): Promise<AccessToken | null> {
    const key = tokenRequestKey({ scopes, ...options });
    const { abortSignal, ...shared } = options;
    return this.#pending.run(
      key,
      abortSignalOf(abortSignal),
      (signal) => this.inner.getToken(scopes, { ...shared, abortSignal: signal }),
    );
  }
}
