import assert from "node:assert/strict";
import { InFlight } from "../../src/concurrency/in_flight.ts";

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
