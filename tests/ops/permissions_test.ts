/**
 * Least privilege: one permission list (deploy/permissions.<os>) for `deno task start`, the compile
 * tasks and the images; the provider works with exactly that list, cannot read a file outside
 * it, and each grant is needed (the provider fails without it).
 */
import assert from "node:assert/strict";
import type { ServiceError } from "@grpc/grpc-js";
import { text } from "../harness/bytes.ts";
import { providerClient } from "../harness/grpc_client.ts";
import {
  productionPermissions,
  productionV8Flags,
  startProviderProcess,
} from "../harness/provider_process.ts";
import { HUBS, MODES, request, SEED, SP, startIdentityWorld } from "../integration/identity_fixtures.ts";
import { startEmulator } from "../emulator/emulator.ts";
import { mountRequest } from "../harness/spc.ts";
import { startWorld } from "../integration/fixtures.ts";

const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, ROOT));
const TASKS: Record<string, string> = JSON.parse(read("deno.json")).tasks;
const BINARY = "secrets-store-csi-driver-provider-azure";
const COMPILE =
  /^deno compile \$\(cat deploy\/permissions\.(\w+)\)( \$\(cat deploy\/v8-flags\))? --target \S+ --output \S+ main\.ts$/;

/** A Dockerfile's instructions (comments dropped, continuation lines joined), per stage. */
function dockerStages(file: string): string[][] {
  const lines = read(file).replace(/\\\n/g, " ").split("\n").map((l) => l.trim()).filter((l) =>
    l && !l.startsWith("#")
  );
  const stages: string[][] = [];
  for (const line of lines) {
    if (line.startsWith("FROM ")) stages.push([]);
    stages.at(-1)?.push(line);
  }
  return stages;
}

Deno.test("one permission list per OS: deno task start, the compile tasks and every Dockerfile use it with main.ts", () => {
  assert.equal(TASKS.start, "deno run $(cat deploy/permissions.linux) $(cat deploy/v8-flags) main.ts");
  assert.deepEqual(productionPermissions(), read("deploy/permissions.linux").split(/\s+/).filter(Boolean));
  assert.deepEqual(productionV8Flags(), [read("deploy/v8-flags").trim()], "the harness runs with both");
  assert.match(read("deploy/v8-flags"), /^--v8-flags=\S+\n$/, "one line, memory only");

  const compileTasks = Object.entries(TASKS).filter(([name]) => name.startsWith("compile:"));
  assert.ok(compileTasks.length >= 2, "linux and linux-arm64 (and windows when it exists)");
  for (const [name, command] of compileTasks) {
    const os = name.includes("windows") ? "windows" : name.includes("tools") ? "tools" : "linux";
    const match = COMPILE.exec(command);
    assert.ok(match, `${name}: deno compile $(cat deploy/permissions.${os}) … --target … --output … main.ts`);
    assert.equal(match[1], os, `${name} bakes in the ${os} list`);
    assert.ok(match[2], `${name} bakes in deploy/v8-flags`);
  }
  assert.match(TASKS["compile:linux"], /--target x86_64-unknown-linux-gnu --output dist\/linux-amd64\//);
  assert.match(
    TASKS["compile:linux-arm64"],
    /--target aarch64-unknown-linux-gnu --output dist\/linux-arm64\//,
  );

  // Dockerfile.windows is the Windows engineer's; it is held to the same rule when present.
  const dockerfiles = ["Dockerfile.linux", "Dockerfile.windows"].filter((file) => {
    try {
      return Deno.statSync(new URL(file, ROOT)).isFile;
    } catch {
      return false;
    }
  });
  assert.ok(dockerfiles.includes("Dockerfile.linux"));
  for (const file of dockerfiles) {
    const os = file.split(".")[1];
    const [builder, final] = [dockerStages(file)[0], dockerStages(file).at(-1)!];
    assert.equal(
      builder[0],
      `FROM --platform=$BUILDPLATFORM denoland/deno:${Deno.version.deno} AS builder`,
      `${file}: the builder is the Deno the tests run on`,
    );
    const copied = builder.filter((line) => line.startsWith("COPY ")).join(" ");
    assert.ok(copied.includes(`deploy/permissions.${os}`), `${file} copies the list`);
    assert.ok(copied.includes("deploy/v8-flags"), `${file} copies the V8 flags`);
    assert.ok(builder.includes("RUN deno install --frozen --entrypoint main.ts"), `${file}: locked packages`);
    const used = [...builder.join("\n").matchAll(/deno task (compile:[\w-]+)/g)].map((m) => m[1]);
    assert.ok(used.length > 0, `${file} compiles through the tasks`);
    for (const task of used) {
      assert.ok(
        TASKS[task]?.includes(`$(cat deploy/permissions.${os})`),
        `${file}: ${task} uses permissions.${os}`,
      );
      assert.ok(TASKS[task].endsWith(" main.ts"), `${file}: ${task} compiles main.ts`);
    }
    assert.ok(!builder.some((line) => /deno (compile|run)/.test(line)), `${file}: no ad-hoc deno compile`);
    const entry = /^ENTRYPOINT \["([^"]+)"\]$/.exec(final.at(-1)!)?.[1];
    assert.ok(
      entry?.endsWith(os === "windows" ? `${BINARY}.exe` : BINARY),
      `${file}: runs the compiled binary`,
    );
    assert.ok(final.some((line) => line.startsWith("COPY --from=builder ") && line.endsWith(` ${entry}`)));
  }

  const linux = dockerStages("Dockerfile.linux");
  assert.equal(linux.at(-1)![0], "FROM gcr.io/distroless/cc-debian12");
  assert.deepEqual(
    linux.at(-1)!.filter((line) => line.startsWith("RUN")),
    [],
    "nothing runs in the final image",
  );
  const build = linux[0].find((line) => line.includes("deno task compile:linux"))!;
  assert.match(build, /amd64\) deno task compile:linux ;; +arm64\) deno task compile:linux-arm64 ;;/);
  assert.match(
    build,
    /cp "dist\/linux-\$TARGETARCH\/secrets-store-csi-driver-provider-azure" \/secrets-store-csi-driver-provider-azure/,
  );
});

