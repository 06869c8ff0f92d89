/**
 * `deno task bench` works end to end: emulator, our provider with production permissions, the
 * python3-grpcio driver, every measurement, and the report files. Tiny counts and no Go side,
 * so it proves the task runs, not how fast anything is (no timed assertions).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("bench: a tiny run without the Go side writes the table, the JSON and both charts", async () => {
  const out = await Deno.makeTempDir({ prefix: "bench-smoke-" });
  try {
    const run = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "-A",
        `${ROOT}bench/bench.ts`,
        "--no-go",
        "--no-fleet",
        "--runs=2",
        "--sizes=1,3",
        "--burst-pods=4",
        "--burst-objects=2",
        "--burst-identities=2",
        "--starts=1",
        "--idle-ms=100",
        "--latency-ms=1",
        `--out=${out}`,
      ],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).output();
    const stdout = new TextDecoder().decode(run.stdout);
    const stderr = new TextDecoder().decode(run.stderr);
    assert.equal(run.code, 0, `bench failed:\n${stderr}\n${stdout}`);
    assert.match(stdout, /^Figure\s+Ours\s+Go\s+Ours\/Go\s+Target\s+Met/m);

    const result = JSON.parse(await Deno.readTextFile(`${out}/latest.json`));
    assert.equal(result.go, null);
    assert.equal(result.info.goMissing, "--no-go");
    const ours = result.ours;
    for (const size of [1, 3]) {
      for (const kind of ["cold", "warm"]) {
        assert.equal(ours[kind][size].errors, 0, `${kind} ${size}: ${ours[kind][size].firstError}`);
        assert.equal(ours[kind][size].ms.length, 2);
      }
      // A steady-state remount costs exactly one GET per object: no token, no challenge.
      assert.deepEqual(ours.warm[size].requestsPerMount, {
        keyvault: size,
        keyvaultChallenges: 0,
        entra: 0,
        entraTokens: 0,
        entraDiscovery: 0,
      });
      // A new identity: one token request and one challenge round trip, then the GETs.
      assert.deepEqual(ours.cold[size].requestsPerMount, {
        keyvault: size + 1,
        keyvaultChallenges: 1,
        entra: 1,
        entraTokens: 1,
        entraDiscovery: 0,
      });
    }
    for (const kind of ["shared", "distinct", "fresh"]) {
      const burst = ours.bursts[kind];
      assert.equal(burst.errors, 0, `${kind}: ${burst.firstError}`);
      assert.equal(burst.calls.length, 4);
      assert.ok(burst.peakRss > 0 && burst.memory.length > 0);
    }
    // Two workloads of two pods share their identity and objects: one token and one GET each.
    assert.equal(ours.bursts.shared.requests.entraTokens, 2);
    assert.equal(ours.bursts.shared.requests.keyvault, 2 * (1 + 2));
    assert.ok(ours.readyMs.n === 1 && ours.idleRss.median > 0);

    const table = await Deno.readTextFile(`${out}/latest.md`);
    assert.match(table, /^\| Figure \| Ours \| Go \| Ours \/ Go \| Target \| Met \|$/m);
    assert.match(table, /P3 requests per steady-state remount, 3 objects: Key Vault \/ Entra \| 3 \/ 0 \|/);
    for (const chart of ["latency.svg", "burst.svg"]) {
      const svg = await Deno.readTextFile(`${out}/${chart}`);
      assert.match(svg, /^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
      assert.match(svg, /<\/svg>\n$/);
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
