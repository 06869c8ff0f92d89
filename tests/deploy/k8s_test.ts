/**
 * Every manifest under deploy/ and every `helm template` of the chart decode strictly into the
 * Kubernetes API types (and the driver's SecretProviderClass type); the DaemonSets carry the Go
 * provider's settings; the chart's values map to the provider's real flags; every example
 * SecretProviderClass is accepted by the provider's own checks.
 */
import assert from "node:assert/strict";
import { mountOptions, parseFlags } from "../../src/ops/flags.ts";
import { Mounter } from "../../src/mount/mount.ts";
import { silentLogger } from "../harness/logger.ts";
import { serviceAccountJwt, serviceAccountTokens } from "../harness/service_account.ts";
import { K8S_VALIDATION_SKIPPED, validate, type ValidatedDocument } from "./k8s_validate.ts";

const SKIP = K8S_VALIDATION_SKIPPED !== undefined;
if (K8S_VALIDATION_SKIPPED) {
  console.warn(K8S_VALIDATION_SKIPPED);
  // `deno test --quiet` hides output, not test names: the reason also shows as an ignored test.
  Deno.test(K8S_VALIDATION_SKIPPED, { ignore: true }, () => {});
}

const ROOT = new URL("../../", import.meta.url);
const path = (relative: string) => new URL(relative, ROOT).pathname;
const CHART = path("deploy/helm/csi-secrets-store-provider-azure");
const VERSION: string = JSON.parse(Deno.readTextFileSync(new URL("deno.json", ROOT))).version;
const PERMISSIONS = Deno.readTextFileSync(new URL("deploy/permissions.linux", ROOT)).split(/\s+/);

/** Every YAML file under deploy/ except the chart's templates. */
function manifestFiles(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const full = `${dir}/${entry.name}`;
      if (entry.isDirectory && entry.name !== "helm") walk(full);
      if (entry.isFile && /\.ya?ml$/.test(entry.name)) files.push(full);
    }
  };
  walk(path("deploy"));
  return files.sort();
}

function only(documents: ValidatedDocument[], kind: string, name?: string): ValidatedDocument {
  const found = documents.filter((d) => d.kind === kind && (name === undefined || d.name === name));
  assert.equal(found.length, 1, `one ${kind} ${name ?? ""}: ${documents.map((d) => `${d.kind}/${d.name}`)}`);
  return found[0];
}

/** Checks a Linux DaemonSet against the Go provider's manifest, and returns its parsed flags. */
function checkLinuxDaemonSet(daemonSet: ValidatedDocument, image: string) {
  assert.equal(daemonSet.name, "csi-secrets-store-provider-azure");
  assert.equal(daemonSet.namespace, "kube-system");
  const spec = daemonSet.object.spec;
  assert.deepEqual(spec.selector.matchLabels, { app: "csi-secrets-store-provider-azure" });
  assert.deepEqual(spec.updateStrategy, { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 1 } });
  const pod = spec.template.spec;
  assert.equal(pod.serviceAccountName, "csi-secrets-store-provider-azure");
  assert.equal(pod.hostNetwork, true, "pod identity's NMI is on the node's localhost");
  assert.equal(pod.dnsPolicy, "ClusterFirstWithHostNet");
  assert.deepEqual(pod.nodeSelector, { "kubernetes.io/os": "linux" });
  assert.deepEqual(pod.tolerations, [{ operator: "Exists" }]);
  assert.deepEqual(
    pod.affinity.nodeAffinity.requiredDuringSchedulingIgnoredDuringExecution.nodeSelectorTerms,
    [
      { matchExpressions: [{ key: "type", operator: "NotIn", values: ["virtual-kubelet"] }] },
    ],
  );
  assert.equal(pod.volumes.length, 1);
  const [volume] = pod.volumes;
  assert.deepEqual(volume.hostPath, { path: "/var/run/secrets-store-csi-providers" });
  assert.equal(pod.containers.length, 1);
  const [container] = pod.containers;
  assert.equal(container.image, image);
  assert.deepEqual(container.volumeMounts, [{ name: volume.name, mountPath: "/provider" }]);
  const flags = parseFlags(container.args);
  assert.equal(flags.endpoint, "unix:///provider/azure.sock");
  assert.ok(
    PERMISSIONS.some((p) => /^--allow-write=(.*,)?\/provider(,|$)/.test(p)),
    "the socket folder is granted",
  );
  assert.deepEqual(container.livenessProbe, {
    httpGet: { path: flags.healthzPath, port: flags.healthzPort },
    initialDelaySeconds: 5,
    timeoutSeconds: 10,
    periodSeconds: 30,
    failureThreshold: 3,
  });
  assert.deepEqual(container.ports, [{
    name: "metrics",
    containerPort: flags.prometheusPort,
    protocol: "TCP",
  }]);
  assert.deepEqual(container.resources, {
    requests: { cpu: "50m", memory: "100Mi" },
    limits: { cpu: "50m", memory: "160Mi" },
  });
  assert.deepEqual(container.securityContext, {
    allowPrivilegeEscalation: false,
    readOnlyRootFilesystem: true,
    runAsUser: 0,
    capabilities: { drop: ["ALL"] },
  });
  assert.ok(pod.terminationGracePeriodSeconds * 1000 > flags.shutdownGraceMs, "kubelet waits for the drain");
  return flags;
}

