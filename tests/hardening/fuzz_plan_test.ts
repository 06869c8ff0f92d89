/**
 * The fuzz property of plan_property.ts with a fixed seed and a size that fits `deno task test`;
 * `deno task fuzz` runs the same property on many more inputs.
 */
import fc from "fast-check";
import { mountInput } from "./mount_inputs.ts";
import { checkPlan, FuzzTally } from "./plan_property.ts";

/** Inputs of the seeded run in `deno task test`. */
const RUNS = 1_500;
const SEED = 20261128;

Deno.test(`fuzz: ${RUNS} generated Mount requests are planned or rejected cleanly (seed ${SEED})`, () => {
  const tally = new FuzzTally();
  fc.assert(fc.property(mountInput, (input) => void tally.add(checkPlan(input))), {
    numRuns: RUNS,
    seed: SEED,
    endOnFailure: true,
  });
  console.log(
    `fuzz: ${tally.inputs} inputs, ${tally.accepted} accepted, ${tally.rejected} rejected, slowest ${
      Math.round(tally.maxMs)
    } ms`,
  );
});
