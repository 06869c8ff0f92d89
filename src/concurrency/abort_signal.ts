/** A signal that never fires, for work started without one. */
export const NEVER: AbortSignal = new AbortController().signal;

/**
 * The AbortSignal an Azure SDK passes as its `AbortSignalLike` (the type promises less than the
 * SDKs pass: the request's own AbortSignal), or {@link NEVER} when it passes none.
 *
 * @example
 * ```ts
 * const signal = abortSignalOf(options.abortSignal);
 * signal.throwIfAborted();
 * ```
 */
export function abortSignalOf(signal: { readonly aborted: boolean } | undefined): AbortSignal {
  return (signal as AbortSignal | undefined) ?? NEVER;
}
