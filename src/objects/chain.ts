/**
 * `--construct-pem-chain`: orders a PFX's certificates leaf → intermediates → root by
 * linking each certificate's Authority Key Identifier to another's Subject Key Identifier,
 * as the Go provider does.
 */
import { keyIdentifiers } from "./x509.ts";

/** Why a chain was left in Key Vault's order. */
const INCOMPLETE_CHAIN_WARNING =
  "certificate chain is not complete due to missing intermediate/root certificates in the cert from key vault";

/**
 * Orders DER certificates from the leaf to the root. Each certificate's parent is the first
 * other certificate whose SKI equals its AKI; the leaf is the first certificate that is no
 * one's parent; the walk follows parents and never visits a certificate twice. When the walk
 * does not cover every certificate (a missing link, no leaf, or a cycle) the input order is
 * kept and `warn` is called, so no certificate is ever dropped.
 */
export function orderChain(
  certificates: readonly Uint8Array[],
  warn: (message: string) => void,
): Uint8Array[] {
  if (certificates.length < 2) return [...certificates];
  const ids = certificates.map(keyIdentifiers);
  const parents = ids.map((child, i) => {
    if (child.authorityKeyId === undefined) return -1;
    return ids.findIndex((candidate, j) => j !== i && candidate.subjectKeyId === child.authorityKeyId);
  });
  const leaf = certificates.findIndex((_, i) => !parents.includes(i));
  const order: number[] = [];
  for (let node = leaf; node >= 0 && !order.includes(node); node = parents[node]) order.push(node);
  if (order.length !== certificates.length) {
    warn(
      leaf < 0
        ? `${INCOMPLETE_CHAIN_WARNING} (no leaf: the certificates certify each other in a cycle)`
        : INCOMPLETE_CHAIN_WARNING,
    );
    return [...certificates];
  }
  return order.map((i) => certificates[i]);
}
