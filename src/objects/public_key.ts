/**
 * A Key Vault JSON Web Key as a PKIX `PUBLIC KEY` PEM block, as the Go provider writes it.
 * node:crypto does the encoding; only public members are ever read.
 */
import { createPublicKey } from "node:crypto";
import { Buffer } from "node:buffer";
import { ObjectFormatError } from "./object_type.ts";

/** The public members of a Key Vault key, as the SDK returns them (bytes, not base64url). */
export interface PublicJwk {
  readonly kty?: string;
  readonly crv?: string;
  readonly n?: Uint8Array;
  readonly e?: Uint8Array;
  readonly x?: Uint8Array;
  readonly y?: Uint8Array;
}

/** Bytes of one coordinate for each curve the Go provider supports. */
const CURVE_SIZES: Readonly<Record<string, number>> = { "P-256": 32, "P-384": 48, "P-521": 66 };

/**
 * Encodes an RSA, RSA-HSM, EC or EC-HSM key's public part as PKIX PEM. Other key types
 * (`oct`, `oct-HSM`, …) and curves (`P-256K`) are an ObjectFormatError with the Go
 * provider's wording.
 */
export function publicKeyPem(jwk: PublicJwk): string {
  const kty = jwk.kty ?? "";
  let key: Record<string, string>;
  switch (kty) {
    case "RSA":
    case "RSA-HSM":
      if (!jwk.n?.length || !jwk.e?.length) {
        throw new ObjectFormatError("the RSA key has no modulus or exponent");
      }
      key = { kty: "RSA", n: base64url(stripZeros(jwk.n)), e: base64url(stripZeros(jwk.e)) };
      break;
    case "EC":
    case "EC-HSM": {
      const crv = jwk.crv ?? "";
      const size = CURVE_SIZES[crv];
      if (!size) throw new ObjectFormatError(`curve ${crv} is not supported`);
      if (!jwk.x?.length || !jwk.y?.length) throw new ObjectFormatError("the EC key has no public point");
      // Go pads the coordinates to the field size; JWK requires it too.
      key = { kty: "EC", crv, x: base64url(pad(jwk.x, size)), y: base64url(pad(jwk.y, size)) };
      break;
    }
    default:
      throw new ObjectFormatError(`failed to get key. key type '${kty}' currently not supported`);
  }
  try {
    return createPublicKey({ key, format: "jwk" }).export({ type: "spki", format: "pem" }) as string;
  } catch (error) {
    throw new ObjectFormatError(`the ${kty} key is not a valid public key: ${(error as Error).message}`);
  }
}

function base64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString("base64url");
}

/** Big-endian integers as Go's big.Int reads them: leading zero bytes carry nothing. */
function stripZeros(bytes: Uint8Array): Uint8Array {
  let start = 0;
  while (start < bytes.length - 1 && bytes[start] === 0) start++;
  return bytes.subarray(start);
}

function pad(bytes: Uint8Array, size: number): Uint8Array {
  const value = stripZeros(bytes);
  if (value.length > size) throw new ObjectFormatError("an EC coordinate is longer than its curve allows");
  const padded = new Uint8Array(size);
  padded.set(value, size - value.length);
  return padded;
}
