import assert from "node:assert/strict";
import { ROOT, runCli, taskPermissions } from "./run_cli.ts";

const TASKS = JSON.parse(Deno.readTextFileSync(`${ROOT}deno.json`)).tasks as Record<string, string>;

Deno.test("compile:tools bakes in the permission file of deno task mount, and builds main.ts", () => {
  assert.equal(
    TASKS["compile:tools"],
    "deno compile $(cat deploy/permissions.tools) $(cat deploy/v8-flags) --target x86_64-unknown-linux-gnu " +
      "--output dist/tools-linux-amd64/secrets-store-csi-driver-provider-azure main.ts",
  );
  assert.equal(TASKS.mount, "deno run $(cat deploy/permissions.tools) main.ts mount");
  assert.ok(taskPermissions("mount").includes("--allow-write"), "--out needs unscoped write (symlinks)");
});

Deno.test("the workstation build's permissions run both commands (validate reads any file)", async () => {
  const permissions = taskPermissions("mount");
  const dir = await Deno.makeTempDir({ dir: "/var/tmp", prefix: "spc-" });
  try {
    await Deno.writeTextFile(
      `${dir}/spc.yaml`,
      [
        "apiVersion: secrets-store.csi.x-k8s.io/v1",
        "kind: SecretProviderClass",
        "metadata: { name: demo }",
        "spec:",
        "  provider: azure",
        "  parameters:",
        "    keyvaultName: demo-vault",
        "    tenantID: 72f988bf-86f1-41af-91ab-2d7cd011db47",
        "    clientId: 11111111-1111-1111-1111-111111111111",
        "    objects: |",
        "      array:",
        "        - |",
        "          objectName: db-password",
        "          objectType: secret",
        "",
      ].join("\n"),
    );
    const result = await runCli(["validate", `${dir}/spc.yaml`], { permissions });
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /did you mean "clientID"\?/);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
