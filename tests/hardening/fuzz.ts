/**
 * `deno task fuzz`: the plan property of plan_property.ts on many generated Mount requests
 * (100,000 by default), in one worker per core. A worker that reports no progress for
 * {@link STALL_MS} is stopped and the run fails: an input hangs. The task runs with the
 * provider's V8 flags (deploy/v8-flags: its heap caps), so an input that would exhaust
 * the provider's heap ends a worker here too and fails the run, and so does an input judged slower
 * than {@link INPUT_TIME_BOUND_MS}. Prints the figures docs/security.md reports and exits non-zero
 * on any failure.
 *
 *   deno task fuzz [--runs N] [--seed S]
 */
import { parseArgs } from "node:util";
import type { FuzzWorkerMessage } from "./fuzz_worker.ts";
import { INPUT_TIME_BOUND_MS } from "./plan_property.ts";

const STALL_MS = 60_000;

const { values } = parseArgs({
  args: Deno.args,
  options: { runs: { type: "string" }, seed: { type: "string" } },
});
const runs = Number(values.runs ?? 100_000);
const seed = Number(values.seed ?? Math.floor(Math.random() * 2 ** 31));
const workers = Math.max(1, Math.min(4, navigator.hardwareConcurrency ?? 1));
const started = performance.now();
console.log(`fuzz: ${runs} inputs, seed ${seed}, ${workers} workers`);

const results = await Promise.all(Array.from({ length: workers }, (_, i) => {
  const share = Math.floor(runs / workers) + (i < runs % workers ? 1 : 0);
  return runWorker(share, seed + i);
}));

const total = { inputs: 0, accepted: 0, rejected: 0, maxMs: 0, totalMs: 0 };
const reasons = new Map<string, number>();
for (const result of results) {
  total.inputs += result.tally.inputs;
  total.accepted += result.tally.accepted;
  total.rejected += result.tally.rejected;
  total.maxMs = Math.max(total.maxMs, result.tally.maxMs);
  total.totalMs += result.tally.totalMs;
  for (const [reason, count] of result.reasons) reasons.set(reason, (reasons.get(reason) ?? 0) + count);
}
const failures = results.flatMap((result) => result.failure ? [result.failure] : []);
if (total.maxMs >= INPUT_TIME_BOUND_MS) {
  failures.push(
    `an input took ${Math.round(total.maxMs)} ms to judge; the bound is ${INPUT_TIME_BOUND_MS} ms`,
  );
}
console.log(
  `fuzz: ${total.inputs} inputs judged in ${Math.round((performance.now() - started) / 1000)} s: ` +
    `${total.accepted} accepted, ${total.rejected} rejected with InvalidArgument, ` +
    `${failures.length} failures; mean ${(total.totalMs / Math.max(1, total.inputs)).toFixed(2)} ms, ` +
    `slowest ${Math.round(total.maxMs)} ms per input`,
);
console.log("most frequent rejections:");
for (const [reason, count] of [...reasons].sort((a, b) => b[1] - a[1]).slice(0, 15)) {
  console.log(`  ${String(count).padStart(7)}  ${reason}`);
}
for (const failure of failures) console.error(`FAILURE ${failure}`);
Deno.exit(failures.length === 0 && total.inputs === runs ? 0 : 1);

function runWorker(share: number, workerSeed: number) {
  return new Promise<Extract<FuzzWorkerMessage, { kind: "done" }>>((resolve) => {
    const worker = new Worker(new URL("./fuzz_worker.ts", import.meta.url), { type: "module" });
    let last = 0;
    let watchdog = setTimeout(stalled, STALL_MS);
    function stalled() {
      worker.terminate();
      resolve({
        kind: "done",
        tally: { inputs: last, accepted: 0, rejected: 0, maxMs: STALL_MS, totalMs: 0, slowest: [] },
        reasons: [],
        failure: `seed ${workerSeed}: no progress for ${
          STALL_MS / 1000
        } s after input ${last}: an input hangs`,
      });
    }
    worker.onmessage = (event: MessageEvent<FuzzWorkerMessage>) => {
      clearTimeout(watchdog);
      if (event.data.kind === "progress") {
        last = event.data.inputs;
        watchdog = setTimeout(stalled, STALL_MS);
        return;
      }
      worker.terminate();
      resolve(event.data);
    };
    worker.onerror = (event) => {
      clearTimeout(watchdog);
      event.preventDefault();
      worker.terminate();
      resolve({
        kind: "done",
        tally: { inputs: last, accepted: 0, rejected: 0, maxMs: 0, totalMs: 0, slowest: [] },
        reasons: [],
        failure: `seed ${workerSeed}: the worker crashed: ${event.message}`,
      });
    };
    worker.postMessage({ runs: share, seed: workerSeed });
  });
}
