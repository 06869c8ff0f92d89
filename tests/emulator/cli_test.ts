/** The CLI (`deno task emulator`): one JSON line when ready, clean exit on SIGTERM. */
import assert from "node:assert/strict";

const EMULATOR = new URL("./emulator.ts", import.meta.url).pathname;
const SEED = new URL("./seed.yaml", import.meta.url).pathname;

Deno.test("CLI: prints its endpoints, serves, and exits 0 on SIGTERM", async () => {
  const stateDir = await Deno.makeTempDir();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      EMULATOR,
      "--seed",
      SEED,
      "--port",
      "0",
      "--latency-ms",
      "0",
      "--state-dir",
      stateDir,
    ],
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  try {
    const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
    let out = "";
    while (!out.includes("\n")) {
      const chunk = await reader.read();
      if (chunk.done) throw new Error(`emulator exited early: ${await new Response(child.stderr).text()}`);
      out += chunk.value;
    }
    const [line, tail] = out.split("\n");
    assert.equal(tail, "", "exactly one line");
    const ready = JSON.parse(line);
    assert.deepEqual(Object.keys(ready), ["proxy", "ca", "imds", "nmi", "tokenProxy", "sniName"]);
    assert.equal(ready.tokenProxy, "https://kubernetes.default.svc.cluster.local/");
    assert.match(ready.sniName, /^a[0-9a-v]{52}\.ests\.aks$/);
    assert.equal(ready.ca, `${stateDir}/ca.pem`);
    assert.match(await Deno.readTextFile(ready.ca), /^-----BEGIN CERTIFICATE-----/);
    assert.match(ready.nmi, /^127\.0\.0\.1:\d+$/);
    const health = await fetch(`${ready.proxy}/_emulator/health`);
    assert.deepEqual(await health.json(), { ok: true });
    child.kill("SIGTERM");
    const rest = await reader.read();
    assert.equal(rest.done, true, "nothing else on stdout");
    const status = await child.status;
    assert.equal(status.code, 0);
    const stderr = await new Response(child.stderr).text();
    assert.equal(stderr, "", "quiet on stderr");
  } finally {
    try {
      child.kill("SIGKILL");
    } catch {
      // already exited
    }
    await Deno.remove(stateDir, { recursive: true });
  }
});

Deno.test("CLI: a broken seed fails with a message and exit code 1", async () => {
  const seed = await Deno.makeTempFile({ suffix: ".yaml" });
  try {
    await Deno.writeTextFile(seed, "vaults:\n  - name: v\n    cloud: Mars\n");
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", EMULATOR, "--seed", seed],
      stdout: "piped",
      stderr: "piped",
    }).output();
    assert.equal(out.code, 1);
    assert.match(new TextDecoder().decode(out.stderr), /unknown cloud Mars/);
  } finally {
    await Deno.remove(seed);
  }
});
