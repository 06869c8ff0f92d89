/**
 * `deno task bench` works end to end: emulator, our provider with production permissions, the
 * python3-grpcio driver, every measurement, and the report files. Tiny counts and no Go side,
 * so it proves the task runs, not how fast anything is (no timed assertions).
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

Deno.test("bench: a tiny run without the Go side writes the tables and the JSON", async () => {
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
        "--settle-ms=100",
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
      assert.equal(burst.perMount.n, 4);
      // VmRSS is RssAnon + RssFile (+ shared memory): both parts are measured.
      for (const memory of [burst.before, burst.peak, burst.after]) {
        assert.ok(memory.anon > 0 && memory.file > 0 && memory.rss >= memory.anon, JSON.stringify(memory));
      }
    }
    // The bench runs our provider trusting the emulator's CA the way production trusts its roots.
    assert.equal(ours.trust, "DENO_CERT");
    // P5 ran under a memory cgroup, or says why it could not.
    if ("skipped" in ours.limited) assert.match(ours.limited.skipped, /cgroup/);
    else assert.ok(ours.limited.bursts.every((burst: { survived: boolean }) => burst.survived));
    // Two workloads of two pods share their identity and objects: one token and one GET each.
    assert.equal(ours.bursts.shared.requests.entraTokens, 2);
    assert.equal(ours.bursts.shared.requests.keyvault, 2 * (1 + 2));
    assert.ok(ours.readyMs.n === 1 && ours.idle.rss > 0 && ours.idle.anon > 0);

    const table = await Deno.readTextFile(`${out}/latest.md`);
    assert.match(table, /^\| Figure \| Ours \| Go \| Ours \/ Go \| Target \| Met \|$/m);
    assert.match(table, /P3 requests per steady-state remount, 3 objects: Key Vault \/ Entra \| 3 \/ 0 \|/);
    assert.match(table, /^\| Phase \| Ours VmRSS \| Ours RssAnon \| Ours RssFile \|/m);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
