/**
 * Response size limits, at the byte: a mount whose MountResponse is exactly the driver's
 * 4 MiB receive limit reaches a client with that limit; one byte more fails with
 * ResourceExhausted naming the limit, the flags and the largest files, instead of the driver's
 * bare "received message larger than max". Over 1 MiB (a Kubernetes Secret), a warning.
 */
import assert from "node:assert/strict";
import { status as GrpcStatus } from "@grpc/grpc-js";
import { DRIVER_MAX_RESPONSE_BYTES } from "../../src/mount/response_size.ts";
import { providerService } from "../../src/transport/proto.ts";
import { startEmulator } from "../emulator/emulator.ts";
import { derivedHex } from "../emulator/seed.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { startProviderProcess } from "../harness/provider_process.ts";
import { mountRequest } from "../harness/spc.ts";
import { sp } from "./world.ts";
import { TENANT } from "../harness/spc.ts";

/** Key Vault's largest secret is 25 KB; 170 of them plus a filler make 4 MiB. */
const BIG = 24 * 1024;
const COUNT = 170;
const names = [...Array.from({ length: COUNT }, (_, i) => `big-${String(i).padStart(3, "0")}`), "filler"];

/** The encoded MountResponse for files of these names and sizes, as the server encodes it. */
function encodedSize(fillerSize: number): number {
  return providerService.Mount.responseSerialize({
    object_version: names.map((name) => ({ id: `secret/${name}`, version: derivedHex(name) })),
    files: names.map((name) => ({
      path: name,
      mode: 0o644,
      contents: new Uint8Array(name === "filler" ? fillerSize : BIG),
    })),
  }).length;
}

/** The filler size that makes the response exactly `target` bytes. */
function fillerFor(target: number): number {
  let size = target - encodedSize(0);
  while (encodedSize(size) > target) size--;
  while (encodedSize(size) < target) size++;
  assert.equal(encodedSize(size), target);
  return size;
}

Deno.test("limits: exactly 4 MiB mounts, one byte more fails naming the limit; over 1 MiB warns", async () => {
  const fit = fillerFor(DRIVER_MAX_RESPONSE_BYTES);
  const vault = (name: string, fillerSize: number) => ({
    name,
    cloud: "AzurePublicCloud",
    tenant: TENANT,
    readers: ["sp-0"],
    secrets: names.map((secret) => ({
      name: secret,
      versions: [{ value: "s".repeat(secret === "filler" ? fillerSize : BIG) }],
    })),
  });
  const seed = {
    identities: [{ name: "sp-0", kind: "servicePrincipal", tenant: TENANT, ...secretOf(0) }],
    vaults: [vault("fit-vault", fit), vault("over-vault", fit + 1), {
      ...vault("small-vault", 0),
      secrets: [{ name: "small", versions: [{ value: "s".repeat(600 * 1024) }] }],
    }],
  };
  const emulator = await startEmulator({ seed });
  const provider = await startProviderProcess({ env: emulator.env() });
  const client = providerClient(provider.socketPath);
  const mount = (vaultName: string, objects: string[]) =>
    client.mount(
      mountRequest({
        keyvaultName: vaultName,
        secrets: sp(0),
        objects: objects.map((objectName) => ({ objectName, objectType: "secret" })),
      }),
      { deadlineMs: 60_000 },
    );
  try {
    const small = await mount("small-vault", ["small"]);
    assert.equal(small.files[0].contents.length, 600 * 1024);
    assert.ok(!provider.output().includes("Kubernetes Secret"), "no warning under 1 MiB");

    const response = await mount("fit-vault", names);
    assert.equal(response.files.length, names.length);
    const received = providerService.Mount.responseSerialize({
      object_version: response.object_version,
      files: response.files,
    }).length;
    assert.equal(received, DRIVER_MAX_RESPONSE_BYTES, "exactly 4 MiB reached a client limited to 4 MiB");
    assert.ok(response.object_version.every((v) => /^[0-9a-f]{32}$/.test(v.version)), "versions as sized");

    const over = await mount("over-vault", names).then(
      () => assert.fail("a mount over 4 MiB must fail"),
      (e) => e,
    );
    assert.equal(over.code, GrpcStatus.RESOURCE_EXHAUSTED);
    assert.match(
      over.details,
      new RegExp(
        `^failed to mount objects, error: the mount's ${names.length} files make a ${
          DRIVER_MAX_RESPONSE_BYTES + 1
        }-byte response, over the ${DRIVER_MAX_RESPONSE_BYTES}-byte limit of the driver's gRPC client \\(--max-call-recv-msg-size, 4 MiB by default\\); the largest are big-000 \\(${BIG} bytes\\), big-001 \\(${BIG} bytes\\), big-002 \\(${BIG} bytes\\): split the objects over several SecretProviderClasses, or raise --max-call-recv-msg-size on the driver and --max-response-size here together$`,
      ),
    );
    const warnings = provider.output().split("\n").filter((line) => line.includes("Kubernetes Secret"));
    assert.equal(warnings.length, 1, "the 4 MiB mount (the refused one failed before)");
    assert.match(
      warnings[0],
      /WARNING the mount's files are larger than a Kubernetes Secret can hold \(1 MiB\): .* pod=default\/nginx bytes=4194304 files=171/,
    );
  } finally {
    client.close();
    await provider.stop();
    await emulator.close();
  }
  const log = provider.output();
  assert.ok(!log.includes("s".repeat(64)), "no secret content in the log");
  assert.deepEqual(
    [sp(0).clientsecret, ...emulator.issuedTokens()].filter((secret) => log.includes(secret)),
    [],
  );
});

function secretOf(n: number) {
  return { clientId: sp(n).clientid, clientSecret: sp(n).clientsecret };
}
