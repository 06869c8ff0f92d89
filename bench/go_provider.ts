/**
 * Builds the Go provider (Azure/secrets-store-csi-driver-provider-azure, package ./cmd) from
 * the Go module proxy at bench time and caches the binary outside the repository. Nothing of
 * it is committed.
 *
 * `go install <module>/cmd@v1.8.2` would be the one-liner, but it first asks the proxy for
 * the module's version list to look for a deprecation notice, and the proxy answers that
 * list with 403 here. So the module is downloaded at its exact version (`go mod download`,
 * checked against the checksum database) and built in its own module folder with its own
 * go.sum, which pins every dependency as upstream released it.
 */

export const GO_MODULE = "github.com/Azure/secrets-store-csi-driver-provider-azure";
/** Versions tried in order when the wanted one does not build: the nearest first. */
const FALLBACKS = ["v1.8.2", "v1.8.1", "v1.8.0", "v1.7.2", "v1.7.1", "v1.7.0"];

/** A usable Go provider binary. */
export interface GoBuild {
  readonly binary: string;
  readonly version: string;
  readonly goVersion: string;
  /** True when taken from the cache. */
  readonly cached: boolean;
  /** Why versions before this one were skipped, if any. */
  readonly skipped: readonly string[];
}

/** Thrown when no Go provider could be built; the message says why. */
export class GoBuildError extends Error {}

/** Builds (or finds in the cache) the Go provider at `wanted`, or the nearest version that builds. */
export async function goProviderBinary(
  wanted: string,
  log: (line: string) => void,
): Promise<GoBuild> {
  const go = await findGo(log);
  const goVersion = (await run(go, ["env", "GOVERSION"])).stdout.trim();
  const candidates = [wanted, ...FALLBACKS.filter((version) => version !== wanted && older(version, wanted))];
  const skipped: string[] = [];
  for (const version of candidates) {
    const binary = `${cacheDir()}/${version}/secrets-store-csi-driver-provider-azure`;
    if (await isFile(binary)) return { binary, version, goVersion, cached: true, skipped };
    try {
      log(`building the Go provider ${version} with ${goVersion} (cached in ${cacheDir()}) …`);
      await build(go, version, binary);
      return { binary, version, goVersion, cached: false, skipped };
    } catch (error) {
      const reason = `${version}: ${(error as Error).message.split("\n").slice(-3).join(" ").slice(0, 300)}`;
      log(`  could not build ${reason}`);
      skipped.push(reason);
    }
  }
  throw new GoBuildError(`no Go provider version built: ${skipped.join("; ")}`);
}

async function build(go: string, version: string, binary: string): Promise<void> {
  const downloaded = await run(go, ["mod", "download", "-json", `${GO_MODULE}@${version}`], {
    GOFLAGS: "-mod=mod",
  });
  const dir = JSON.parse(downloaded.stdout) as { Dir?: string; Error?: string };
  if (!dir.Dir) throw new Error(dir.Error ?? "go mod download gave no folder");
  const staging = await Deno.makeTempDir({ prefix: "go-provider-build-" });
  try {
    await run(
      go,
      [
        "build",
        "-trimpath",
        "-ldflags",
        `-s -w -X ${GO_MODULE}/pkg/version.BuildVersion=${version}`,
        "-o",
        `${staging}/provider`,
        "./cmd",
      ],
      { CGO_ENABLED: "0" },
      dir.Dir,
    );
    await Deno.mkdir(binary.slice(0, binary.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(`${staging}/provider`, binary);
    await Deno.chmod(binary, 0o755);
  } finally {
    await Deno.remove(staging, { recursive: true }).catch(() => {});
  }
}

/** Where built binaries are kept between runs. */
export function cacheDir(): string {
  const base = Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  return `${base}/akv-provider-bench/go-provider`;
}

/** `go` from PATH or /usr/local/go; installs Debian's golang-go when there is none. */
async function findGo(log: (line: string) => void): Promise<string> {
  for (const candidate of ["go", "/usr/local/go/bin/go", "/usr/lib/go/bin/go"]) {
    try {
      await run(candidate, ["version"]);
      return candidate;
    } catch {
      // try the next
    }
  }
  log("no Go toolchain found: installing Debian's golang-go …");
  try {
    await run("apt-get", ["update", "-qq"]);
    await run("apt-get", ["install", "-y", "-qq", "golang-go"], { DEBIAN_FRONTEND: "noninteractive" });
    await run("go", ["version"]);
    return "go";
  } catch (error) {
    throw new GoBuildError(`no Go toolchain and apt-get could not install one: ${(error as Error).message}`);
  }
}

async function run(
  command: string,
  args: string[],
  env: Record<string, string> = {},
  cwd?: string,
): Promise<{ stdout: string }> {
  // GOTOOLCHAIN=auto lets an older Go fetch the toolchain the module asks for (itself a Go module).
  const output = await new Deno.Command(command, {
    args,
    cwd,
    env: { GOTOOLCHAIN: "auto", ...env },
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  if (!output.success) {
    throw new Error(`${command} ${args.join(" ")} failed: ${new TextDecoder().decode(output.stderr).trim()}`);
  }
  return { stdout };
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await Deno.stat(path)).isFile;
  } catch {
    return false;
  }
}

function older(version: string, than: string): boolean {
  const parts = (v: string) => v.replace(/^v/, "").split(".").map(Number);
  const [a, b] = [parts(version), parts(than)];
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i];
  return false;
}
