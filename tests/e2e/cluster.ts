/**
 * The end-to-end suite's cluster, all on 127.0.0.1: etcd, a real kube-apiserver (self-signed
 * serving certificate, one static token with `AlwaysAllow`, a service-account signing key), the
 * driver's CRDs and CSIDriver object, and the real Secrets Store CSI Driver binary dialing a
 * provider socket folder. There is no kubelet and no controller-manager: kubelet.ts plays the
 * first, and the test creates what the second would (the `default` ServiceAccount).
 */
import { parse as parseYaml } from "yaml";
import type { Binaries } from "./build.ts";
import { Kube, type KubeObject } from "./kube.ts";
import { run, type Service, spawn, waitFor } from "../harness/child_process.ts";
import { freePort } from "../harness/net.ts";

/** The node the driver serves; pods must name it in `spec.nodeName`. */
export const NODE_NAME = "akv-e2e-node";
/** The API server's service-account issuer, which the emulated Entra is told to trust. */
export const SERVICE_ACCOUNT_ISSUER = "https://kubernetes.akv-e2e.test";
/** The driver's name, as in its CSIDriver object. */
export const DRIVER_NAME = "secrets-store.csi.k8s.io";

/** Certificates and keys of one run. */
export interface Pki {
  /** CA of the API server's serving certificate (what clients trust). */
  readonly caPath: string;
  readonly servingCert: string;
  readonly servingKey: string;
  /** The service-account signing key, and its public half (SPKI PEM). */
  readonly serviceAccountKey: string;
  readonly serviceAccountPublicKey: string;
}

/** Makes a CA, a serving certificate for 127.0.0.1 and a service-account key pair with openssl. */
export async function makePki(dir: string): Promise<Pki> {
  await Deno.mkdir(dir, { recursive: true });
  const p = (name: string) => `${dir}/${name}`;
  const ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"];
  await run("openssl", [
    "req",
    "-x509",
    ...ec,
    "-keyout",
    p("ca.key"),
    "-out",
    p("ca.crt"),
    "-days",
    "2",
    "-subj",
    "/CN=akv-e2e-ca",
  ]);
  await run("openssl", [
    "req",
    ...ec,
    "-keyout",
    p("serving.key"),
    "-out",
    p("serving.csr"),
    "-subj",
    "/CN=kube-apiserver",
  ]);
  // A CA certificate is refused as a server's own by rustls (Deno's fetch), hence a separate leaf.
  await Deno.writeTextFile(
    p("serving.ext"),
    "basicConstraints=critical,CA:FALSE\nextendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n",
  );
  await run("openssl", [
    "x509",
    "-req",
    "-in",
    p("serving.csr"),
    "-CA",
    p("ca.crt"),
    "-CAkey",
    p("ca.key"),
    "-CAcreateserial",
    "-days",
    "2",
    "-extfile",
    p("serving.ext"),
    "-out",
    p("serving.crt"),
  ]);
  await run("openssl", ["genrsa", "-out", p("sa.key"), "2048"]);
  await run("openssl", ["rsa", "-in", p("sa.key"), "-pubout", "-out", p("sa.pub")]);
  return {
    caPath: p("ca.crt"),
    servingCert: p("serving.crt"),
    servingKey: p("serving.key"),
    serviceAccountKey: p("sa.key"),
    serviceAccountPublicKey: await Deno.readTextFile(p("sa.pub")),
  };
}

/** etcd and the API server, with the driver's CRDs and a CSIDriver object installed. */
export interface ControlPlane {
  readonly server: string;
  readonly token: string;
  readonly kube: Kube;
  /** A kubeconfig file for the driver. */
  readonly kubeconfig: string;
  readonly services: Service[];
}

