/** The go.mod rewrite that lets k8s.io/kubernetes build from its module zip (no Go needed). */
import assert from "node:assert/strict";
import { cacheDir, rewriteKubernetesGoMod, VERSIONS } from "./build.ts";

Deno.test("build: k8s.io/* v0.0.0 requirements become the published staging version; replace is dropped", () => {
  const goMod = [
    "module k8s.io/kubernetes",
    "",
    "require (",
    "\tgithub.com/google/cadvisor v0.52.0",
    "\tk8s.io/api v0.0.0",
    "\tk8s.io/kube-openapi v0.0.0-20260317180543-43fb72c5454a",
    "\tk8s.io/utils v0.0.0-20260210185600-b8788abfbbc2",
    ")",
    "",
    "require k8s.io/cri-streaming v0.0.0 // indirect",
    "",
    "replace (",
    "\tk8s.io/api => ./staging/src/k8s.io/api",
    "\tk8s.io/cri-streaming => ./staging/src/k8s.io/cri-streaming",
    ")",
    "",
  ].join("\n");
  const rewritten = rewriteKubernetesGoMod(goMod);
  assert.match(rewritten, new RegExp(`^\\tk8s\\.io/api ${VERSIONS.staging}$`, "m"));
  assert.match(
    rewritten,
    new RegExp(`^require k8s\\.io/cri-streaming ${VERSIONS.staging} // indirect$`, "m"),
  );
  assert.match(
    rewritten,
    /^\tk8s\.io\/kube-openapi v0\.0\.0-20260317180543-43fb72c5454a$/m,
    "pseudo-versions stay",
  );
  assert.match(rewritten, /^\tk8s\.io\/utils v0\.0\.0-20260210185600-b8788abfbbc2$/m);
  assert.doesNotMatch(rewritten, /replace|staging\/src/);
});

Deno.test("build: the cache folder is outside the repository and named by the versions", () => {
  const dir = cacheDir();
  assert.match(dir, /\/akv-provider-e2e\/[0-9a-f]{16}$/);
  assert.equal(cacheDir(), dir, "stable");
  assert.ok(!dir.startsWith(new URL("../../", import.meta.url).pathname));
});
