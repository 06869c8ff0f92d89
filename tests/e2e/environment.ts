/**
 * One end-to-end environment: the emulated Azure (trusting the API server's service-account
 * issuer), etcd + kube-apiserver with the driver's objects, our provider started exactly as in
 * production (tests/harness/provider_process.ts) on a socket in the driver's provider folder,
 * the real driver, and a kubelet stand-in. `close()` undoes all of it, mounts included.
 */
import { parse as parseYaml } from "yaml";
import { defaultSeedPath, type Emulator, startEmulator } from "../emulator/emulator.ts";
import { type ProviderProcess, startProviderProcess } from "../harness/provider_process.ts";
import type { Binaries } from "./build.ts";
import {
  type ControlPlane,
  type DriverProcess,
  installDriverObjects,
  makePki,
  mountsUnder,
  SERVICE_ACCOUNT_ISSUER,
  startControlPlane,
  startDriver,
} from "./cluster.ts";
import type { KubeObject } from "./kube.ts";
import { Kubelet } from "./kubelet.ts";
import { run, type Service } from "../harness/child_process.ts";

/** Everything a scenario needs. */
export interface Environment {
  readonly dir: string;
  readonly emulator: Emulator;
  readonly controlPlane: ControlPlane;
  readonly provider: ProviderProcess;
  readonly driver: DriverProcess;
  readonly kubelet: Kubelet;
  readonly csiDriver: KubeObject;
  /** The driver's and the provider's output, for failure messages. */
  logs(): string;
  close(): Promise<void>;
}

/**
 * The shipped emulator seed, with Entra trusting the API server's issuer and signing key: the
 * workload identity `wi-app` accepts only tokens the API server signed for
 * `system:serviceaccount:default:workload-sa`.
 */
export async function e2eSeed(serviceAccountPublicKey: string): Promise<KubeObject> {
  const seed = parseYaml(await Deno.readTextFile(defaultSeedPath()));
  seed.oidcIssuers = [{ issuer: SERVICE_ACCOUNT_ISSUER, publicKeys: [serviceAccountPublicKey] }];
  const workload = seed.identities.find((i: KubeObject) => i.name === "wi-app");
  workload.issuer = SERVICE_ACCOUNT_ISSUER;
  return seed;
}

/** Starts the whole environment; on failure, whatever started is stopped again. */
export async function startEnvironment(binaries: Binaries): Promise<Environment> {
  const dir = await Deno.makeTempDir({ dir: "/tmp", prefix: "akv-e2e-" });
  const cleanups: (() => Promise<unknown>)[] = [() => Deno.remove(dir, { recursive: true })];
  const services: Service[] = [];
  const outputs: { name: string; output(): string }[] = [];
  const close = async () => {
    for (const mountPoint of await mountsUnder(dir)) await run("umount", [mountPoint]).catch(() => {});
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => {});
    await keepLogs(outputs);
  };
  try {
    const pki = await makePki(`${dir}/pki`);
    const emulator = await startEmulator({ seed: await e2eSeed(pki.serviceAccountPublicKey) });
    cleanups.push(() => emulator.close());
    const controlPlane = await startControlPlane(binaries, dir, pki);
    services.push(...controlPlane.services);
    outputs.push(...controlPlane.services);
    cleanups.push(
      () => Promise.all(controlPlane.services.map((s) => s.stop())),
      () => Promise.resolve(controlPlane.kube.close()),
    );
    const csiDriver = await installDriverObjects(controlPlane.kube, binaries);
    // The provider's permission list grants /tmp: the driver's provider folder lives there.
    const providerDir = `${dir}/providers`;
    await Deno.mkdir(providerDir, { mode: 0o700 });
    // The driver polls every second (cluster.ts): as docs/clouds-and-caches.md asks of a poll that
    // short, the object cache lives under half of it, so each poll reads a rotated secret.
    const provider = await startProviderProcess({
      socketDir: providerDir,
      env: emulator.env(),
      args: ["--object-cache-ttl=500ms"],
    });
    cleanups.push(() => provider.stop());
    outputs.push({ name: "provider", output: () => provider.output() });
    const driver = await startDriver(binaries, dir, controlPlane, providerDir);
    cleanups.push(() => driver.service.stop());
    outputs.push(driver.service);
    const kubelet = new Kubelet(controlPlane.kube, `${dir}/kubelet`, binaries.csiClient, driver.csiSocket);
    const logs = () =>
      `--- driver ---\n${driver.service.output().split("\n").slice(-60).join("\n")}\n` +
      `--- provider ---\n${provider.output().split("\n").slice(-30).join("\n")}`;
    return { dir, emulator, controlPlane, provider, driver, kubelet, csiDriver, logs, close };
  } catch (err) {
    const output = services.map((s) => `--- ${s.name} ---\n${s.output().slice(-4000)}`).join("\n");
    await close();
    throw new Error(`${err instanceof Error ? err.message : err}\n${output}`);
  }
}

/** With AKV_E2E_LOGS=<dir>, every process's whole output is written there after the run. */
async function keepLogs(outputs: { name: string; output(): string }[]): Promise<void> {
  const dir = Deno.env.get("AKV_E2E_LOGS");
  if (!dir) return;
  await Deno.mkdir(dir, { recursive: true });
  for (const { name, output } of outputs) await Deno.writeTextFile(`${dir}/${name}.log`, output());
}