Deno.test("with exactly the list: mounts work, a cloud file outside the granted folders is refused", async () => {
  const world = await startIdentityWorld();
  const client = providerClient(world.provider.socketPath);
  const outside = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "not-granted-" });
  try {
    const plain = await client.mount(
      request(MODES.servicePrincipal(), { objects: [{ objectName: "api-key", objectType: "secret" }] }),
    );
    assert.equal(text(plain.files[0].contents), "ak_live_0123456789abcdef");

    const granted = await world.cloudFile(HUBS.hub1);
    assert.ok(granted.startsWith("/tmp/"), "a granted folder");
    const stack = (file: string) =>
      request(MODES.servicePrincipal(), {
        vault: "stack-vault",
        parameters: { cloudName: "AzureStackCloud", cloudEnvFileName: file },
      });
    const hub = await client.mount(stack(granted));
    assert.equal(text(hub.files[0].contents), "hub1");

    const denied = `${outside}/cloud.json`;
    await Deno.copyFile(granted, denied);
    assert.equal(
      await Deno.readTextFile(denied),
      await Deno.readTextFile(granted),
      "readable to anyone else",
    );
    world.emulator.resetRequests();
    const error = await client.mount(stack(denied)).then(
      () => assert.fail("must be refused"),
      (e: ServiceError) => e,
    );
    assert.equal(error.code, 3, "InvalidArgument");
    assert.equal(
      error.details,
      `failed to mount objects, error: cloudName AzureStackCloud is not valid, error: cannot read ${denied}: ` +
        `the provider's permission list does not allow reading ${denied}; mount the file under /cloudEnv/ ` +
        "(or at /etc/kubernetes/azurestackcloud.json) on Linux nodes",
    );
    assert.deepEqual(world.emulator.requests(), [], "refused before any network call");
  } finally {
    client.close();
    await world.close();
    await Deno.remove(outside, { recursive: true });
  }
});

Deno.test("with exactly the list: a socket folder outside the grant is refused at start, exit 1", async () => {
  const outside = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "not-granted-" });
  try {
    const provider = await startProviderProcess({ socketDir: outside, waitReady: false });
    const status = await provider.exited;
    assert.equal(status.code, 1);
    assert.match(
      provider.output(),
      new RegExp(`ERROR cannot start the provider error=.*access to \\\\?"${outside}/azure.sock`),
    );
    assert.deepEqual([...Deno.readDirSync(outside)], [], "nothing created there");
  } finally {
    await Deno.remove(outside, { recursive: true });
  }
});

/** The production list with one grant taken out (or replaced). */
function without(flag: string, replacement?: string): string[] {
  const list = productionPermissions();
  const index = list.findIndex((line) => line === flag || line.startsWith(`${flag}=`));
  assert.ok(index >= 0, `${flag} is in the list`);
  return replacement ? list.toSpliced(index, 1, replacement) : list.toSpliced(index, 1);
}

