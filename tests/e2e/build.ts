/**
 * Builds the end-to-end suite's binaries from the Go module proxy, once, into a cache outside the
 * repository: etcd, kube-apiserver, the Secrets Store CSI Driver and a small CSI client. A second
 * run finds them and builds nothing; Go's own build cache makes a rebuild after a version change
 * a relink for whatever did not change.
 *
 * Standalone: `deno run -A tests/e2e/build.ts` prints the binaries' paths.
 */
import { createHash } from "node:crypto";
import { fileURLToPath } from "node:url";

/** The pinned versions; the proxy serves exact versions only. */
export const VERSIONS = {
  driver: "v1.6.1",
  kubernetes: "v1.36.1",
  /** The published k8s.io/* staging modules of that Kubernetes release. */
  staging: "v0.36.1",
  etcd: "v3.6.8",
  csiSpec: "v1.12.0",
} as const;

// Bump when the recipe below changes in a way that must not reuse older binaries.
const RECIPE = 1;

const GO_SOURCES = fileURLToPath(new URL("./go/", import.meta.url));

/** Paths of the built binaries, and of the driver's module (its CRDs and CSIDriver manifest). */
export interface Binaries {
  readonly cacheDir: string;
  readonly etcd: string;
  readonly kubeApiserver: string;
  readonly driver: string;
  readonly csiClient: string;
  readonly driverModule: string;
}

/** Why the suite cannot run here, or undefined when Go is available. */
export async function missingTools(): Promise<string | undefined> {
  try {
    const out = await new Deno.Command("go", { args: ["version"], stdout: "piped", stderr: "null" }).output();
    const version = new TextDecoder().decode(out.stdout).match(/go(\d+)\.(\d+)/);
    if (out.code !== 0 || !version) return "a working Go toolchain (`go version` failed)";
    // The driver's and Kubernetes's go.mod say `go 1.26.0`; GOTOOLCHAIN=local forbids a download.
    const [major, minor] = [Number(version[1]), Number(version[2])];
    if (major > 1 || minor >= 26) return undefined;
    return `Go 1.26 or newer (found go${major}.${minor})`;
  } catch {
    return "the Go toolchain (`go` on PATH, Go 1.26 or newer)";
  }
}

/** The cache folder for these versions and helper sources. */
export function cacheDir(): string {
  const base = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  return `${base}/akv-provider-e2e/${versionsHash()}`;
}

function versionsHash(): string {
  const hash = createHash("sha256").update(JSON.stringify({ VERSIONS, RECIPE }));
  for (const file of walk(GO_SOURCES)) {
    hash.update(file.slice(GO_SOURCES.length)).update(Deno.readFileSync(file));
  }
  return hash.digest("hex").slice(0, 16);
}

function walk(dir: string): string[] {
  const files: string[] = [];
  for (const entry of [...Deno.readDirSync(dir)].sort((a, b) => a.name.localeCompare(b.name))) {
    const full = `${dir}${entry.name}`;
    if (entry.isDirectory) files.push(...walk(`${full}/`));
    else if (entry.isFile) files.push(full);
  }
  return files;
}