Deno.test("every manifest under deploy/ decodes strictly into the Kubernetes types", {
  ignore: SKIP,
}, async () => {
  const files = manifestFiles();
  assert.ok(files.some((f) => f.endsWith("deploy/linux/provider-azure-installer.yaml")));
  assert.ok(files.filter((f) => f.includes("/examples/")).length >= 5);
  const report = await validate(["manifest", ...files]);
  assert.deepEqual(report.errors, []);
  const sources = new Set(report.documents.map((d) => d.source));
  assert.deepEqual([...sources].sort(), files, "every file had at least one document");
});

Deno.test(
  "deploy/linux: the Go provider's DaemonSet with this image",
  { ignore: SKIP },
  async () => {
    const { documents, errors } = await validate([
      "manifest",
      path("deploy/linux/provider-azure-installer.yaml"),
    ]);
    assert.deepEqual(errors, []);
    assert.deepEqual(documents.map((d) => d.kind), ["ServiceAccount", "DaemonSet"]);
    assert.equal(only(documents, "ServiceAccount").namespace, "kube-system");
    const flags = checkLinuxDaemonSet(
      only(documents, "DaemonSet"),
      `example.azurecr.io/secrets-store/provider-azure-deno:v${VERSION}`,
    );
    assert.equal(flags.healthzPort, 8989);
    assert.equal(flags.healthzPath, "/healthz");
    assert.equal(flags.healthzTimeoutMs, 5000);
    assert.equal(flags.prometheusPort, 8898);
    assert.equal(flags.constructPemChain, true);
  },
);

Deno.test("helm: lint is clean and the default render is the plain DaemonSet", {
  ignore: SKIP,
}, async () => {
  const report = await validate(["chart", CHART, "--release", "csi-secrets-store-provider-azure"]);
  assert.deepEqual(report.errors, []);
  assert.deepEqual(report.lint.filter((m) => m.severity !== "INFO"), [], "no lint warning");
  assert.deepEqual(report.documents.map((d) => [d.kind, d.name]), [
    ["ServiceAccount", "csi-secrets-store-provider-azure"],
    ["DaemonSet", "csi-secrets-store-provider-azure"],
  ]);
  const chart = only(report.documents, "DaemonSet");
  const flags = checkLinuxDaemonSet(
    chart,
    `example.azurecr.io/secrets-store/provider-azure-deno:v${VERSION}`,
  );
  const plain = only(
    (await validate(["manifest", path("deploy/linux/provider-azure-installer.yaml")])).documents,
    "DaemonSet",
  );
  assert.deepEqual(flags, parseFlags(plain.object.spec.template.spec.containers[0].args), "the same flags");
  assert.equal(chart.object.spec.template.metadata.labels.app, "csi-secrets-store-provider-azure");
  assert.equal(chart.object.metadata.labels["app.kubernetes.io/version"], VERSION);
  const chartYaml = Deno.readTextFileSync(`${CHART}/Chart.yaml`);
  assert.match(chartYaml, new RegExp(`^version: ${VERSION}$`, "m"));
  assert.match(chartYaml, new RegExp(`^appVersion: "${VERSION}"$`, "m"));
});

