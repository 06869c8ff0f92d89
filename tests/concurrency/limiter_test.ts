import assert from "node:assert/strict";
import { mapLimited } from "../../src/concurrency/limiter.ts";

Deno.test("mapLimited keeps order and bounds concurrency", async () => {
  let running = 0;
  let peak = 0;
  const results = await mapLimited([5, 1, 4, 2, 3], 2, async (n) => {
    running++;
    peak = Math.max(peak, running);
    await new Promise((resolve) => setTimeout(resolve, n));
    running--;
    return n * 10;
  });
  assert.deepEqual(results, [50, 10, 40, 20, 30]);
  assert.equal(peak, 2);
  await assert.rejects(
    mapLimited([1, 2], 2, (n) => n === 2 ? Promise.reject(new Error("boom")) : Promise.resolve(n)),
    /boom/,
  );
});
