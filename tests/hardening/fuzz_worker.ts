/**
 * One worker of `deno task fuzz`: runs the plan property on `runs` inputs from `seed` and
 * reports progress every {@link PROGRESS_EVERY} inputs, so the parent can tell a hang from a
 * slow run, and the totals at the end.
 */
import fc from "fast-check";
import { mountInput } from "./mount_inputs.ts";
import { checkPlan, FuzzTally } from "./plan_property.ts";

/** A message from the worker. */
export type FuzzWorkerMessage =
  | { kind: "progress"; inputs: number }
  | {
    kind: "done";
    tally: Omit<FuzzTally, "add" | "reasons">;
    reasons: [string, number][];
    failure?: string;
  };

const PROGRESS_EVERY = 500;
/** The worker's global scope (this module is type-checked with the window's types). */
const scope = self as unknown as {
  onmessage: (event: MessageEvent<{ runs: number; seed: number }>) => void;
  postMessage(message: FuzzWorkerMessage): void;
};

scope.onmessage = (event) => {
  const { runs, seed } = event.data;
  const tally = new FuzzTally();
  const details = fc.check(
    fc.property(mountInput, (input) => {
      tally.add(checkPlan(input));
      if (tally.inputs % PROGRESS_EVERY === 0) scope.postMessage({ kind: "progress", inputs: tally.inputs });
    }),
    { numRuns: runs, seed, endOnFailure: true },
  );
  const failure = details.failed
    ? `seed ${seed} path ${details.counterexamplePath}: ${details.errorInstance}\ncounterexample: ${
      JSON.stringify(details.counterexample)?.slice(0, 4000)
    }`
    : undefined;
  const { reasons, ...totals } = tally;
  scope.postMessage({ kind: "done", tally: { ...totals }, reasons: [...reasons], failure });
};
