/**
 * Memory and readiness of a provider process as Linux shows it: resident set sizes from
 * /proc/<pid>/status summed over the process tree, and the moment its socket accepts a
 * connection.
 */

/** Resident memory of a process tree, in bytes. */
export interface TreeMemory {
  /** Current resident set (VmRSS), summed. */
  readonly rss: number;
  /** Peak resident set since start or the last {@link resetPeak} (VmHWM), summed. */
  readonly hwm: number;
  /** Processes counted. */
  readonly processes: number;
}

/** The pids of `pid` and all its descendants (threads' children included). */
export function processTree(pid: number): number[] {
  const seen: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    const next = pending.pop()!;
    if (seen.includes(next)) continue;
    seen.push(next);
    let tasks: string[] = [];
    try {
      tasks = [...Deno.readDirSync(`/proc/${next}/task`)].map((entry) => entry.name);
    } catch {
      continue; // exited
    }
    for (const task of tasks) {
      try {
        const children = Deno.readTextFileSync(`/proc/${next}/task/${task}/children`).trim();
        if (children) pending.push(...children.split(/\s+/).map(Number));
      } catch {
        // the thread ended meanwhile
      }
    }
  }
  return seen;
}

/** VmRSS and VmHWM of `pid`'s whole tree. */
export function treeMemory(pid: number): TreeMemory {
  let rss = 0;
  let hwm = 0;
  let processes = 0;
  for (const member of processTree(pid)) {
    const status = readStatus(member);
    if (!status) continue;
    rss += status.rss;
    hwm += status.hwm;
    processes++;
  }
  return { rss, hwm, processes };
}

/** Resets the peak (VmHWM) of every process in the tree to its current RSS. */
export function resetPeak(pid: number): void {
  for (const member of processTree(pid)) {
    try {
      Deno.writeTextFileSync(`/proc/${member}/clear_refs`, "5");
    } catch {
      // not ours to reset, or exited: the peak then covers the whole life
    }
  }
}

function readStatus(pid: number): { rss: number; hwm: number } | undefined {
  let text: string;
  try {
    text = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return undefined;
  }
  const kib = (field: string) => Number(text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
  return { rss: kib("VmRSS") * 1024, hwm: kib("VmHWM") * 1024 };
}

/**
 * Samples the tree's RSS every `intervalMs` until stopped; the samples carry times relative
 * to `origin` (a performance.now() value).
 */
export function sampleMemory(pid: number, intervalMs: number, origin: number) {
  const samples: { t: number; rss: number }[] = [];
  const take = () => samples.push({ t: performance.now() - origin, rss: treeMemory(pid).rss });
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop(): { t: number; rss: number }[] {
      clearInterval(timer);
      take();
      return samples;
    },
  };
}

/**
 * Waits until a Unix socket accepts a connection and returns when it did (performance.now()),
 * polling every `pollMs`. Fails when `exited` settles first or after `timeoutMs`.
 */
export async function waitForSocket(
  path: string,
  exited: Promise<unknown>,
  options: { pollMs?: number; timeoutMs?: number } = {},
): Promise<number> {
  const pollMs = options.pollMs ?? 2;
  const deadline = performance.now() + (options.timeoutMs ?? 30_000);
  let gone = false;
  exited.then(() => gone = true, () => gone = true);
  while (!gone && performance.now() < deadline) {
    try {
      const connection = await Deno.connect({ transport: "unix", path });
      const at = performance.now();
      connection.close();
      return at;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, pollMs));
    }
  }
  throw new Error(gone ? `the provider exited before ${path} accepted a connection` : `timed out on ${path}`);
}

/** CPU time (user + system) the process tree has used so far, in milliseconds. */
export function treeCpuMs(pid: number): number {
  let ticks = 0;
  for (const member of processTree(pid)) {
    try {
      // Fields after the command name (which may hold spaces) start at ")".
      const fields = Deno.readTextFileSync(`/proc/${member}/stat`).split(")").pop()!.trim().split(/\s+/);
      ticks += Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
    } catch {
      // exited
    }
  }
  return ticks * 10; // USER_HZ is 100 on Linux
}
