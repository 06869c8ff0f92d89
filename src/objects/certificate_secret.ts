/**
 * The secret behind a Key Vault certificate (a secret whose bundle has `kid`): its value is
 * the certificate with its private key, as PEM text or as a base64 PKCS#12 file, depending
 * on the certificate policy's content type.
 */
import type { ObjectSpec } from "../config/object_spec.ts";
import { orderChain } from "./chain.ts";
import { decodeGoBase64 } from "../text/go_encoding.ts";
import { decodeContent } from "./encoding.ts";
import { FormatContext, ObjectFormatError, OutputFile } from "./object_type.ts";
import { encodePem, encodePemBlocks } from "./pem.ts";
import { readPemBlocks } from "./pem_reader.ts";
import { pemToPkcs12 } from "./pem_to_pkcs12.ts";
import { readPkcs12 } from "./pkcs12.ts";
import { toPkcs8Pem } from "./private_key.ts";

/** Content type of a certificate stored as PEM (key and certificates as uploaded). */
const PEM_CONTENT_TYPE = "application/x-pem-file";
/** Content type of a certificate stored as PKCS#12 (base64 of a PFX with an empty password). */
const PKCS12_CONTENT_TYPE = "application/x-pkcs12";

/** The key and certificate parts of a certificate's PEM, before they are joined. */
interface PemParts {
  readonly keys: string;
  readonly certificates: string;
}

/**
 * The files of a certificate-backed secret: with `--write-cert-and-key-in-separate-files`,
 * `<file>.crt` (certificates) and `<file>.key` (private key) first, then the file itself:
 * - PEM content type, objectFormat pem: the value as stored;
 * - PKCS#12, objectFormat pem: the private key as PKCS#8, then the certificates (ordered
 *   leaf → root when `--construct-pem-chain` is on);
 * - PKCS#12, objectFormat pfx: the value as stored (base64 text; `objectEncoding: base64`
 *   makes it the binary .pfx). The `.crt` and `.key` files hold the PEM conversion.
 * - PEM, objectFormat pfx: a PKCS#12 built from the key and the chain (pem_to_pkcs12.ts),
 *   written like the stored one; `.crt` and `.key` hold the PEM as for objectFormat pem.
 * objectEncoding decodes the file itself; `.crt` and `.key` are always PEM text.
 */
export function certificateSecretFiles(
  spec: ObjectSpec,
  value: string,
  contentType: string | undefined,
  context: FormatContext,
): OutputFile[] {
  let main: string;
  let parts: () => PemParts;
  switch (contentType) {
    case PEM_CONTENT_TYPE:
      // pfx: the PKCS#12 Key Vault would have stored, built from the key and the chain.
      main = spec.objectFormat === "pfx" ? pemToPkcs12(value, context) : value;
      parts = () => splitPem(value);
      break;
    case PKCS12_CONTENT_TYPE: {
      const converted = () => pkcs12ToPem(value, context);
      if (spec.objectFormat === "pfx") {
        main = value;
        parts = converted;
      } else {
        const pem = converted();
        main = pem.keys + pem.certificates;
        parts = () => pem;
      }
      break;
    }
    default:
      throw new ObjectFormatError(
        contentType === undefined || contentType === ""
          ? `failed to get certificate. the secret has no content type; expected ${PKCS12_CONTENT_TYPE} or ${PEM_CONTENT_TYPE}`
          : `failed to get certificate. unknown content type '${contentType}'`,
      );
  }
  const files: OutputFile[] = [];
  if (context.writeCertAndKeyInSeparateFiles) {
    const { keys, certificates } = parts();
    files.push({ suffix: ".crt", contents: utf8(certificates) }, { suffix: ".key", contents: utf8(keys) });
  }
  files.push({ suffix: "", contents: decodeContent(main, spec.objectEncoding) });
  return files;
}

/** A PFX (base64) as PEM: keys as PKCS#8, certificates as stored or ordered into a chain. */
function pkcs12ToPem(value: string, context: FormatContext): PemParts {
  const pfx = readPkcs12(decodeBase64(value));
  const certificates = context.constructPemChain
    ? orderChain(pfx.certificates, context.warn)
    : pfx.certificates;
  return {
    keys: pfx.keys.map(toPkcs8Pem).join(""),
    certificates: certificates.map((der) => encodePem("CERTIFICATE", der)).join(""),
  };
}

/** Certificate blocks on one side, every other block on the other, re-encoded as Go does. */
function splitPem(value: string): PemParts {
  const blocks = readPemBlocks(value);
  return {
    keys: encodePemBlocks(blocks.filter((block) => block.type !== "CERTIFICATE")),
    certificates: encodePemBlocks(blocks.filter((block) => block.type === "CERTIFICATE")),
  };
}

/** The PFX's bytes, decoded as the Go provider decodes them (`base64.StdEncoding`). */
function decodeBase64(value: string): Uint8Array {
  const bytes = decodeGoBase64(value);
  if (!bytes) throw new ObjectFormatError("the PKCS#12 value is not standard base64");
  return bytes;
}

function utf8(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
