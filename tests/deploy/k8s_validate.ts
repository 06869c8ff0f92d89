/**
 * Runs tests/deploy/k8s-validate (Go: k8s.io/api and the driver's SecretProviderClass types, decoded
 * strictly; Helm's own lint and template): built once per test process into a temporary folder.
 * Needs Go 1.26 or newer on PATH; the first build downloads the Go modules named in go.sum from
 * the Go module proxy (several minutes from a cold module cache).
 *
 * A workstation without Go skips these tests with a warning saying so; under CI (`CI` set, as
 * `.ci/run` sets it) they always run, so a CI machine without Go fails instead of skipping.
 */
import { fileURLToPath } from "node:url";

const SOURCE = fileURLToPath(new URL("./k8s-validate/", import.meta.url));
/** The Go release k8s-validate/go.mod asks for (built with GOTOOLCHAIN=local). */
const GO_NEEDED = [1, 26];

/** Why this machine cannot build the validator, or undefined when it can. */
function missingGo(): string | undefined {
  let version: string;
  try {
    const output = new Deno.Command("go", { args: ["env", "GOVERSION"], stdout: "piped", stderr: "null" })
      .outputSync();
    version = new TextDecoder().decode(output.stdout).trim();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return "the `go` command is not on PATH (Go 1.26 or newer)";
    throw error;
  }
  const [major, minor] = (/^go(\d+)\.(\d+)/.exec(version) ?? []).slice(1).map(Number);
  const tooOld = !(major > GO_NEEDED[0] || (major === GO_NEEDED[0] && minor >= GO_NEEDED[1]));
  return tooOld ? `Go 1.26 or newer is needed, found ${JSON.stringify(version)}` : undefined;
}

const CI = !["", "false", "0"].includes(Deno.env.get("CI") ?? "");
const MISSING = missingGo();

/**
 * Why the Kubernetes validation is skipped on this machine (Go is missing and this is not CI),
 * or undefined when it runs.
 */
export const K8S_VALIDATION_SKIPPED: string | undefined = MISSING !== undefined && !CI
  ? `Kubernetes manifest validation skipped: ${MISSING}; it builds tests/deploy/k8s-validate with Go ` +
    "and the Go module proxy, and CI (CI=true) runs it and fails without Go"
  : undefined;

/** One validated document: where it came from and the object as the Go types decoded it. */
export interface ValidatedDocument {
  source: string;
  index: number;
  apiVersion: string;
  kind: string;
  name: string;
  namespace?: string;
  // deno-lint-ignore no-explicit-any
  object: any;
}

/** What the validator reports. */
export interface ValidationReport {
  documents: ValidatedDocument[];
  lint: { severity: string; path: string; message: string }[];
  errors: string[];
}

let built: Promise<string> | undefined;

/** Builds the validator (once) and returns the binary's path. */
export function validatorBinary(): Promise<string> {
  return built ??= (async () => {
    if (MISSING) throw new Error(`cannot build tests/deploy/k8s-validate: ${MISSING}`);
    const dir = await Deno.makeTempDir({ prefix: "k8s-validate-" });
    const binary = `${dir}/k8s-validate`;
    // About 100 MB: removed when this test module ends.
    globalThis.addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));
    const output = await new Deno.Command("go", {
      args: ["build", "-mod=readonly", "-o", binary, "."],
      cwd: SOURCE,
      env: { GOTOOLCHAIN: "local", GOFLAGS: "-buildvcs=false" },
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (output.code !== 0) throw new Error(`go build failed:\n${new TextDecoder().decode(output.stderr)}`);
    return binary;
  })();
}

/** Runs the validator; `manifest FILE...` or `chart DIR [--set k=v]...`. */
export async function validate(args: string[]): Promise<ValidationReport> {
  const output = await new Deno.Command(await validatorBinary(), {
    args,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout);
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(
      `k8s-validate printed no report (exit ${output.code}): ${new TextDecoder().decode(output.stderr)}`,
    );
  }
}
