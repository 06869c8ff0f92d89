/** Fault injection, global latency, abandoned-request records and the admin API. */
import assert from "node:assert/strict";
import { startEmulator } from "./emulator.ts";
import { FaultSet } from "./faults.ts";
import type { RecordedRequest } from "./records.ts";
import { withEmulator } from "../harness/emulator.ts";
import { until } from "../harness/wait.ts";
import { TENANT } from "../harness/spc.ts";

const VAULT = "https://demo-vault.vault.azure.net";
const IMDS_PATH = "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=https://vault.azure.net";

Deno.test("FaultSet: latency adds up, the first terminal rule wins, times are consumed", () => {
  const faults = new FaultSet();
  faults.set([
    { kind: "latency", ms: 10, service: "keyvault" },
    { kind: "latency", ms: 5, host: "*.vault.azure.net" },
    { kind: "status", status: 503, pathPrefix: "/secrets/", times: 1 },
    { kind: "reset", service: "keyvault" },
  ]);
  const target = {
    service: "keyvault" as const,
    host: "v.vault.azure.net",
    path: "/secrets/a",
    method: "GET",
  };
  assert.deepEqual(faults.take(target).latencyMs, 15);
  assert.equal(faults.take(target).terminal?.kind, "reset", "the 503 was used up by the first request");
  assert.equal(
    faults.take({ ...target, service: "entra", host: "login.microsoftonline.com" }).terminal,
    undefined,
  );
  assert.throws(() => faults.set({ kind: "status", status: 42 } as never), /HTTP status/);
  assert.throws(() => faults.set({ kind: "explode" } as never), /unknown fault kind/);
});

Deno.test("faults: an injected status uses a service-typical body unless one is given", async () => {
  await withEmulator(async (emu, viaProxy) => {
    emu.setFaults([
      { service: "keyvault", kind: "status", status: 503, retryAfter: 7, times: 1 },
      { service: "keyvault", kind: "status", status: 500, body: { custom: true }, times: 1 },
    ]);
    const first = await viaProxy(`${VAULT}/secrets/x`);
    assert.equal(first.status, 503);
    assert.equal(first.headers.get("retry-after"), "7");
    assert.equal((await first.json()).error.code, "ServiceUnavailable");
    const second = await viaProxy(`${VAULT}/secrets/x`);
    assert.deepEqual([second.status, await second.json()], [500, { custom: true }]);
    const third = await viaProxy(`${VAULT}/secrets/x`);
    assert.equal(third.status, 401, "faults used up: back to the real behaviour");
    await third.body?.cancel();
    assert.deepEqual(emu.requests().map((r) => r.fault), ["status", "status", undefined]);
  });
});

Deno.test("faults: latency faults and global latency delay Key Vault and Entra, not IMDS", async () => {
  // Delays far longer than the test, seen as requests still held while others are answered: no
  // clock is read, so a slow machine cannot make this fail.
  const HELD_MS = 600_000;
  await withEmulator(async (emu, viaProxy) => {
    const held = (filter: Parameters<typeof emu.requests>[0], what: string) =>
      until(() => emu.requests(filter)[0], what).then(() => () => emu.requests(filter)[0]);
    const leave = new AbortController();

    emu.setFaults({ service: "keyvault", pathPrefix: "/keys/", kind: "latency", ms: HELD_MS });
    const keys = viaProxy(`${VAULT}/keys/x`, { signal: leave.signal });
    const keysRecord = await held({ pathPrefix: "/keys/" }, "the /keys/ request");
    const secrets = await viaProxy(`${VAULT}/secrets/x`);
    assert.equal(secrets.status, 401, "a path the fault does not name is answered");
    await secrets.body?.cancel();
    assert.equal(keysRecord().endedAt, undefined, "the /keys/ request is held");
    assert.equal(keysRecord().fault, "latency");
    emu.clearFaults();

    emu.setLatency(HELD_MS);
    const vault = viaProxy(`${VAULT}/secrets/y`, { signal: leave.signal });
    const login = viaProxy(`https://login.microsoftonline.com/${TENANT}/oauth2/v2.0/token`, {
      signal: leave.signal,
    });
    const vaultRecord = await held({ pathPrefix: "/secrets/y" }, "the Key Vault request");
    const loginRecord = await held({ service: "entra" }, "the Entra request");
    const imds = await fetch(`${emu.imdsUrl}${IMDS_PATH}`, { headers: { metadata: "true" } });
    await imds.body?.cancel();
    assert.ok(emu.requests({ service: "imds" })[0].endedAt !== undefined, "IMDS is answered");
    assert.equal(vaultRecord().endedAt, undefined, "Key Vault is held");
    assert.equal(loginRecord().endedAt, undefined, "Entra is held");

    leave.abort();
    await Promise.allSettled([keys, vault, login]);
  });
});

