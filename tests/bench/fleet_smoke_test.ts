/**
 * bench/fleet.ts end to end on a small shape without the Go side: P5's polls after the first
 * cost one Key Vault GET per object per identity and no Entra request, and in P6 nothing reaches
 * the throttled vault until its Retry-After has passed while every mount succeeds. Counts only:
 * the figures themselves come from `deno task bench`.
 */
import assert from "node:assert/strict";
import { FLEET_SHAPE, runFleet } from "../../bench/fleet.ts";

Deno.test("bench fleet: P5 and P6 on a small shape meet their request targets", async () => {
  const out = await Deno.makeTempDir({ prefix: "fleet-smoke-" });
  const shape = {
    ...FLEET_SHAPE,
    pods: 12,
    workloads: 3,
    objects: 2,
    cycles: 2,
    // Time scaled down with the provider's TTL below: polls still find the last one's entries expired.
    gapMs: 3_000,
    burstPods: 6,
  };
  try {
    const { ours, go } = await runFleet({
      latencyMs: 1,
      providerArgs: ["--object-cache-ttl=2s"],
      out,
      updateDocs: false,
      log: () => {},
      shape,
    });
    assert.equal(go, undefined);
    assert.equal(ours.first.errors, 0);
    for (const cycle of ours.cycles) {
      assert.equal(cycle.errors, 0);
      assert.equal(cycle.requests.keyvault, shape.workloads * shape.objects, JSON.stringify(cycle.requests));
      assert.equal(cycle.requests.entraTokens, 0);
    }
    assert.equal(ours.burst.throttled, 1);
    assert.equal(ours.burst.duringThrottle, 0);
    assert.equal(ours.burst.ok, shape.burstPods, ours.burst.firstError ?? "");
    const saved = JSON.parse(await Deno.readTextFile(`${out}/fleet.json`));
    assert.equal(saved.model.length, 8);
    assert.match(await Deno.readTextFile(`${out}/fleet.md`), /\|\s+1,000\s+\|\s+10\s+\|\s+10\s+\|/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