/** Starts etcd and kube-apiserver and waits until the API server is ready. */
export async function startControlPlane(binaries: Binaries, dir: string, pki: Pki): Promise<ControlPlane> {
  const services: Service[] = [];
  try {
    const etcdUrl = await startEtcd(binaries, dir, services);
    const port = freePort();
    const token = crypto.randomUUID();
    await Deno.writeTextFile(`${dir}/tokens.csv`, `${token},akv-e2e-admin,akv-e2e-admin,"system:masters"\n`);
    const apiserver = spawn("kube-apiserver", binaries.kubeApiserver, [
      `--etcd-servers=${etcdUrl}`,
      "--bind-address=127.0.0.1",
      "--advertise-address=127.0.0.1",
      `--secure-port=${port}`,
      `--cert-dir=${dir}/apiserver`,
      `--tls-cert-file=${pki.servingCert}`,
      `--tls-private-key-file=${pki.servingKey}`,
      `--token-auth-file=${dir}/tokens.csv`,
      "--authorization-mode=AlwaysAllow",
      // As every real cluster (kubeadm, AKS): the chart's linux.privileged needs it.
      "--allow-privileged=true",
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${pki.serviceAccountKey}`,
      `--service-account-signing-key-file=${pki.serviceAccountKey}`,
      "--service-cluster-ip-range=10.96.0.0/24",
      "--enable-priority-and-fairness=false",
      "--profiling=false",
      "-v=1",
    ]);
    services.push(apiserver);
    const server = `https://127.0.0.1:${port}`;
    const kube = new Kube(server, token, await Deno.readTextFile(pki.caPath));
    await waitFor("the API server to be ready", async () => {
      const ready = await kube.request("GET", "/readyz").catch(() => undefined);
      return ready !== undefined && (await kube.get("/api/v1/namespaces/default")) !== undefined;
    }, { timeoutMs: 120_000, intervalMs: 200, service: apiserver });
    const kubeconfig = `${dir}/kubeconfig`;
    await Deno.writeTextFile(kubeconfig, JSON.stringify(kubeconfigFor(server, token, pki.caPath)));
    return { server, token, kube, kubeconfig, services };
  } catch (err) {
    await Promise.all(services.map((s) => s.stop()));
    throw err;
  }
}

async function startEtcd(binaries: Binaries, dir: string, services: Service[]): Promise<string> {
  const [client, peer] = [freePort(), freePort()];
  const clientUrl = `http://127.0.0.1:${client}`;
  const peerUrl = `http://127.0.0.1:${peer}`;
  const etcd = spawn("etcd", binaries.etcd, [
    "--name=e2e",
    `--data-dir=${dir}/etcd`,
    `--listen-client-urls=${clientUrl}`,
    `--advertise-client-urls=${clientUrl}`,
    `--listen-peer-urls=${peerUrl}`,
    `--initial-advertise-peer-urls=${peerUrl}`,
    `--initial-cluster=e2e=${peerUrl}`,
    "--unsafe-no-fsync=true",
    "--log-level=warn",
  ]);
  services.push(etcd);
  await waitFor("etcd to be healthy", async () => {
    const response = await fetch(`${clientUrl}/health`).catch(() => undefined);
    return response !== undefined && (await response.json()).health === "true";
  }, { timeoutMs: 60_000, service: etcd });
  return clientUrl;
}

function kubeconfigFor(server: string, token: string, caPath: string): KubeObject {
  return {
    apiVersion: "v1",
    kind: "Config",
    clusters: [{ name: "e2e", cluster: { server, "certificate-authority": caPath } }],
    users: [{ name: "admin", user: { token } }],
    contexts: [{ name: "e2e", context: { cluster: "e2e", user: "admin" } }],
    "current-context": "e2e",
  };
}

/**
 * Installs the driver's own CRDs (from its module) and waits until they are served; then the
 * CSIDriver object, with `tokenRequests` for workload identity as the Azure docs tell users to add.
 */
export async function installDriverObjects(kube: Kube, binaries: Binaries): Promise<KubeObject> {
  for (const crd of ["secretproviderclasses", "secretproviderclasspodstatuses"]) {
    const object = parseYaml(
      await Deno.readTextFile(`${binaries.driverModule}/deploy/secrets-store.csi.x-k8s.io_${crd}.yaml`),
    );
    await kube.apply(object);
    await waitFor(`CRD ${crd} to be established`, async () => {
      const stored = await kube.get(
        `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${object.metadata.name}`,
      );
      return stored?.status?.conditions?.some((c: KubeObject) =>
        c.type === "Established" && c.status === "True"
      );
    });
  }
  kube.forgetDiscovery();
  await waitFor(
    "the SecretProviderClass API to be served",
    () => kube.get("/apis/secrets-store.csi.x-k8s.io/v1"),
  );
  const csiDriver = parseYaml(await Deno.readTextFile(`${binaries.driverModule}/deploy/csidriver.yaml`));
  csiDriver.spec.tokenRequests = [{ audience: "api://AzureADTokenExchange" }];
  return await kube.apply(csiDriver);
}

/** Where the driver listens and which provider folder it reads. */
export interface DriverProcess {
  readonly service: Service;
  readonly csiSocket: string;
}

/** Starts the real driver with rotation on (the rotation poll interval is 1 s). */
export async function startDriver(
  binaries: Binaries,
  dir: string,
  controlPlane: ControlPlane,
  providerDir: string,
): Promise<DriverProcess> {
  await Deno.mkdir(`${dir}/csi`, { recursive: true });
  const csiSocket = `${dir}/csi/csi.sock`;
  const service = spawn("secrets-store-csi-driver", binaries.driver, [
    `--endpoint=unix://${csiSocket}`,
    `--nodeid=${NODE_NAME}`,
    `--provider-volume=${providerDir}`,
    `--additional-provider-volume-paths=${providerDir}`,
    `--metrics-addr=127.0.0.1:${freePort()}`,
    "--enable-secret-rotation=true",
    "--rotation-poll-interval=1s",
    "-v=5",
  ], { KUBECONFIG: controlPlane.kubeconfig });
  await waitFor("the driver's CSI socket to answer Probe", async () => {
    await Deno.lstat(csiSocket);
    const out = await run(binaries.csiClient, [csiSocket, "Probe"], "{}");
    return JSON.parse(out).code === "OK";
  }, { timeoutMs: 60_000, intervalMs: 200, service });
  return { service, csiSocket };
}

/** Mount points under `dir`, deepest first (from /proc/self/mountinfo). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await Deno.readTextFile("/proc/self/mountinfo");
  return info.split("\n")
    .map((line) => line.split(" ")[4])
    .filter((mountPoint) => mountPoint !== undefined && mountPoint.startsWith(`${dir}/`))
    .sort((a, b) => b.length - a.length);
}

/** The filesystem type of a mount point, or undefined if it is not one. */
export async function mountType(path: string): Promise<string | undefined> {
  const info = await Deno.readTextFile("/proc/self/mountinfo");
  for (const line of info.split("\n")) {
    const fields = line.split(" ");
    if (fields[4] === path) return fields[fields.indexOf("-") + 1];
  }
  return undefined;
}
