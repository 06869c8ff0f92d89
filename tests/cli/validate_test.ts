import assert from "node:assert/strict";
import { CORPUS, corpusFiles, runCli, runTask, validateCorpus } from "./run_cli.ts";

const READ_ONLY_TASK = ["--allow-read", "--ignore-env", "--no-prompt"];

Deno.test("validate: every corpus manifest gives its expected diagnostics (binary's permissions)", async () => {
  const files = corpusFiles();
  assert.ok(files.length >= 30, `the corpus has ${files.length} manifests`);
  const { code, byFile } = await validateCorpus();
  assert.equal(code, 1, "the corpus has errors");
  for (const file of files) {
    const expected = JSON.parse(
      await Deno.readTextFile(`${CORPUS}${file.replace(/\.yaml$/, ".expected.json")}`),
    );
    assert.deepEqual(byFile.get(file), expected, file);
  }
});

Deno.test("validate: each problem's line holds the key it is about, or the nearest key above it", async () => {
  const { byFile } = await validateCorpus();
  let checked = 0;
  for (const [file, report] of byFile) {
    const lines = (await Deno.readTextFile(`${CORPUS}${file}`)).split("\n");
    for (const problem of (report as { problems: { where: string; line?: number }[] }).problems) {
      if (problem.line === undefined) continue;
      // Identity problems are about the parameters as a whole.
      const where = problem.where === "identity" ? "spec.parameters" : problem.where;
      const keys = where.split(/[.[\]]+/).filter((key) => key !== "" && !/^\d+$/.test(key));
      const text = lines[problem.line - 1];
      const named = keys.some((key) => text.includes(key)) || /^\s*- /.test(text) ||
        problem.where === "yaml";
      assert.ok(named, `${file}:${problem.line} (${problem.where}) is "${text}"`);
      checked++;
    }
  }
  assert.ok(checked > 60, `${checked} lines checked`);
});

Deno.test("validate: a clean manifest exits 0 and says ok, with the identity and files", async () => {
  const result = await runCli(["validate", `${CORPUS}docs-basic-secret.yaml`], {
    permissions: READ_ONLY_TASK,
  });
  assert.equal(result.code, 0);
  assert.equal(result.stderr, "");
  assert.equal(
    result.stdout,
    [
      `${CORPUS}docs-basic-secret.yaml (document 0): SecretProviderClass default/azure-kvname: ok`,
      "  identity: service principal <clientid of the nodePublishSecretRef> in tenant 72f988bf-86f1-41af-91ab-2d7cd011db47",
      "  files: secretalias, key1",
      "1 SecretProviderClass in 1 file: 0 errors, 0 warnings",
      "",
    ].join("\n"),
  );
});

Deno.test("validate: warnings alone exit 0, or 1 with --strict; errors exit 1", async () => {
  const warned = `${CORPUS}issue-1157-clientId-casing.yaml`;
  const plain = await runCli(["validate", warned], { permissions: READ_ONLY_TASK });
  assert.equal(plain.code, 0);
  assert.match(
    plain.stdout,
    /issue-1157-clientId-casing\.yaml:10: warning: spec\.parameters\.clientId: unknown parameter "clientId" is ignored; did you mean "clientID"\?\n/,
  );
  assert.equal((await runCli(["validate", "--strict", warned], { permissions: READ_ONLY_TASK })).code, 1);
  const failed = await runCli(["validate", `${CORPUS}objectType-case.yaml`], { permissions: READ_ONLY_TASK });
  assert.equal(failed.code, 1);
  assert.match(failed.stdout, /objectType-case\.yaml:15: error: .*did you mean "secret"\?/);
  assert.match(failed.stdout, /1 SecretProviderClass in 1 file: 3 errors, 0 warnings\n$/);
});

Deno.test("validate: usage errors exit 2 with a message on stderr", async () => {
  const none = await runCli(["validate"], { permissions: READ_ONLY_TASK });
  assert.deepEqual([none.code, none.stdout], [2, ""]);
  assert.equal(none.stderr, "error: name at least one manifest file (or - for stdin) (see --help)\n");
  const unknown = await runCli(["validate", "--jsn", "x.yaml"], { permissions: READ_ONLY_TASK });
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^error: Unknown option '--jsn'/);
  const badFlag = await runCli(["validate", "--cloud-name", "Mars", "x.yaml"], {
    permissions: READ_ONLY_TASK,
  });
  assert.equal(badFlag.code, 2);
  assert.match(badFlag.stderr, /--cloud-name: unknown cloud/);
  const help = await runCli(["validate", "--help"], { permissions: READ_ONLY_TASK });
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage: validate/);
});

Deno.test("validate: reads stdin with -, without any read permission", async () => {
  const text = await Deno.readTextFile(`${CORPUS}issue-857-tenantid-lowercase.yaml`);
  const result = await runCli(["validate", "--json", "-"], {
    stdin: text,
    permissions: ["--ignore-env", "--no-prompt"],
  });
  assert.equal(result.code, 1);
  const report = JSON.parse(result.stdout);
  assert.deepEqual(
    report.problems.map((p: { file: string; line: number; where: string }) => [p.file, p.line, p.where]),
    [["-", 8, "spec.parameters.tenantID"], ["-", 10, "spec.parameters.tenantid"]],
  );
});

Deno.test("validate: with the binary's permissions, a file outside /tmp and /provider points at stdin", async () => {
  // Permission is checked before existence: the file need not exist.
  const result = await runCli(["validate", "/var/lib/manifests/spc.yaml"]);
  assert.equal(result.code, 1);
  assert.match(
    result.stdout,
    /spc\.yaml: error: file: cannot read .*: not allowed to read it \(this binary may read only some folders; pipe the file instead: validate - < file\)/,
  );
});

Deno.test("validate: --write-cert-and-key-in-separate-files lets secretObjects name <alias>.crt and .key", async () => {
  const file = `${CORPUS}separate-cert-and-key-files.yaml`;
  assert.equal((await runCli(["validate", file], { permissions: READ_ONLY_TASK })).code, 1);
  const result = await runCli(["validate", "--write-cert-and-key-in-separate-files", file], {
    permissions: READ_ONLY_TASK,
  });
  assert.equal(result.code, 0, result.stdout);
  assert.match(result.stdout, /SecretProviderClass split-files: ok/);
});

Deno.test("validate: deno task validate reads paths relative to the folder it is run from", async () => {
  const result = await runTask("validate", ["docs-workload-identity.yaml", "--json"], { cwd: CORPUS });
  assert.equal(result.code, 0, result.stderr);
  const report = JSON.parse(result.stdout);
  assert.deepEqual([report.errors, report.warnings], [0, 0]);
  assert.match(report.secretProviderClasses[0].identity, /^workload identity 5b2a7f36-/);
  assert.equal(report.secretProviderClasses[0].file, "docs-workload-identity.yaml");
});
