/**
 * Through HTTPS_PROXY, Key Vault connections are kept and reused: remounts open no new
 * connection, and the connections a mount opened stay bounded by the objects it fetches at
 * once. Counted from the provider's own sockets (/proc), not from timings.
 */
import assert from "node:assert/strict";
import { providerClient } from "../harness/grpc_client.ts";
import { mountRequest } from "../harness/spc.ts";
import { SP, startWorld } from "./fixtures.ts";

/** The provider's TCP connections to `port` (its sockets' inodes matched in /proc/net/tcp). */
function connectionsTo(pid: number, port: number): number {
  const inodes = new Set<string>();
  for (const entry of Deno.readDirSync(`/proc/${pid}/fd`)) {
    try {
      const target = Deno.readLinkSync(`/proc/${pid}/fd/${entry.name}`);
      const inode = target.match(/^socket:\[(\d+)\]$/)?.[1];
      if (inode) inodes.add(inode);
    } catch {
      // closed meanwhile
    }
  }
  const hexPort = port.toString(16).toUpperCase().padStart(4, "0");
  return Deno.readTextFileSync(`/proc/${pid}/net/tcp`).split("\n").slice(1).filter((line) => {
    const fields = line.trim().split(/\s+/);
    // remote address, state 01 (ESTABLISHED), inode
    return fields.length > 9 && fields[2].endsWith(`:${hexPort}`) && fields[3] === "01" &&
      inodes.has(fields[9]);
  }).length;
}

Deno.test("Key Vault connections through the proxy are kept and reused across remounts", async () => {
  const world = await startWorld();
  const client = providerClient(world.provider.socketPath);
  try {
    const proxyPort = Number(new URL(world.emulator.proxyUrl).port);
    const objects = ["db-password", "api-key", "blob-b64", "blob-hex", "unicode"].map((objectName) => ({
      objectName,
      objectType: "secret",
    }));
    // A new pod each time (its own uid), so that every mount reads Key Vault.
    const request = () => mountRequest({ objects, secrets: SP });
    // The first mount primes alone (challenge, token), so the next one may still open a few.
    for (let i = 0; i < 2; i++) await client.mount(request());
    const steady = connectionsTo(world.provider.pid, proxyPort);
    assert.ok(steady >= 1, "connections stay open for the next mount");
    assert.ok(steady <= objects.length + 1, `one per object fetched at once, one to Entra: ${steady}`);
    world.emulator.resetRequests();
    for (let i = 0; i < 5; i++) await client.mount(request());
    assert.equal(world.emulator.requests({ service: "keyvault" }).length, 5 * objects.length);
    assert.equal(world.emulator.requests({ service: "entra" }).length, 0);
    assert.equal(connectionsTo(world.provider.pid, proxyPort), steady, "remounts opened no connection");
  } finally {
    client.close();
    await world.close();
  }
});
