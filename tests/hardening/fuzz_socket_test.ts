/**
 * Generated Mount requests through the real Unix socket, to the provider process running with
 * its production permissions: every request the planning path rejects comes back as gRPC
 * InvalidArgument with a readable message, nothing crashes the server, it keeps serving, and
 * no secret reaches a message or the log.
 */
import assert from "node:assert/strict";
import { status as GrpcStatus } from "@grpc/grpc-js";
import fc from "fast-check";
import { InvalidMountConfigError } from "../../src/errors.ts";
import { Mounter } from "../../src/mount/mount.ts";
import { mountOptions, parseFlags } from "../../src/ops/flags.ts";
import { silentLogger } from "../harness/logger.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { startWorld } from "../integration/fixtures.ts";
import { mountInput, SECRET_MARK } from "./mount_inputs.ts";
import { checkMessage } from "./plan_property.ts";

const INPUTS = 2_000;
const SEED = 424242;
const IN_FLIGHT = 16;

Deno.test(`fuzz: ${INPUTS} generated Mount requests through the socket get clean statuses`, async () => {
  const inputs = fc.sample(mountInput, { numRuns: INPUTS, seed: SEED });
  // The oracle: the planning path in this process, with no file readable (like the provider's
  // /provider, which does not exist here). Strings are sent as UTF-8, so lone surrogates arrive
  // as U+FFFD: the oracle judges what the server receives.
  const oracle = new Mounter({
    options: mountOptions(parseFlags([])),
    logger: silentLogger,
    readTextFile: () => {
      throw new Deno.errors.NotFound("No such file or directory (os error 2)");
    },
  });
  const world = await startWorld();
  const client = providerClient(world.provider.socketPath);
  const codes = new Map<string, number>();
  let rejectedByOracle = 0;
  try {
    let next = 0;
    const worker = async () => {
      while (next < inputs.length) {
        const { request } = inputs[next++];
        const sent = {
          attributes: request.attributes.toWellFormed(),
          secrets: request.secrets.toWellFormed(),
          permission: request.permission.toWellFormed(),
        };
        let expectInvalid = false;
        try {
          oracle.plan(sent);
        } catch (error) {
          assert.ok(error instanceof InvalidMountConfigError, String(error));
          expectInvalid = true;
          rejectedByOracle++;
        }
        const outcome = await client.mount(sent, { deadlineMs: 30_000 }).then(
          () => ({ code: GrpcStatus.OK, details: "" }),
          (error) => ({ code: error.code as GrpcStatus, details: String(error.details) }),
        );
        codes.set(GrpcStatus[outcome.code], (codes.get(GrpcStatus[outcome.code]) ?? 0) + 1);
        if (expectInvalid) {
          assert.equal(outcome.code, GrpcStatus.INVALID_ARGUMENT, outcome.details);
        } else {
          assert.notEqual(
            outcome.code,
            GrpcStatus.INVALID_ARGUMENT,
            `the oracle planned it: ${outcome.details}`,
          );
        }
        if (outcome.code !== GrpcStatus.OK) {
          assert.match(outcome.details, /^failed to mount objects, error: /);
          checkMessage(outcome.details);
        }
      }
    };
    await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
    assert.deepEqual(await client.health(), { status: 1 }, "still SERVING");
    assert.equal((await client.version()).version, "v1alpha1");
  } finally {
    client.close();
    await world.close();
  }
  console.log(
    `socket fuzz: ${INPUTS} requests, ${rejectedByOracle} rejected before the network; statuses ${
      JSON.stringify(Object.fromEntries(codes))
    }`,
  );
  assert.equal(rejectedByOracle, codes.get("INVALID_ARGUMENT"));
  const log = world.provider.output();
  assert.ok(!log.includes(SECRET_MARK), "no secret in the provider's log");
  assert.ok(
    !/panic|uncaught|Error: .*\n\s+at /i.test(log),
    `the provider logged a crash:\n${log.slice(-2000)}`,
  );
});