Deno.test("helm: the Go chart's values map to the provider's flags, probe and ports", {
  ignore: SKIP,
}, async () => {
  const report = await validate([
    "chart",
    CHART,
    "--release",
    "akv",
    "--namespace",
    "secrets",
    "--set",
    "logFormatJSON=true,logVerbosity=5,constructPEMChain=false,writeCertAndKeyInSeparateFiles=true",
    "--set",
    "metricsAddr=9898,linux.healthzPort=9999,linux.healthzPath=/live,linux.healthzTimeout=3s",
    "--set",
    "linux.customUserAgent=team-a,linux.privileged=true,linux.priorityClassName=system-node-critical",
    "--set",
    "linux.image.repository=registry.local/akv,linux.image.tag=v9,linux.image.pullPolicy=Always",
    "--set",
    "imagePullSecrets[0].name=pull,linux.podLabels.team=a,linux.podAnnotations.note=b,linux.nodeSelector.pool=sys",
    "--set",
    "linux.volumes[0].name=cloudenv,linux.volumes[0].hostPath.path=/etc/kubernetes/custom.json",
    "--set",
    "linux.volumeMounts[0].name=cloudenv,linux.volumeMounts[0].mountPath=/cloudEnv/custom.json",
    "--set",
    "linux.resources.limits.memory=200Mi,linux.shutdownGracePeriod=1m,rbac.pspEnabled=true",
    "--set",
    "tokenProxyURL=https://kubernetes.default.svc.cluster.local/identity-proxy,sniName=a0123456789.ests.aks",
  ]);
  assert.deepEqual(report.errors, []);
  const daemonSet = only(report.documents, "DaemonSet");
  assert.equal(daemonSet.name, "akv-csi-secrets-store-provider-azure");
  assert.equal(daemonSet.namespace, "secrets");
  const pod = daemonSet.object.spec.template.spec;
  const [container] = pod.containers;
  const flags = parseFlags(container.args);
  assert.equal(flags.logFormatJson, true);
  assert.equal(flags.verbosity, 5);
  assert.equal(flags.constructPemChain, false, "false is passed on (the Go chart dropped it)");
  assert.equal(flags.writeCertAndKeyInSeparateFiles, true);
  assert.equal(flags.prometheusPort, 9898, "metricsAddr moves the listener too");
  assert.equal(flags.healthzPort, 9999);
  assert.equal(flags.healthzPath, "/live");
  assert.equal(flags.healthzTimeoutMs, 3000);
  assert.equal(flags.shutdownGraceMs, 60_000);
  assert.equal(flags.tokenProxyUrl, "https://kubernetes.default.svc.cluster.local/identity-proxy");
  assert.equal(flags.sniName, "a0123456789.ests.aks");
  assert.deepEqual(flags.ignored, ["custom-user-agent"]);
  assert.deepEqual(container.livenessProbe.httpGet, { path: "/live", port: 9999 });
  assert.deepEqual(container.ports, [{ name: "metrics", containerPort: 9898, protocol: "TCP" }]);
  assert.equal(container.image, "registry.local/akv:v9");
  assert.equal(container.imagePullPolicy, "Always");
  assert.equal(container.securityContext.privileged, true);
  assert.equal(container.securityContext.allowPrivilegeEscalation, undefined);
  assert.equal(container.resources.limits.memory, "200Mi");
  assert.deepEqual(container.volumeMounts[1], { name: "cloudenv", mountPath: "/cloudEnv/custom.json" });
  assert.ok(PERMISSIONS.some((p) => /^--allow-read=(.*,)?\/cloudEnv(,|$)/.test(p)), "/cloudEnv is readable");
  assert.deepEqual(pod.volumes[1], { name: "cloudenv", hostPath: { path: "/etc/kubernetes/custom.json" } });
  assert.deepEqual(pod.imagePullSecrets, [{ name: "pull" }]);
  assert.equal(pod.priorityClassName, "system-node-critical");
  assert.deepEqual(pod.nodeSelector, { "kubernetes.io/os": "linux", pool: "sys" });
  assert.equal(pod.terminationGracePeriodSeconds, 65);
  assert.equal(daemonSet.object.spec.template.metadata.labels.team, "a");
  assert.deepEqual(daemonSet.object.spec.template.metadata.annotations, { note: "b" });
});

