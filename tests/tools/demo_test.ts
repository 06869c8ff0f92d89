import assert from "node:assert/strict";

Deno.test("deno task demo mounts, prints no value, and leaves no process behind", async () => {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["task", "demo"],
    cwd: new URL("../../", import.meta.url).pathname,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stdout = new TextDecoder().decode(output.stdout);
  assert.equal(output.code, 0, new TextDecoder().decode(output.stderr));
  assert.match(stdout, /wrote 5 files to (\S+):/);
  assert.match(stdout, /"config\/api-key"\s+│ "0600"\s+│\s+24 │/);
  assert.match(stdout, /"secret\/db-password\/1" │ "0b1c8a7e2f9d4c6b8e1a3d5f7c9b2e40"/);
  for (const value of ["current-Passw0rd", "ak_live_0123456789abcdef", "s3cr3t-value~for.demo_only"]) {
    assert.ok(!stdout.includes(value), "the demo never prints a value");
  }
  const folder = /wrote 5 files to (\S+):/.exec(stdout)![1];
  assert.equal(await Deno.readTextFile(`${folder}/config/api-key`), "ak_live_0123456789abcdef");
  assert.equal((await Deno.stat(`${folder}/config/api-key`)).mode! & 0o777, 0o600);
  await Deno.remove(folder, { recursive: true });
  const pid = /pid (\d+),/.exec(stdout)![1];
  assert.equal(
    await Deno.stat(`/proc/${pid}`).then(() => true, () => false),
    false,
    "the provider has exited",
  );
});
