import assert from "node:assert/strict";
import type { ObjectSpec } from "../../src/config/object_spec.ts";
import { certificateSecretFiles } from "../../src/objects/certificate_secret.ts";
import { ObjectFormatError } from "../../src/objects/object_type.ts";
import { generateMaterial } from "../emulator/material.ts";
import { Buffer } from "node:buffer";
import { readPkcs12 } from "../../src/objects/pkcs12.ts";
import { toPkcs8Pem } from "../../src/objects/private_key.ts";

const spec = (fields: Partial<ObjectSpec> = {}): ObjectSpec => ({
  index: 0,
  objectName: "c",
  objectAlias: "",
  objectType: "secret",
  objectVersion: "",
  objectVersionHistory: 0,
  objectFormat: "pem",
  objectEncoding: "utf-8",
  fileName: "c",
  ...fields,
});
const context = (separate = false, warnings: string[] = []) => ({
  constructPemChain: true,
  writeCertAndKeyInSeparateFiles: separate,
  warn: (message: string) => warnings.push(message),
});
const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
/** The DER of a file's one PEM block. */
const derOf = (pem: string) => new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64"));

Deno.test("certificate secret: a missing or unknown content type is a clear error", () => {
  for (
    const [type, message] of [
      [
        undefined,
        "failed to get certificate. the secret has no content type; expected application/x-pkcs12 or application/x-pem-file",
      ],
      [
        "",
        "failed to get certificate. the secret has no content type; expected application/x-pkcs12 or application/x-pem-file",
      ],
      ["text/plain", "failed to get certificate. unknown content type 'text/plain'"],
    ] as const
  ) {
    assert.throws(
      () => certificateSecretFiles(spec(), "value", type, context()),
      (e) => e instanceof ObjectFormatError && e.message === message,
    );
  }
});

Deno.test("certificate secret: a PFX value that is not base64 or not a PFX names the problem, not the value", () => {
  assert.throws(
    () => certificateSecretFiles(spec(), "not base64!", "application/x-pkcs12", context()),
    (e) => e instanceof ObjectFormatError && e.message === "the PKCS#12 value is not standard base64",
  );
  assert.throws(
    () => certificateSecretFiles(spec(), "aGVsbG8gd29ybGQ=", "application/x-pkcs12", context()),
    (e) => e instanceof ObjectFormatError && /^the value is not a PKCS#12 \(PFX\) file: /.test(e.message),
  );
});

Deno.test("certificate secret: line breaks in the base64 value are ignored, as Go's decoder ignores them", async () => {
  const material = await generateMaterial();
  const v = material.certificates.get("self-ec-aes")!.versions[0];
  const wrapped = v.value.replace(/(.{76})/g, "$1\r\n");
  const [plain] = certificateSecretFiles(spec(), v.value, "application/x-pkcs12", context());
  const [fromWrapped] = certificateSecretFiles(spec(), wrapped, "application/x-pkcs12", context());
  assert.deepEqual(fromWrapped, plain);
});

Deno.test("certificate secret: separate files come first and keep every non-certificate block in .key", async () => {
  const material = await generateMaterial();
  const v = material.certificates.get("chain3-pem")!.versions[0];
  const files = certificateSecretFiles(spec(), v.value, "application/x-pem-file", context(true));
  assert.deepEqual(files.map((f) => f.suffix), [".crt", ".key", ""]);
  assert.equal(text(files[2].contents), v.value);
  assert.equal((text(files[0].contents).match(/BEGIN CERTIFICATE/g) ?? []).length, 3);
  assert.match(text(files[1].contents), /^-----BEGIN PRIVATE KEY-----\n[^-]+-----END PRIVATE KEY-----\n$/);
});

Deno.test("certificate secret: objectFormat pfx of a PEM certificate is a PFX of the key and the chain, leaf first", async () => {
  const material = await generateMaterial();
  const v = material.certificates.get("chain3-pem")!.versions[0];
  const files = certificateSecretFiles(
    spec({ objectFormat: "pfx" }),
    v.value,
    "application/x-pem-file",
    context(true),
  );
  assert.deepEqual(files.map((f) => f.suffix), [".crt", ".key", ""]);
  // The .crt and .key files are the PEM conversion, as for objectFormat pem.
  const pem = certificateSecretFiles(spec(), v.value, "application/x-pem-file", context(true));
  assert.deepEqual(files.slice(0, 2), pem.slice(0, 2));
  // Read back through our own PFX → PEM path: the stored order was root, leaf, intermediate.
  const back = readPkcs12(Buffer.from(text(files[2].contents), "base64"));
  assert.equal(back.keys.length, 1);
  const expected = await Promise.all(v.chainOrder.map(async (path) => derOf(await Deno.readTextFile(path))));
  assert.deepEqual(back.certificates.map(hex), expected.map(hex));
  assert.equal(toPkcs8Pem(back.keys[0]), toPkcs8Pem(derOf(await Deno.readTextFile(v.keyPath!))));
  // The same certificate gives the same file, so the driver does not rewrite it at every rotation poll;
  // another certificate gets other salts.
  const again = certificateSecretFiles(
    spec({ objectFormat: "pfx" }),
    v.value,
    "application/x-pem-file",
    context(),
  );
  assert.deepEqual(again[0].contents, files[2].contents);
  const other = material.certificates.get("self-ec-pem")!.versions[0];
  const [otherPfx] = certificateSecretFiles(
    spec({ objectFormat: "pfx" }),
    other.value,
    "application/x-pem-file",
    context(),
  );
  const salt = (pfx: Uint8Array) => Buffer.from(text(pfx), "base64").subarray(-20, -4).toString("hex");
  assert.notEqual(salt(otherPfx.contents), salt(files[2].contents));
});

Deno.test("certificate secret: a PEM that cannot make a PFX names what is missing, never the value", async () => {
  const material = await generateMaterial();
  const v = material.certificates.get("chain3-pem")!.versions[0];
  const [key, ...certificates] = v.value.split(/(?=-----BEGIN )/);
  const other = material.certificates.get("self-ec-pem")!.versions[0].value.split(/(?=-----BEGIN )/)[0];
  const cases: [string, RegExp][] = [
    [certificates.join(""), /needs one private key in the certificate's PEM value, found 0$/],
    [key + key + certificates.join(""), /needs one private key in the certificate's PEM value, found 2$/],
    [key, /holds no CERTIFICATE block$/],
    [other + certificates.join(""), /the private key belongs to none of the certificates in the PEM value$/],
  ];
  for (const [value, message] of cases) {
    assert.throws(
      () => certificateSecretFiles(spec({ objectFormat: "pfx" }), value, "application/x-pem-file", context()),
      (e) => e instanceof ObjectFormatError && message.test(e.message) && !e.message.includes("MII"),
    );
  }
});
