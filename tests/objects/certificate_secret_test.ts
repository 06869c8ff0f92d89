import assert from "node:assert/strict";
import type { ObjectSpec } from "../../src/config/object_spec.ts";
import { certificateSecretFiles } from "../../src/objects/certificate_secret.ts";
import { ObjectFormatError } from "../../src/objects/object_type.ts";
import { generateMaterial } from "../emulator/material.ts";

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

Deno.test("certificate secret: objectFormat pfx of a PEM certificate is refused instead of writing PEM", async () => {
  const material = await generateMaterial();
  const v = material.certificates.get("self-ec-pem")!.versions[0];
  assert.throws(
    () => certificateSecretFiles(spec({ objectFormat: "pfx" }), v.value, "application/x-pem-file", context()),
    /objectFormat pfx needs a certificate stored as PKCS#12/,
  );
});
