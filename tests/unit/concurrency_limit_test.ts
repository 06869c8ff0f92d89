import assert from "node:assert/strict";
import { ConcurrencyLimit } from "../../src/cache/concurrency_limit.ts";

Deno.test("ConcurrencyLimit: at most `limit` tasks run, the others start in arrival order", async () => {
  const limit = new ConcurrencyLimit(2);
  const started: number[] = [];
  const finish: (() => void)[] = [];
  let peak = 0;
  const tasks = [0, 1, 2, 3, 4].map((i) =>
    limit.run(async () => {
      started.push(i);
      peak = Math.max(peak, limit.running);
      await new Promise<void>((resolve) => finish[i] = resolve);
      return i;
    })
  );
  await Promise.resolve();
  assert.deepEqual(started, [0, 1]);
  assert.equal(limit.waiting, 3);
  finish[1]();
  await new Promise((resolve) => setTimeout(resolve, 0));
  assert.deepEqual(started, [0, 1, 2]);
  finish[0]();
  finish[2]();
  await new Promise((resolve) => setTimeout(resolve, 0));
  finish[3]();
  finish[4]();
  assert.deepEqual(await Promise.all(tasks), [0, 1, 2, 3, 4]);
  assert.deepEqual(started, [0, 1, 2, 3, 4]);
  assert.equal(peak, 2);
  assert.equal(limit.running, 0);
});

Deno.test("ConcurrencyLimit: a failing task frees its turn", async () => {
  const limit = new ConcurrencyLimit(1);
  await assert.rejects(limit.run(() => Promise.reject(new Error("boom"))), /boom/);
  assert.equal(await limit.run(() => Promise.resolve("next")), "next");
});

Deno.test("ConcurrencyLimit: a waiting task whose signal aborts leaves without running", async () => {
  const limit = new ConcurrencyLimit(1);
  let release!: () => void;
  const first = limit.run(() => new Promise<void>((resolve) => release = resolve));
  const controller = new AbortController();
  let ran = false;
  const second = limit.run(() => {
    ran = true;
    return Promise.resolve();
  }, controller.signal);
  controller.abort(new Error("deadline"));
  await assert.rejects(second, /deadline/);
  assert.equal(limit.waiting, 0);
  release();
  await first;
  assert.equal(ran, false);
  assert.equal(limit.running, 0);
  const aborted = AbortSignal.abort(new Error("already"));
  await assert.rejects(limit.run(() => Promise.resolve(), aborted), /already/);
});
