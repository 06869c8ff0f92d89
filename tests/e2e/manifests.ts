/**
 * Our deploy manifests, the Helm chart's renderings and every example, applied to the real API
 * server with a server-side dry run and strict field validation: its schemas (the driver's CRDs
 * included) and admission judge them, beside the type checks of tests/deploy/.
 */
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { validate } from "../deploy/k8s_validate.ts";
import { type Kube, KubeError, type KubeObject } from "./kube.ts";

const DEPLOY = fileURLToPath(new URL("../../deploy/", import.meta.url));
const CHART = `${DEPLOY}helm/csi-secrets-store-provider-azure`;

/** The chart's renderings worth applying: the default, and every switch that adds objects. */
const CHART_RENDERINGS: string[][] = [
  [],
  ["--set", "windows.enabled=true"],
  [
    "--set",
    "logFormatJSON=true,writeCertAndKeyInSeparateFiles=true,linux.privileged=true,rbac.pspEnabled=true",
  ],
];

/** Every YAML file under deploy/ except the chart's templates. */
function manifestFiles(dir = DEPLOY): string[] {
  const files: string[] = [];
  for (const entry of Deno.readDirSync(dir)) {
    const full = `${dir}${entry.name}`;
    if (entry.isDirectory && entry.name !== "helm") files.push(...manifestFiles(`${full}/`));
    if (entry.isFile && /\.ya?ml$/.test(entry.name)) files.push(full);
  }
  return files.sort();
}

/** Applies every manifest and rendering as a dry run; fails listing every object refused. */
export async function checkManifests(kube: Kube): Promise<void> {
  const objects: { source: string; object: KubeObject }[] = [];
  for (const file of manifestFiles()) {
    for (const document of parseAllDocuments(await Deno.readTextFile(file))) {
      const object = document.toJS();
      if (object) objects.push({ source: file.slice(DEPLOY.length - "deploy/".length), object });
    }
  }
  for (const args of CHART_RENDERINGS) {
    const report = await validate(["chart", CHART, "--release", "csi-secrets-store-provider-azure", ...args]);
    assert.deepEqual(report.errors, [], `helm template ${args.join(" ")}`);
    for (const document of report.documents) {
      objects.push({
        source: `helm template ${args.join(" ")} (${document.source})`,
        object: document.object,
      });
    }
  }
  assert.ok(objects.some((o) => o.object.kind === "SecretProviderClass"), "the examples are included");
  assert.ok(
    objects.some((o) => o.object.kind === "DaemonSet" && o.source.startsWith("helm")),
    "the chart too",
  );
  const refused: string[] = [];
  for (const { source, object } of objects) {
    try {
      const answer = await kube.apply(object, { dryRun: true });
      assert.equal(answer.kind, object.kind);
    } catch (err) {
      const reason = err instanceof KubeError ? err.body.message : String(err);
      refused.push(
        `${source}: ${object.kind} ${object.metadata?.namespace ?? ""}/${object.metadata?.name}: ${reason}`,
      );
    }
  }
  assert.deepEqual(
    refused,
    [],
    `${refused.length} of ${objects.length} objects were refused by the API server`,
  );
}
