/**
 * The token proxy's server name of identity binding (checked against Python's base32hex and
 * sha256) and the cluster id in an API server certificate (made by openssl).
 */
import assert from "node:assert/strict";
import { clusterIdOf, identityBindingSniName, SniNameError } from "../../src/identity/sni_name.ts";
import { openssl } from "../harness/openssl.ts";

/** Runs python3 (an independent base32hex and sha256); returns its standard output. */
async function python3(args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command("python3", { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`python3 failed: ${new TextDecoder().decode(out.stderr)}`);
  return out.stdout;
}

Deno.test("the server name is a + lowercase unpadded base32hex(sha256(identity-binding + id)) + .ests.aks", async () => {
  const script = "import base64,hashlib,sys\n" +
    "for id in sys.argv[1:]:\n" +
    "  d = hashlib.sha256(b'identity-binding' + id.encode()).digest()\n" +
    "  print('a' + base64.b32hexencode(d).decode().rstrip('=').lower() + '.ests.aks')";
  const ids = ["5f3c9a1e7b2d4c6a8e0f1a2b", "67e1b4f0c2a9d80001a2b3c4", "x", "ünïcode-id"];
  const expected = new TextDecoder().decode(await python3(["-c", script, ...ids])).trim().split("\n");
  assert.deepEqual(ids.map(identityBindingSniName), expected);
  for (const name of expected) {
    assert.match(name, /^a[0-9a-v]{52}\.ests\.aks$/, "52 base32hex digits: 256 bits, no padding");
  }
});

Deno.test("the cluster id is read from the hcp-kubernetes.<id>.svc.cluster.local DNS name of the certificate", async () => {
  const dir = await Deno.makeTempDir();
  const certificate = async (names: string[]) => {
    await openssl([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-keyout",
      `${dir}/key.pem`,
      "-out",
      `${dir}/cert.der`,
      "-outform",
      "DER",
      "-days",
      "1",
      "-subj",
      "/CN=apiserver",
      "-addext",
      `subjectAltName=${names.map((name) => `DNS:${name}`).join(",")}`,
    ]);
    return await Deno.readFile(`${dir}/cert.der`);
  };
  try {
    const aks = await certificate([
      "kubernetes",
      "kubernetes.default.svc.cluster.local",
      "hcp-kubernetes.67e1b4f0c2a9d80001a2b3c4.svc.cluster.local",
    ]);
    assert.equal(clusterIdOf(aks), "67e1b4f0c2a9d80001a2b3c4");
    const plain = await certificate(["kubernetes.default.svc.cluster.local"]);
    assert.throws(
      () => clusterIdOf(plain),
      (error: Error) =>
        error instanceof SniNameError &&
        /cluster ID SAN \(hcp-kubernetes.<id>.svc.cluster.local\) not found in the API server certificate .*--sni-name/
          .test(error.message),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