Deno.test("faults: a hung request the client abandons is recorded as aborted", async () => {
  await withEmulator(async (emu, viaProxy) => {
    emu.setFaults({ service: "keyvault", kind: "hang" });
    const controller = new AbortController();
    const pending = viaProxy(`${VAULT}/secrets/x`, { signal: controller.signal });
    const inFlight = await until(() => emu.requests({ service: "keyvault" })[0], "the Key Vault request");
    assert.equal(inFlight.endedAt, undefined, "in flight until the client leaves");
    controller.abort();
    await assert.rejects(pending);
    const record = await until(() => emu.requests({ aborted: true })[0], "an aborted request");
    assert.equal(record.status, 0);
    assert.equal(record.fault, "hang");
    assert.ok(record.endedAt! >= record.startedAt);
  });
});

Deno.test("faults: a client leaving during latency leaves an aborted record, not a response", async () => {
  await using emu = await startEmulator();
  emu.setFaults({ service: "imds", kind: "latency", ms: 5000 });
  const controller = new AbortController();
  const pending = fetch(`${emu.imdsUrl}${IMDS_PATH}`, {
    headers: { metadata: "true" },
    signal: controller.signal,
  });
  await until(() => emu.requests({ service: "imds" })[0], "the IMDS request");
  controller.abort();
  await assert.rejects(pending);
  const record = await until(() => emu.requests({ aborted: true })[0], "an aborted request");
  assert.equal(record.identity, undefined, "no token was issued for the abandoned request");
  assert.deepEqual(emu.issuedTokens(), []);
});

Deno.test("faults: reset drops plain-HTTP connections too", async () => {
  await using emu = await startEmulator();
  emu.setFaults({ service: "nmi", kind: "reset", times: 1 });
  const url = `http://${emu.nmiAddress}/host/token/?resource=https://vault.azure.net`;
  const headers = { podns: "default", podname: "nginx" };
  await assert.rejects(fetch(url, { headers }));
  const ok = await fetch(url, { headers });
  assert.equal(ok.status, 200);
  await ok.body?.cancel();
  assert.deepEqual(emu.requests().map((r) => [r.status, r.fault ?? null]), [[0, "reset"], [200, null]]);
});

Deno.test("admin API: faults, request log and reset over HTTP", async () => {
  await using emu = await startEmulator();
  const admin = (path: string, init?: RequestInit) =>
    fetch(`${emu.proxyUrl}/_emulator/${path}`, init).then((r) => r.json());
  const set = await admin("faults", {
    method: "POST",
    body: JSON.stringify([{ service: "imds", kind: "status", status: 429, times: 1 }]),
  });
  assert.deepEqual(set, [{ service: "imds", kind: "status", status: 429, times: 1 }]);
  const limited = await fetch(`${emu.imdsUrl}${IMDS_PATH}`, { headers: { metadata: "true" } });
  assert.equal(limited.status, 429);
  await limited.body?.cancel();
  const log = await admin("requests?service=imds");
  assert.deepEqual(log.map((r: RecordedRequest) => r.status), [429]);
  assert.deepEqual(await admin("faults"), [], "the single-use fault is spent");
  const bad = await fetch(`${emu.proxyUrl}/_emulator/faults`, { method: "POST", body: '{"kind":"nope"}' });
  assert.equal(bad.status, 400);
  await bad.body?.cancel();
  await admin("faults", { method: "DELETE" });
  await admin("reset", { method: "POST" });
  assert.deepEqual(await admin("requests"), []);
});

Deno.test("proxy: plain-HTTP proxying is refused except to the emulator's own IMDS/NMI", async () => {
  await using emu = await startEmulator();
  const port = Number(new URL(emu.proxyUrl).port);
  const send = async (target: string, extra = "") => {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    const host = new URL(target).host;
    await conn.write(
      new TextEncoder().encode(
        `GET ${target} HTTP/1.1\r\nHost: ${host}\r\n${extra}Connection: close\r\n\r\n`,
      ),
    );
    let text = "";
    const buf = new Uint8Array(4096);
    for (let n = await conn.read(buf); n !== null; n = await conn.read(buf)) {
      text += new TextDecoder().decode(buf.subarray(0, n));
    }
    conn.close();
    return text;
  };
  assert.match(await send("http://example.com/"), /^HTTP\/1\.1 403/);
  const imds = await send(`${emu.imdsUrl}${IMDS_PATH}`, "Metadata: true\r\n");
  assert.match(imds, /^HTTP\/1\.1 200/);
  assert.match(await send(`http://169.254.169.254${IMDS_PATH}`, "Metadata: true\r\n"), /^HTTP\/1\.1 200/);
  assert.equal(emu.requests({ service: "imds", status: 200 }).length, 2);
});
