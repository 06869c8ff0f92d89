import { openssl } from "../harness/openssl.ts";
/**
 * The emulator's TLS identity: a throw-away CA plus one leaf certificate
 * whose SANs cover every impersonated host, and leaves of their own for the
 * servers that must present a certificate for some names only (the AKS API
 * server and its token proxy).
 *
 * Generated with the `openssl` CLI rather than an npm library: it is already
 * installed, produces exactly the X.509 extensions rustls/webpki (behind
 * Deno's node:tls) insist on (CA basicConstraints + keyCertSign, leaf SANs +
 * serverAuth EKU), and keeps a crypto dependency out of the lock file. The CA
 * private key lives only in a scratch directory deleted right after signing,
 * so nothing else can ever be issued under this trust anchor.
 */

/** PEM material for the TLS listener and the path clients should trust. */
export interface TlsMaterial {
  /** `<stateDir>/ca.pem`, for NODE_EXTRA_CA_CERTS. */
  caPath: string;
  caPem: string;
  /** Leaf certificate PEM. */
  certPem: string;
  /** Leaf private key PEM (PKCS#8). */
  keyPem: string;
  /** The extra leaves asked for, by name. */
  leaves: Record<string, { certPem: string; keyPem: string }>;
}

const VALIDITY_DAYS = "7";

/**
 * Creates a CA, a leaf for `dnsNames` and one more leaf per entry of `extraLeaves` (name → its
 * DNS names), all signed before the CA key is deleted; writes the CA to `<stateDir>/ca.pem`.
 */
export async function createTlsMaterial(
  stateDir: string,
  dnsNames: string[],
  extraLeaves: Record<string, string[]> = {},
): Promise<TlsMaterial> {
  const work = await Deno.makeTempDir({ prefix: "kv-emulator-ca-" });
  try {
    await createCa(work);
    await createLeaf(work, "leaf", dnsNames);
    const leaves: TlsMaterial["leaves"] = {};
    for (const [name, names] of Object.entries(extraLeaves)) {
      const file = `extra-${Object.keys(leaves).length}`;
      await createLeaf(work, file, names);
      leaves[name] = {
        certPem: await Deno.readTextFile(`${work}/${file}.pem`),
        keyPem: await Deno.readTextFile(`${work}/${file}.key`),
      };
    }
    const caPem = await Deno.readTextFile(`${work}/ca.pem`);
    const caPath = `${stateDir}/ca.pem`;
    await Deno.writeTextFile(caPath, caPem);
    return {
      caPath,
      caPem,
      certPem: await Deno.readTextFile(`${work}/leaf.pem`),
      keyPem: await Deno.readTextFile(`${work}/leaf.key`),
      leaves,
    };
  } finally {
    await Deno.remove(work, { recursive: true });
  }
}

// P-256 keys: fast to generate on every start, and accepted by rustls.
const EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

async function createCa(dir: string): Promise<void> {
  await openssl([
    "req",
    "-x509",
    ...EC_KEY,
    "-keyout",
    `${dir}/ca.key`,
    "-out",
    `${dir}/ca.pem`,
    "-days",
    VALIDITY_DAYS,
    "-sha256",
    "-subj",
    `/O=Key Vault Emulator/CN=Key Vault Emulator Test CA ${crypto.randomUUID().slice(0, 8)}`,
    "-addext",
    "basicConstraints=critical,CA:TRUE",
    "-addext",
    "keyUsage=critical,keyCertSign,cRLSign",
  ]);
}

async function createLeaf(dir: string, file: string, dnsNames: string[]): Promise<void> {
  await openssl([
    "req",
    "-new",
    ...EC_KEY,
    "-keyout",
    `${dir}/${file}.key`,
    "-out",
    `${dir}/${file}.csr`,
    "-subj",
    "/O=Key Vault Emulator/CN=kv-emulator",
  ]);
  const extensions = [
    "basicConstraints=critical,CA:FALSE",
    "keyUsage=critical,digitalSignature,keyEncipherment",
    "extendedKeyUsage=serverAuth",
    `subjectAltName=${dnsNames.map((n) => `DNS:${n}`).join(",")}`,
    "subjectKeyIdentifier=hash",
    "authorityKeyIdentifier=keyid",
  ];
  await Deno.writeTextFile(`${dir}/${file}.ext`, extensions.join("\n") + "\n");
  await openssl([
    "x509",
    "-req",
    "-in",
    `${dir}/${file}.csr`,
    "-CA",
    `${dir}/ca.pem`,
    "-CAkey",
    `${dir}/ca.key`,
    "-set_serial",
    `0x${crypto.randomUUID().replaceAll("-", "").slice(0, 30)}`,
    "-days",
    VALIDITY_DAYS,
    "-sha256",
    "-extfile",
    `${dir}/${file}.ext`,
    "-out",
    `${dir}/${file}.pem`,
  ]);
}
