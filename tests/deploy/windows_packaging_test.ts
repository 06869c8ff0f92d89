/**
 * The Windows build task, image and manifest agree with each other and with the provider: the
 * flags the DaemonSet passes are real flags, the socket folder is the mounted and granted one,
 * and the image runs the file the task writes. Windows itself cannot run here.
 */
import assert from "node:assert/strict";
import { parseAllDocuments } from "yaml";
import { parseFlags } from "../../src/ops/flags.ts";
import { OS_CONVENTIONS } from "../../src/transport/os_conventions.ts";

const ROOT = new URL("../../", import.meta.url);
const read = (path: string) => Deno.readTextFileSync(new URL(path, ROOT));
const WINDOWS_PERMISSIONS = read("deploy/permissions.windows").split(/\s+/).filter(Boolean);
const COMPILE = JSON.parse(read("deno.json")).tasks["compile:windows"] as string;
const EXE = /--output (\S+\.exe) /.exec(COMPILE)?.[1];

// deno-lint-ignore no-explicit-any
type Manifest = any;

function daemonSet(): Manifest {
  const documents = parseAllDocuments(read("deploy/windows/daemonset.yaml")).map((doc) => doc.toJS());
  assert.deepEqual(documents.map((doc) => doc.kind), ["ServiceAccount", "DaemonSet"]);
  return documents[1];
}

Deno.test("compile:windows: the Windows permission list, the V8 memory flags, the MSVC target, main.ts", () => {
  assert.equal(
    COMPILE,
    "deno compile $(cat deploy/permissions.windows) $(cat deploy/v8-flags) --target x86_64-pc-windows-msvc " +
      "--output dist/windows-amd64/secrets-store-csi-driver-provider-azure.exe main.ts",
  );
});

Deno.test("the Windows DaemonSet: its args are the provider's flags, the socket is in the mounted folder", () => {
  const spec = daemonSet().spec.template.spec;
  const [container] = spec.containers;
  const flags = parseFlags(container.args);
  assert.equal(flags.endpoint, "unix://C:\\provider\\azure.sock");
  assert.equal(flags.unixListener, "ffi");
  // The path as the provider on Windows reads it (its row of the per-OS conventions).
  const path = OS_CONVENTIONS.windows.socketPath(flags.endpoint.slice("unix://".length));
  assert.equal(path, "C:\\provider\\azure.sock");
  const folder = path.slice(0, path.lastIndexOf("\\"));
  assert.deepEqual(container.volumeMounts, [{ name: "providervol", mountPath: folder }]);
  assert.deepEqual(spec.volumes, [{
    name: "providervol",
    hostPath: { path: "C:\\k\\secrets-store-csi-providers", type: "DirectoryOrCreate" },
  }]);
  const readable = WINDOWS_PERMISSIONS.find((flag) => flag.startsWith("--allow-read="))?.slice(13).split(",");
  assert.ok(readable?.includes(folder), "the socket folder is readable");
  assert.ok(WINDOWS_PERMISSIONS.includes(`--allow-write=${folder}`), "and writable");
  assert.deepEqual(spec.nodeSelector, { "kubernetes.io/os": "windows" });
  assert.deepEqual(container.resources, {
    requests: { cpu: "100m", memory: "200Mi" },
    limits: { cpu: "100m", memory: "200Mi" },
  });
  assert.deepEqual(container.livenessProbe.httpGet, { path: flags.healthzPath, port: flags.healthzPort });
  assert.equal(flags.healthzPort, 8989);
  assert.equal(flags.healthzPath, "/healthz");
});

Deno.test("Dockerfile.windows: Nano Server, no RUN in the Windows stage, runs the .exe compile:windows writes", () => {
  const lines = read("Dockerfile.windows").split("\n").filter((line) => line !== "" && !line.startsWith("#"));
  const stages = lines.map((line, index) => line.startsWith("FROM ") ? index : -1).filter((i) => i >= 0);
  assert.equal(stages.length, 2, "a builder and the Windows image");
  const builder = lines.slice(stages[0], stages[1]);
  const windows = lines.slice(stages[1]);
  assert.ok(builder.includes("RUN deno task compile:windows"));
  assert.ok(builder.includes("COPY deploy/permissions.windows deploy/v8-flags deploy/"));
  assert.ok(lines.includes("ARG OSVERSION=ltsc2022"));
  assert.equal(windows[0], "FROM mcr.microsoft.com/windows/nanoserver:${OSVERSION}");
  assert.deepEqual(windows.filter((line) => line.startsWith("RUN")), [], "buildable from a Linux builder");
  assert.ok(EXE);
  assert.ok(windows.includes(`COPY --from=builder /src/${EXE} /secrets-store-csi-driver-provider-azure.exe`));
  assert.ok(windows.includes("USER ContainerAdministrator"));
  assert.equal(windows.at(-1), 'ENTRYPOINT ["/secrets-store-csi-driver-provider-azure.exe"]');
});

Deno.test("the entry point runs under deno run with exactly the Windows permission list", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...WINDOWS_PERMISSIONS, new URL("main.ts", ROOT).pathname, "--version"],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  const version = JSON.parse(new TextDecoder().decode(output.stdout));
  assert.equal(version.name, "secrets-store-csi-driver-provider-azure");
});