/** Builds whatever is missing and returns every path. `log` receives progress lines. */
export async function buildBinaries(log: (line: string) => void = () => {}): Promise<Binaries> {
  const dir = cacheDir();
  await Deno.mkdir(`${dir}/bin`, { recursive: true });
  const bin = (name: string) => `${dir}/bin/${name}`;
  // Module copies are per process (two test runs may build at once) and removed afterwards:
  // Go's build cache, not the copies, is what makes a rebuild fast.
  const work = `${dir}/work-${Deno.pid}`;
  const steps: [string, () => Promise<void>][] = [
    ["csi-client", () => goBuild(`${GO_SOURCES}csiclient`, bin("csi-client"), ".", "-mod=readonly")],
    ["etcd", () => goBuild(`${GO_SOURCES}etcd`, bin("etcd"), ".", "-mod=readonly")],
    ["secrets-store-csi-driver", () => buildDriver(dir, work, bin("secrets-store-csi-driver"))],
    ["kube-apiserver", () => buildApiserver(dir, work, bin("kube-apiserver"))],
  ];
  try {
    for (const [name, build] of steps) {
      if (await exists(bin(name))) continue;
      const started = performance.now();
      log(`building ${name} into ${dir}/bin`);
      await build();
      log(`built ${name} in ${((performance.now() - started) / 1000).toFixed(0)} s`);
    }
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  return {
    cacheDir: dir,
    etcd: bin("etcd"),
    kubeApiserver: bin("kube-apiserver"),
    driver: bin("secrets-store-csi-driver"),
    csiClient: bin("csi-client"),
    driverModule: await moduleDir(dir, "sigs.k8s.io/secrets-store-csi-driver", VERSIONS.driver),
  };
}

/**
 * The driver imports monis.app/mlog, which the proxy refuses: a copy of the driver's module
 * replaces it with the stand-in in go/mlog.
 */
async function buildDriver(dir: string, workDir: string, output: string): Promise<void> {
  const source = await moduleDir(dir, "sigs.k8s.io/secrets-store-csi-driver", VERSIONS.driver);
  const work = await freshCopy(source, `${workDir}/secrets-store-csi-driver`);
  const mlog = await freshCopy(`${GO_SOURCES}mlog`, `${workDir}/mlog`);
  const goMod = await Deno.readTextFile(`${work}/go.mod`);
  await Deno.writeTextFile(`${work}/go.mod`, `${goMod}\nreplace monis.app/mlog => ${mlog}\n`);
  const ldflags = `-X sigs.k8s.io/secrets-store-csi-driver/pkg/version.BuildVersion=${VERSIONS.driver}`;
  await goBuild(work, output, "./cmd/secrets-store-csi-driver", "-mod=mod", ["-ldflags", ldflags]);
}

/**
 * k8s.io/kubernetes's module zip has no staging/ folder, so its `k8s.io/* v0.0.0` requirements
 * and their `replace` block cannot work: a copy requires the published staging modules instead,
 * without go.work. The version ldflags make the server report v1.36.1 (clients parse it).
 */
async function buildApiserver(dir: string, workDir: string, output: string): Promise<void> {
  const source = await moduleDir(dir, "k8s.io/kubernetes", VERSIONS.kubernetes);
  const work = await freshCopy(source, `${workDir}/kubernetes`);
  for (const name of ["go.work", "go.work.sum", "vendor"]) {
    await Deno.remove(`${work}/${name}`, { recursive: true }).catch(() => {});
  }
  await Deno.writeTextFile(
    `${work}/go.mod`,
    rewriteKubernetesGoMod(await Deno.readTextFile(`${work}/go.mod`)),
  );
  const [major, minor] = VERSIONS.kubernetes.slice(1).split(".");
  const set = (key: string, value: string) =>
    [`k8s.io/client-go/pkg/version`, `k8s.io/component-base/version`].map((pkg) =>
      `-X '${pkg}.${key}=${value}'`
    );
  const ldflags = [
    ...set("gitVersion", VERSIONS.kubernetes),
    ...set("gitMajor", major),
    ...set("gitMinor", minor),
    ...set("gitTreeState", "clean"),
    ...set("buildDate", "1970-01-01T00:00:00Z"),
  ].join(" ");
  await goBuild(work, output, "./cmd/kube-apiserver", "-mod=mod", ["-ldflags", ldflags]);
}

/** `k8s.io/x v0.0.0` → the published staging version; the `replace` block is dropped. */
export function rewriteKubernetesGoMod(goMod: string): string {
  const withoutReplace = goMod.replace(/^replace \($[\s\S]*?^\)$/gm, "").replace(/^replace .*$/gm, "");
  return withoutReplace.replace(
    /^(\s*(?:require\s+)?k8s\.io\/[\w.\-/]+) v0\.0\.0(\s|$)/gm,
    `$1 ${VERSIONS.staging}$2`,
  );
}

/** Downloads a module (once) with the cache's go.mod and returns its read-only folder. */
async function moduleDir(dir: string, path: string, version: string): Promise<string> {
  await Deno.mkdir(`${dir}/download`, { recursive: true });
  await Deno.writeTextFile(`${dir}/download/go.mod`, "module download\n\ngo 1.26\n");
  const out = await run("go", ["mod", "download", "-json", `${path}@${version}`], `${dir}/download`);
  return JSON.parse(out).Dir;
}

/** Copies a folder (module cache files are read-only) into a writable fresh folder. */
async function freshCopy(from: string, to: string): Promise<string> {
  await Deno.remove(to, { recursive: true }).catch(() => {});
  await Deno.mkdir(to, { recursive: true });
  await run("cp", ["-R", `${from}/.`, to], "/");
  await run("chmod", ["-R", "u+w", to], "/");
  return to;
}

async function goBuild(
  cwd: string,
  output: string,
  pkg: string,
  modFlag: string,
  extra: string[] = [],
): Promise<void> {
  // Built beside the final name, then renamed: an interrupted build never looks finished.
  const partial = `${output}.${Deno.pid}.partial`;
  await run("go", ["build", modFlag, "-trimpath", ...extra, "-o", partial, pkg], cwd);
  await Deno.rename(partial, output);
}

async function run(command: string, args: string[], cwd: string): Promise<string> {
  const out = await new Deno.Command(command, {
    args,
    cwd,
    env: { GOTOOLCHAIN: "local", GOFLAGS: "-buildvcs=false", CGO_ENABLED: "0" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stdout);
  if (out.code !== 0) {
    throw new Error(
      `${command} ${args.join(" ")} (in ${cwd}) failed:\n${new TextDecoder().decode(out.stderr)}`,
    );
  }
  return text;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}

if (import.meta.main) {
  const missing = await missingTools();
  if (missing) {
    console.error(`cannot build: needs ${missing}`);
    Deno.exit(1);
  }
  console.log(JSON.stringify(await buildBinaries((line) => console.error(line)), null, 2));
}
