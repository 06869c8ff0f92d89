/**
 * The layer rule of docs/architecture.md, held on the real import graph: no module imports a
 * layer above its own or a sibling beside it, and the one-shot commands load only what they use.
 */
import assert from "node:assert/strict";
import {
  documentedLayers,
  type ImportEdge,
  importGraph,
  layerViolations,
  sourceModules,
} from "./import_graph.ts";

const ARCHITECTURE = Deno.readTextFileSync(new URL("../../docs/architecture.md", import.meta.url));
const LAYERS = documentedLayers(ARCHITECTURE);

Deno.test("layers: every import of src/ goes down a layer (or stays in its folder)", async () => {
  const { edges } = await importGraph(sourceModules());
  assert.ok(edges.length > 200, `the graph was read (${edges.length} edges)`);
  assert.deepEqual(layerViolations(edges, LAYERS), []);
});

Deno.test("layers: every folder and file of src/ has a layer", () => {
  const placed = new Set(LAYERS.flat());
  const units = new Set(
    sourceModules().map((module) => module.replace(/^src\/([^/]+\/).*$/, "$1").replace(/^src\//, "")),
  );
  assert.deepEqual([...units].filter((unit) => !placed.has(unit)), []);
});

Deno.test("layers: the check finds the upward and sideways imports main had before the layers", () => {
  // Imports that existed before the layers were written down; each must be reported.
  const before: ImportEdge[] = [
    { from: "src/ops/metrics.ts", to: "src/server/grpc_server.ts" },
    { from: "src/identity/workload_identity.ts", to: "src/config/mount_config.ts" },
    { from: "src/server/grpc_server.ts", to: "src/provider.ts" },
    { from: "src/text/go_bool.ts", to: "src/errors.ts" },
    { from: "src/config/request.ts", to: "tests/harness/spc.ts" },
    { from: "src/mount/mount.ts", to: "src/nowhere/module.ts" },
  ];
  const found = layerViolations(before, LAYERS);
  assert.equal(found.length, before.length, found.join("\n"));
  assert.deepEqual(layerViolations([{ from: "src/mount/mount.ts", to: "src/text/suggest.ts" }], LAYERS), []);
});

Deno.test("layers: validate loads no gRPC, Key Vault SDK, Prometheus, certificate or server module", async () => {
  const { loaded } = await importGraph(["src/cli/validate.ts"]);
  const heavy = loaded.filter((module) =>
    /@grpc|@azure\/keyvault|prom-client|protobufjs|node-forge|\/src\/(server\/|keyvault\/|transport\/afunix\/|ops\/(metrics|health)\.ts)/
      .test(
        module,
      )
  );
  assert.deepEqual(heavy, []);
});

Deno.test("layers: the one-shot mount loads neither the gRPC server nor metrics", async () => {
  const { loaded } = await importGraph(["src/cli/mount.ts"]);
  const server = loaded.filter((module) =>
    /prom-client|\/src\/(server\/grpc_server|ops\/metrics|provider)\.ts/.test(module)
  );
  assert.deepEqual(server, []);
});