Deno.test("each grant is needed: without it the provider cannot start or cannot mount", async (t) => {
  const objects = [{ objectName: "db-password", objectType: "secret" }];

  await t.step("--allow-sys=osRelease: the Azure SDK puts the OS release in its User-Agent", async () => {
    const world = await startWorld({ permissions: without("--allow-sys") });
    const client = providerClient(world.provider.socketPath);
    try {
      await assert.rejects(client.mount(mountRequest({ objects, secrets: SP })));
      await world.provider.exited.catch(() => {});
      assert.match(world.provider.output(), /Requires sys access to "osRelease"/);
    } finally {
      client.close();
      await world.close();
    }
  });

  await t.step("--ignore-env: the SDKs read variables (DEBUG, AZURE_*) beyond the listed ones", async () => {
    const provider = await startProviderProcess({ permissions: without("--ignore-env"), waitReady: false });
    assert.notEqual((await provider.exited).code, 0);
    assert.match(provider.output(), /Requires env access to "\w+"/);
  });

  await t.step("--allow-write of the socket folder: the socket is created there", async () => {
    const permissions = without("--allow-write", "--allow-write=/provider");
    const provider = await startProviderProcess({ permissions, waitReady: false });
    assert.equal((await provider.exited).code, 1);
    assert.match(provider.output(), /cannot start the provider error=.*write access/);
  });

  const CA_FILE = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt";
  /** An identity-binding mount (server name computed) with `permissions`, and what the emulator saw. */
  const bindingMount = async (permissions: string[], env: Record<string, string> = {}) => {
    const emulator = await startEmulator({ seed: SEED });
    const provider = await startProviderProcess({
      permissions,
      env: { ...emulator.env(), ...env },
      args: [`--token-proxy-url=${emulator.aksCluster.tokenProxyUrl}`],
    });
    const client = providerClient(provider.socketPath);
    try {
      const result = await client.mount(request(MODES.identityBinding())).then(
        (response) => ({ contents: text(response.files[0].contents), error: undefined }),
        (error: ServiceError) => ({ contents: undefined, error }),
      );
      return { ...result, tunnels: emulator.tunnels(), requests: emulator.requests() };
    } finally {
      client.close();
      await provider.stop();
      await emulator.close();
    }
  };

  await t.step(
    `--allow-read of ${CA_FILE}: identity binding trusts the cluster CA when it exists`,
    async () => {
      const read = productionPermissions().find((flag) => flag.startsWith("--allow-read="))!;
      assert.ok(
        read.endsWith(`,${CA_FILE}`),
        "the file alone, not the service-account folder with its token",
      );
      const permissions = without("--allow-read", read.replace(`,${CA_FILE}`, ""));
      const { error, requests } = await bindingMount(permissions);
      assert.equal(error?.code, 16, "Unauthenticated");
      assert.match(error!.details, new RegExp(`cannot read the cluster CA ${CA_FILE}: Requires read access`));
      assert.deepEqual(requests.filter((r) => r.service !== "keyvault"), [], "no token asked for");
    },
  );

  await t.step(
    "--allow-env=…,KUBERNETES_SERVICE_PORT: the API server's port for the computed server name",
    async () => {
      const env = { KUBERNETES_SERVICE_PORT: "8443" };
      const granted = await bindingMount(productionPermissions(), env);
      assert.match(
        granted.error?.details ?? "",
        /TLS connect to the API server https:\/\/kubernetes\.default\.svc\.cluster\.local:8443\//,
      );
      const envGrant = productionPermissions().find((flag) => flag.startsWith("--allow-env="))!;
      const withoutPort = without("--allow-env", envGrant.replace(",KUBERNETES_SERVICE_PORT", ""));
      const ungranted = await bindingMount(withoutPort, env);
      assert.equal(ungranted.contents, "public", "the variable reads as unset: port 443");
      assert.equal(ungranted.tunnels[0]?.backend, "apiserver");
    },
  );

  await t.step("--allow-read of the socket folder: a stale socket is looked at before binding", async () => {
    const permissions = without("--allow-read", "--allow-read=/provider");
    const provider = await startProviderProcess({ permissions, waitReady: false });
    assert.equal((await provider.exited).code, 1);
    assert.match(provider.output(), /cannot start the provider error=.*read access/);
  });
});
