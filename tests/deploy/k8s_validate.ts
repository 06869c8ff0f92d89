/**
 * Runs tests/k8s-validate (Go: k8s.io/api and the driver's SecretProviderClass types, decoded
 * strictly; Helm's own lint and template): built once per test process into a temporary folder.
 * The first build downloads the Go modules named in go.sum from the Go module proxy.
 */
import { fileURLToPath } from "node:url";

const SOURCE = fileURLToPath(new URL("../k8s-validate/", import.meta.url));

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
