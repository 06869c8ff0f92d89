import assert from "node:assert/strict";
import { BoundedMap } from "../../src/cache/bounded_map.ts";
import { InFlight } from "../../src/concurrency/in_flight.ts";
import { mapLimited } from "../../src/concurrency/limiter.ts";
import { pickVersions } from "../../src/mount/mount.ts";

Deno.test("BoundedMap forgets the least recently used entry", () => {
  const map = new BoundedMap<string, number>(2);
  map.getOrCreate("a", () => 1);
  map.getOrCreate("b", () => 2);
  map.get("a");
  map.getOrCreate("c", () => 3);
  assert.equal(map.get("b"), undefined);
  assert.equal(map.get("a"), 1);
  assert.equal(map.size, 2);
});

Deno.test("InFlight shares one run between concurrent callers of the same key", async () => {
  const inFlight = new InFlight<number>();
  let runs = 0;
  const work = async () => {
    runs++;
    await new Promise((resolve) => setTimeout(resolve, 10));
    return 42;
  };
  const signal = new AbortController().signal;
  const results = await Promise.all([inFlight.run("k", signal, work), inFlight.run("k", signal, work)]);
  assert.deepEqual(results, [42, 42]);
  assert.equal(runs, 1);
  await inFlight.run("k", signal, work);
  assert.equal(runs, 2, "a finished run is not reused");
});

Deno.test("InFlight cancels the shared run only when every caller gave up", async () => {
  const inFlight = new InFlight<string>();
  let aborted = false;
  const work = (signal: AbortSignal) =>
    new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => resolve("done"), 50);
      signal.addEventListener("abort", () => {
        aborted = true;
        clearTimeout(timer);
        reject(signal.reason);
      });
    });
  const first = new AbortController();
  const second = new AbortController();
  const a = inFlight.run("k", first.signal, work);
  const b = inFlight.run("k", second.signal, work);
  first.abort(new Error("first gone"));
  await assert.rejects(a, /first gone/);
  assert.equal(aborted, false);
  assert.equal(await b, "done");

  const third = new AbortController();
  const c = inFlight.run("k2", third.signal, work);
  third.abort(new Error("third gone"));
  await assert.rejects(c, /third gone/);
  assert.equal(aborted, true);
  assert.equal(inFlight.size, 0);
});

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

Deno.test("pickVersions: enabled, newest first, from the start version, N of them", () => {
  const v = (version: string, created: number, enabled = true) => ({
    version,
    enabled,
    createdOn: new Date(created * 1000),
  });
  const listed = [v("a", 1), v("b", 3), v("c", 2, false), v("d", 4), { version: "e", enabled: true }];
  assert.deepEqual(pickVersions(listed, "", 2).map((x) => x.version), ["d", "b"]);
  assert.deepEqual(pickVersions(listed, "latest", 10).map((x) => x.version), ["d", "b", "a", "e"]);
  assert.deepEqual(pickVersions(listed, "b", 2).map((x) => x.version), ["b", "a"]);
  assert.throws(() => pickVersions(listed, "c", 2), /objectVersion c is not among the 4 enabled versions/);
});
