/**
 * `deno task demo`: an emulated Key Vault and Entra ID, the provider started exactly as in
 * production (same entry point, same permission flags), and one Mount made the way the
 * Secrets Store CSI Driver makes it. Writes the files to a fresh folder, prints what was
 * written — never the values — and leaves no process behind.
 */
import { parse } from "yaml";
import { startEmulator } from "../emulator/emulator.ts";
import { providerClient } from "../harness/grpc_client.ts";
import { startProviderProcess } from "../harness/provider_process.ts";

const SPC = new URL("./demo-spc.yaml", import.meta.url);
/** The nodePublishSecretRef Secret of the demo's service principal (see tests/emulator/seed.yaml). */
const NODE_PUBLISH_SECRET = {
  clientid: "11111111-1111-1111-1111-111111111111",
  clientsecret: "s3cr3t-value~for.demo_only",
};

async function demo(): Promise<void> {
  const spc = parse(await Deno.readTextFile(SPC));
  const emulator = await startEmulator();
  const provider = await startProviderProcess({ env: emulator.env() });
  const client = providerClient(provider.socketPath);
  const out = await Deno.makeTempDir({ prefix: "azure-kv-demo-" });
  try {
    console.log(`emulator: Key Vault and Entra ID behind ${emulator.proxyUrl} (CA ${emulator.caPath})`);
    console.log(`provider: ${provider.socketPath} (pid ${provider.pid}, production permissions)`);
    const attributes = {
      ...spc.spec.parameters,
      secretProviderClass: spc.metadata.name,
      "csi.storage.k8s.io/pod.name": "demo-pod",
      "csi.storage.k8s.io/pod.namespace": spc.metadata.namespace,
      "csi.storage.k8s.io/pod.uid": crypto.randomUUID(),
      "csi.storage.k8s.io/serviceAccount.name": "default",
      "csi.storage.k8s.io/ephemeral": "true",
    };
    const response = await client.mount({
      attributes: JSON.stringify(attributes),
      secrets: JSON.stringify(NODE_PUBLISH_SECRET),
      permission: "420",
      target_path: out,
    });
    for (const file of response.files) {
      const path = `${out}/${file.path}`;
      await Deno.mkdir(path.slice(0, path.lastIndexOf("/")), { recursive: true });
      await Deno.writeFile(path, file.contents, { mode: file.mode });
      await Deno.chmod(path, file.mode);
    }
    console.log(
      `\nMount of SecretProviderClass ${spc.metadata.name} wrote ${response.files.length} files to ${out}:`,
    );
    console.table(response.files.map((file) => ({
      path: file.path,
      mode: "0" + file.mode.toString(8),
      bytes: file.contents.length,
    })));
    console.log("object versions (for rotation):");
    console.table(response.object_version);
    const calls = emulator.requests();
    console.log(
      `Azure calls: ${calls.filter((r) => r.service === "keyvault").length} Key Vault, ` +
        `${calls.filter((r) => r.service === "entra").length} Entra ID`,
    );
  } finally {
    client.close();
    await provider.stop();
    await emulator.close();
  }
}

if (import.meta.main) await demo();