Deno.test(
  "helm: windows.enabled renders the Windows DaemonSet of deploy/windows; rbac.install and linux.enabled switch off",
  { ignore: SKIP },
  async () => {
    const both = await validate([
      "chart",
      CHART,
      "--release",
      "csi-secrets-store-provider-azure",
      "--set",
      "windows.enabled=true",
    ]);
    assert.deepEqual(both.errors, []);
    const windows = only(both.documents, "DaemonSet", "csi-secrets-store-provider-azure-windows");
    const pod = windows.object.spec.template.spec;
    const flags = parseFlags(pod.containers[0].args);
    assert.equal(flags.endpoint, "unix://C:\\provider\\azure.sock");
    assert.equal(flags.unixListener, "ffi");
    assert.deepEqual(pod.nodeSelector, { "kubernetes.io/os": "windows" });
    assert.equal(pod.hostNetwork, undefined);

    // The chart's Windows DaemonSet and deploy/windows/daemonset.yaml (the Windows engineer's) agree.
    const plain = only(
      (await validate(["manifest", path("deploy/windows/daemonset.yaml")])).documents,
      "DaemonSet",
    ).object.spec.template.spec;
    const [chartContainer, plainContainer] = [pod.containers[0], plain.containers[0]];
    assert.deepEqual(
      { ...parseFlags(chartContainer.args), ignored: [] },
      { ...parseFlags(plainContainer.args), ignored: [] },
    );
    for (const key of ["livenessProbe", "resources", "ports"]) {
      assert.deepEqual(chartContainer[key], plainContainer[key], key);
    }
    // The volume is named as in the Go chart (provider-vol) and the Go manifest (providervol).
    const mountPaths = (c: { volumeMounts: { mountPath: string }[] }) =>
      c.volumeMounts.map((m) => m.mountPath);
    assert.deepEqual(mountPaths(chartContainer), mountPaths(plainContainer));
    assert.deepEqual(
      pod.volumes.map((v: { hostPath: unknown }) => v.hostPath),
      plain.volumes.map((v: { hostPath: unknown }) => v.hostPath),
    );
    assert.deepEqual(pod.tolerations, plain.tolerations);
    assert.deepEqual(pod.affinity, plain.affinity);

    const none = await validate([
      "chart",
      CHART,
      "--set",
      "linux.enabled=false,windows.enabled=true,rbac.install=false",
    ]);
    assert.deepEqual(none.errors, []);
    assert.deepEqual(none.documents.map((d) => d.kind), ["DaemonSet"]);
  },
);

Deno.test("helm: a shutdown grace period the pod spec cannot express is refused with a clear message", {
  ignore: SKIP,
}, async () => {
  const report = await validate(["chart", CHART, "--set", "linux.shutdownGracePeriod=1.5s"]);
  assert.equal(report.errors.length, 1);
  assert.match(
    report.errors[0],
    /shutdownGracePeriod "1\.5s": use whole seconds or minutes, e\.g\. 25s or 1m/,
  );
});

