/**
 * Profiles our provider as the benchmark runs it: main.ts with deploy/permissions.linux plus
 * `--inspect-wait`, so a CPU profile (and a sampling heap profile of what is still live)
 * covers everything from the first line of module loading. Deno 2.9 has no `--cpu-prof`; the
 * inspector protocol gives the same .cpuprofile file, which Chrome DevTools opens.
 *
 *   deno run -A bench/profile.ts [--phase=startup|first-mount|warm|burst] [--out=/tmp/provider-profile]
 *     [--latency-ms=20] [--v8-flags=...] [--provider-arg=...] [--allocations]
 *
 * `--allocations` (burst): the heap summary counts every byte allocated during the burst,
 * garbage included, instead of what is live at the end.
 *
 * Prints self time per package (npm package, deno runtime, our src/) and the top functions,
 * the live heap per package at the end, and writes profile.cpuprofile and heap.json.
 */
import { parseArgs } from "node:util";
import { startEmulator } from "../tests/emulator/emulator.ts";
import { productionPermissions, startProviderProcess } from "../tests/harness/provider_process.ts";
import { Driver } from "./driver.ts";
import { ourEnvironment } from "./providers.ts";
import { treeMemory, waitForSocket } from "./proc.ts";
import { benchSeed, burstOf, mountOf, type WorkloadShape } from "./workload.ts";

interface CpuProfile {
  nodes: {
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number };
    children?: number[];
  }[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

interface HeapNode {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  children: HeapNode[];
}

/** A minimal Chrome DevTools Protocol session over the inspector's WebSocket. */
class Inspector {
  #socket: WebSocket;
  #next = 1;
  #pending = new Map<number, PromiseWithResolvers<unknown>>();

  private constructor(socket: WebSocket) {
    this.#socket = socket;
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data as string);
      const pending = this.#pending.get(message.id);
      if (!pending) return;
      this.#pending.delete(message.id);
      if (message.error) pending.reject(new Error(JSON.stringify(message.error)));
      else pending.resolve(message.result);
    };
  }

  static async connect(port: number): Promise<Inspector> {
    for (let i = 0; i < 500; i++) {
      try {
        const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
        const socket = new WebSocket(targets[0].webSocketDebuggerUrl);
        await new Promise((resolve, reject) => {
          socket.onopen = resolve;
          socket.onerror = reject;
        });
        return new Inspector(socket);
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    throw new Error("the inspector did not come up");
  }

  send<T = unknown>(method: string, params: Record<string, unknown> = {}): Promise<T> {
    const id = this.#next++;
    const pending = Promise.withResolvers<unknown>();
    this.#pending.set(id, pending);
    this.#socket.send(JSON.stringify({ id, method, params }));
    return pending.promise as Promise<T>;
  }

  close(): void {
    this.#socket.close();
  }
}

/** Which package a script URL belongs to. */
export function packageOf(url: string): string {
  if (url === "") return "(native / GC / idle)";
  const npm = url.match(/registry\.npmjs\.org\/((?:@[^/]+\/)?[^/]+)\//);
  if (npm) return `npm:${npm[1]}`;
  if (url.startsWith("ext:") || url.startsWith("node:")) return "deno runtime (ext:, node:)";
  const local = url.match(/\/(src|main\.ts|proto)(\/[^/]+)?/);
  if (local) return `ours: ${local[1]}${local[2] ?? ""}`;
  return url;
}

function summarizeCpu(profile: CpuProfile, top = 20): string {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfMs = new Map<number, number>();
  profile.samples.forEach((id, i) =>
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000)
  );
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  // Loading code runs in the runtime's module loader; charge each sample to the nearest
  // package or module of ours up the stack, which says whose loading (or work) it was.
  const charged = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    let at: number | undefined = id;
    let owner = "(runtime / idle / GC)";
    while (at !== undefined) {
      const pkg = packageOf(byId.get(at)!.callFrame.url);
      if (pkg.startsWith("npm:") || pkg.startsWith("ours:")) {
        owner = pkg;
        break;
      }
      at = parent.get(at);
    }
    charged.set(owner, (charged.get(owner) ?? 0) + ms);
  }
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const frame = byId.get(id)!.callFrame;
    const name = frame.functionName || "(anonymous)";
    if (name === "(idle)" || name === "(program)" || name === "(garbage collector)") {
      packages.set(name, (packages.get(name) ?? 0) + ms);
      continue;
    }
    const pkg = packageOf(frame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    const key = `${name}  ${frame.url.replace(/^.*registry\.npmjs\.org\//, "npm:")}:${frame.lineNumber + 1}`;
    functions.set(key, (functions.get(key) ?? 0) + ms);
  }
  const total = (profile.endTime - profile.startTime) / 1000;
  const lines = [`CPU profile: ${total.toFixed(0)} ms wall, self time by package:`];
  for (const [pkg, ms] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${ms.toFixed(1).padStart(8)} ms  ${pkg}`);
  }
  lines.push(`time charged to the nearest package on the stack (who loaded or ran it):`);
  for (const [pkg, ms] of [...charged].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${ms.toFixed(1).padStart(8)} ms  ${pkg}`);
  }
  lines.push(`top functions (self time):`);
  for (const [fn, ms] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${ms.toFixed(1).padStart(8)} ms  ${fn}`);
  }
  return lines.join("\n");
}

function summarizeHeap(root: HeapNode, title: string, top = 15): string {
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  const walk = (node: HeapNode) => {
    const pkg = packageOf(node.callFrame.url);
    packages.set(pkg, (packages.get(pkg) ?? 0) + node.selfSize);
    const { functionName, url, lineNumber } = node.callFrame;
    const name = `${functionName || "(anonymous)"}  ${
      url.replace(/^.*node_modules\/|^file:\/\/.*?\/src\//, "")
    }:${lineNumber + 1}`;
    functions.set(name, (functions.get(name) ?? 0) + node.selfSize);
    node.children.forEach(walk);
  };
  walk(root);
  const total = [...packages.values()].reduce((a, b) => a + b, 0);
  const mib = (bytes: number) => `${(bytes / 1048576).toFixed(2).padStart(7)} MiB`;
  const lines = [`${title}: ${(total / 1048576).toFixed(1)} MiB`];
  for (const [pkg, bytes] of [...packages].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${mib(bytes)}  ${pkg}`);
  }
  lines.push(`${title}, top functions:`);
  for (const [name, bytes] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, top)) {
    lines.push(`  ${mib(bytes)}  ${name}`);
  }
  return lines.join("\n");
}