Deno.test("the validator is strict: an unknown field, a wrong type or a bad name fails", {
  ignore: SKIP,
}, async () => {
  const dir = await Deno.makeTempDir({ prefix: "k8s-strict-" });
  try {
    const base = Deno.readTextFileSync(path("deploy/linux/provider-azure-installer.yaml"));
    const cases: [string, string, RegExp][] = [
      [
        "typo.yaml",
        base.replace("hostNetwork: true", "hostNetwork: true\n      hostNetwrk: true"),
        /unknown field "hostNetwrk"/,
      ],
      ["type.yaml", base.replace("periodSeconds: 30", 'periodSeconds: "30s"'), /cannot unmarshal string/],
      [
        "port.yaml",
        base.replace("name: metrics", "name: prometheus_metrics"),
        /port name "prometheus_metrics"/,
      ],
      ["probe.yaml", base.replace("port: 8989", "port: healthz"), /probe port "healthz"/],
      [
        "spc.yaml",
        "apiVersion: secrets-store.csi.x-k8s.io/v1\nkind: SecretProviderClass\nmetadata:\n  name: x\nspec:\n  provider: azure\n  parameter: {}\n",
        /unknown field "parameter"/,
      ],
      [
        "kind.yaml",
        "apiVersion: v1\nkind: Pdo\nmetadata:\n  name: x\n",
        /no schema for apiVersion "v1" kind "Pdo"/,
      ],
    ];
    for (const [name, text, message] of cases) {
      Deno.writeTextFileSync(`${dir}/${name}`, text);
      const report = await validate(["manifest", `${dir}/${name}`]);
      assert.ok(report.errors.some((e) => message.test(e)), `${name}: ${report.errors}`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("examples: one per identity mode, each accepted by the provider's own checks", {
  ignore: SKIP,
}, async () => {
  const files = manifestFiles().filter((f) => f.includes("/examples/"));
  const report = await validate(["manifest", ...files]);
  assert.deepEqual(report.errors, []);
  const mounter = new Mounter({
    options: mountOptions(parseFlags([])),
    logger: silentLogger,
    readTextFile: () => assert.fail("no example reads a file"),
  });
  const modes = new Map<string, string>();
  for (const spc of report.documents.filter((d) => d.kind === "SecretProviderClass")) {
    const peers = report.documents.filter((d) => d.source === spc.source);
    const workload = peers.find((d) => ["Pod", "Deployment"].includes(d.kind))!;
    const podSpec = workload.kind === "Pod" ? workload.object.spec : workload.object.spec.template.spec;
    const labels = workload.kind === "Pod"
      ? workload.object.metadata.labels
      : workload.object.spec.template.metadata.labels;
    const volume = podSpec.volumes.find((v: { csi?: unknown }) => v.csi);
    assert.equal(volume.csi.driver, "secrets-store.csi.k8s.io");
    assert.equal(
      volume.csi.volumeAttributes.secretProviderClass,
      spc.name,
      `${spc.source}: the pod uses the class`,
    );
    const secretName = volume.csi.nodePublishSecretRef?.name;
    const secret = secretName ? only(peers, "Secret", secretName).object.stringData : null;
    // What the driver sends: the class's parameters, the pod's info, the token for the audience.
    const attributes: Record<string, string> = {
      ...spc.object.spec.parameters,
      "csi.storage.k8s.io/pod.name": workload.name,
      "csi.storage.k8s.io/pod.namespace": workload.namespace ?? "default",
      "csi.storage.k8s.io/serviceAccount.name": podSpec.serviceAccountName ?? "default",
    };
    if (spc.object.spec.parameters.clientID) {
      const audience = spc.object.spec.parameters.useAzureTokenProxy === "true"
        ? "api://AKSIdentityBinding"
        : "api://AzureADTokenExchange";
      attributes["csi.storage.k8s.io/serviceAccount.tokens"] = serviceAccountTokens({
        [audience]: serviceAccountJwt({ aud: audience }),
      });
    }
    const plan = mounter.plan({
      attributes: JSON.stringify(attributes),
      secrets: JSON.stringify(secret),
      permission: "420",
    });
    assert.ok(plan.objects.length > 0, spc.source);
    modes.set(spc.source.replace(/^.*\//, ""), plan.identity.mode);
    if (labels?.aadpodidbinding) assert.equal(plan.identity.mode, "podIdentity");
  }
  assert.deepEqual(Object.fromEntries([...modes].sort()), {
    "identity-binding.yaml": "identityBinding",
    "pod-identity.yaml": "podIdentity",
    "service-principal.yaml": "servicePrincipal",
    "sync-as-kubernetes-secret.yaml": "workloadIdentity",
    "system-assigned-identity.yaml": "vmManagedIdentity",
    "user-assigned-identity.yaml": "vmManagedIdentity",
    "workload-identity.yaml": "workloadIdentity",
  });
});