async function main() {
  const { values } = parseArgs({
    args: Deno.args,
    options: {
      phase: { type: "string", default: "first-mount" },
      variant: { type: "string", default: "shared" },
      "warm-bursts": { type: "string", default: "0" },
      allocations: { type: "boolean", default: false },
      out: { type: "string", default: "/tmp/provider-profile" },
      "latency-ms": { type: "string", default: "20" },
      "v8-flags": { type: "string" },
      "provider-arg": { type: "string", multiple: true, default: [] },
    },
  });
  const phase = String(values.phase);
  const variant = values.variant === "distinct" ? "distinct" : "shared";
  const shape: WorkloadShape = {
    sizes: [10],
    runs: 1,
    burstPods: 110,
    burstObjects: 5,
    burstSharedIdentities: 11,
  };
  const emulator = await startEmulator({ seed: benchSeed(shape), latencyMs: Number(values["latency-ms"]) });
  const driver = await Driver.start();
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  const permissions = [
    ...productionPermissions(),
    `--inspect-wait=127.0.0.1:${port}`,
    ...(values["v8-flags"] ? [`--v8-flags=${values["v8-flags"]}`] : []),
  ];
  const spawned = performance.now();
  const provider = await startProviderProcess({
    env: ourEnvironment({ ...emulator, env: emulator.env() }, "deno-cert"),
    permissions,
    waitReady: false,
    args: values["provider-arg"] as string[],
  });
  const inspector = await Inspector.connect(port);
  try {
    await inspector.send("Profiler.enable");
    await inspector.send("Profiler.setSamplingInterval", { interval: 100 });
    await inspector.send("HeapProfiler.enable");
    await inspector.send("HeapProfiler.startSampling", { samplingInterval: 4096 });
    // Warm mounts and bursts are profiled on a warmed-up provider (a node that has run a while).
    if (phase === "startup" || phase === "first-mount") await inspector.send("Profiler.start");
    const released = performance.now();
    await inspector.send("Runtime.runIfWaitingForDebugger");
    const ready = await waitForSocket(provider.socketPath, provider.exited);
    console.log(
      `socket ready ${(ready - released).toFixed(0)} ms after the inspector released the script (${
        (ready - spawned).toFixed(0)
      } ms after spawn, inspector included); rss ${(treeMemory(provider.pid).rss / 1048576).toFixed(1)} MiB`,
    );
    if (phase !== "startup") {
      const first = await driver.mounts(provider.socketPath, [mountOf("warm", 10, "p")], 1);
      console.log(`first mount (10 objects): ${first.results[0].ms.toFixed(0)} ms ${first.results[0].code}`);
    }
    if (phase === "warm") {
      const warmUp = Array.from({ length: 30 }, () => mountOf("warm", 10, "p"));
      await driver.mounts(provider.socketPath, warmUp, 1);
      await inspector.send("Profiler.start");
      const batch = await driver.mounts(
        provider.socketPath,
        Array.from({ length: 30 }, () => mountOf("warm", 10, "p")),
        1,
      );
      const ms = batch.results.map((result) => result.ms).sort((a, b) => a - b);
      console.log(`30 warm mounts (10 objects): median ${ms[15].toFixed(1)} ms`);
    }
    if (phase === "burst") {
      const warmUp = Array.from({ length: 30 }, (_, i) => mountOf(`cold-10-${i % 1}`, 10, "p"));
      await driver.mounts(provider.socketPath, warmUp, 1);
      for (let i = 0; i < Number(values["warm-bursts"]); i++) {
        await driver.mounts(provider.socketPath, burstOf(shape, variant, 10), 110);
      }
      if (values.allocations) {
        // Every byte the burst allocates, garbage included: who makes the peak, not who survives it.
        await inspector.send("HeapProfiler.stopSampling");
        await inspector.send("HeapProfiler.startSampling", {
          samplingInterval: 4096,
          includeObjectsCollectedByMajorGC: true,
          includeObjectsCollectedByMinorGC: true,
        });
      }
      await inspector.send("Profiler.start");
      // What of the burst's anonymous memory is V8's heap: its size sampled through the burst.
      const mib = (bytes: number) => (bytes / 1048576).toFixed(1);
      let heapPeak = { usedSize: 0, totalSize: 0 };
      let anonPeak = 0;
      let externalPeak = 0;
      let sampling = true;
      const sampler = (async () => {
        while (sampling) {
          const usage = await inspector.send<{ usedSize: number; totalSize: number }>("Runtime.getHeapUsage");
          if (usage.totalSize > heapPeak.totalSize) heapPeak = usage;
          // ArrayBuffers' backing stores (socket reads, TLS, Buffers) live outside V8's heap.
          const { result } = await inspector.send<{ result: { value: number } }>("Runtime.evaluate", {
            expression: "Deno.memoryUsage().external",
            returnByValue: true,
          });
          externalPeak = Math.max(externalPeak, result.value);
          anonPeak = Math.max(anonPeak, treeMemory(provider.pid).anon);
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      })();
      const batch = await driver.mounts(provider.socketPath, burstOf(shape, variant, 10), 110);
      sampling = false;
      await sampler;
      console.log(
        `burst 110 × 5 (${variant}): wall ${batch.wall_ms.toFixed(0)} ms, errors ${
          batch.results.filter((result) => result.code !== "OK").length
        }, peak rss ${mib(treeMemory(provider.pid).hwm)} MiB, peak RssAnon ${mib(anonPeak)} MiB, ` +
          `V8 heap at its largest ${mib(heapPeak.totalSize)} MiB (${mib(heapPeak.usedSize)} MiB used), ` +
          `external (ArrayBuffers) at most ${mib(externalPeak)} MiB`,
      );
    }
    const { profile } = await inspector.send<{ profile: CpuProfile }>("Profiler.stop");
    await inspector.send("HeapProfiler.collectGarbage");
    const { profile: heap } = await inspector.send<{ profile: { head: HeapNode } }>(
      "HeapProfiler.stopSampling",
    );
    const usage = await inspector.send<{ usedSize: number; totalSize: number }>("Runtime.getHeapUsage");
    await Deno.mkdir(String(values.out), { recursive: true });
    await Deno.writeTextFile(`${values.out}/profile.cpuprofile`, JSON.stringify(profile));
    await Deno.writeTextFile(`${values.out}/heap.json`, JSON.stringify(heap));
    console.log(summarizeCpu(profile));
    const title = values.allocations && phase === "burst"
      ? "allocated during the burst (sampled, garbage included), by"
      : "live heap (sampled, allocated by)";
    console.log(summarizeHeap(heap.head, title));
    console.log(
      `V8 heap used/total after GC: ${(usage.usedSize / 1048576).toFixed(1)} / ${
        (usage.totalSize / 1048576).toFixed(1)
      } MiB; process tree rss ${(treeMemory(provider.pid).rss / 1048576).toFixed(1)} MiB`,
    );
    console.log(`written ${values.out}/profile.cpuprofile (open in Chrome DevTools) and heap.json`);
  } finally {
    inspector.close();
    await provider.stop();
    await driver.close();
    await emulator.close();
  }
}

if (import.meta.main) await main();
