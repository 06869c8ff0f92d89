/**
 * Memory and readiness of a provider process as Linux shows it: resident set sizes from
 * /proc/<pid>/status summed over the process tree (VmRSS, and its split into RssAnon, which a
 * cgroup cannot reclaim without swap, and RssFile, pages of files such as the executable),
 * the moment its socket accepts a connection, and memory cgroups (v1 or v2) to run it under a
 * limit.
 */

/** Resident memory of a process tree, in bytes. */
export interface TreeMemory {
  /** Resident set (VmRSS), summed. */
  readonly rss: number;
  /** Anonymous resident memory (RssAnon): heap, stacks; what a memory limit cannot reclaim. */
  readonly anon: number;
  /** File-backed resident memory (RssFile): the executable's pages and other mapped files. */
  readonly file: number;
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

/** VmRSS, RssAnon, RssFile and VmHWM of `pid`'s whole tree. */
export function treeMemory(pid: number): TreeMemory {
  let rss = 0, anon = 0, file = 0, hwm = 0, processes = 0;
  for (const member of processTree(pid)) {
    let text: string;
    try {
      text = Deno.readTextFileSync(`/proc/${member}/status`);
    } catch {
      continue;
    }
    const kib = (field: string) => Number(text.match(new RegExp(`^${field}:\\s+(\\d+) kB`, "m"))?.[1] ?? 0);
    rss += kib("VmRSS") * 1024;
    anon += kib("RssAnon") * 1024;
    file += (kib("RssFile") + kib("RssShmem")) * 1024;
    hwm += kib("VmHWM") * 1024;
    processes++;
  }
  return { rss, anon, file, hwm, processes };
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

/** Peaks of a sampled period, bytes. */
export interface MemoryPeaks {
  /** VmHWM at the end (exact: the kernel's own peak since the reset). */
  readonly rss: number;
  /** Highest RssAnon and RssFile seen by the sampler (each at its own moment). */
  readonly anon: number;
  readonly file: number;
  /** Lowest RssFile seen: pages of the executable a memory limit took back. */
  readonly fileLow: number;
  readonly samples: number;
}

/**
 * Samples the tree's memory every `intervalMs` until stopped (VmHWM is reset first): the
 * peaks of RssAnon and RssFile need sampling, the kernel keeps a peak of VmRSS only.
 */
export function sampleMemory(pid: number, intervalMs: number) {
  resetPeak(pid);
  let rss = 0, anon = 0, file = 0, fileLow = Infinity, samples = 0;
  const take = () => {
    const now = treeMemory(pid);
    if (now.processes === 0) return;
    rss = Math.max(rss, now.rss, now.hwm);
    anon = Math.max(anon, now.anon);
    file = Math.max(file, now.file);
    fileLow = Math.min(fileLow, now.file);
    samples++;
  };
  take();
  const timer = setInterval(take, intervalMs);
  return {
    stop(): MemoryPeaks {
      clearInterval(timer);
      take();
      return { rss, anon, file, fileLow: Number.isFinite(fileLow) ? fileLow : 0, samples };
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

/**
 * Major page faults of the process tree so far: pages read back from disk, such as the
 * executable's pages after a memory limit took them.
 */
export function treeMajorFaults(pid: number): number {
  let faults = 0;
  for (const member of processTree(pid)) {
    try {
      const fields = Deno.readTextFileSync(`/proc/${member}/stat`).split(")").pop()!.trim().split(/\s+/);
      faults += Number(fields[9]); // majflt (field 12)
    } catch {
      // exited
    }
  }
  return faults;
}

/** What a memory cgroup saw, bytes. */
export interface CgroupMemory {
  /** Highest charge (memory.peak, v2; memory.max_usage_in_bytes, v1). */
  readonly peak: number;
  /** Anonymous and file-backed memory charged now (memory.stat anon/file, v1 rss/cache). */
  readonly anon: number;
  readonly file: number;
  /** Times the limit was hit (v1 memory.failcnt; v2 memory.events max): each one reclaim. */
  readonly limitHits: number;
  readonly oomKills: number;
}

/**
 * A memory cgroup of its own with a limit, as a pod's container has: a child of the cgroup
 * this process runs in (so nothing outside our own subtree is touched), v2 or v1, whichever
 * the machine mounts writable. `launcher()` is a command prefix that moves the started
 * process into it before it execs the real command, so every page it touches is charged here.
 */
export class MemoryCgroup {
  private constructor(readonly path: string, readonly version: 1 | 2, readonly limit: number) {}

  /** Creates the cgroup; throws with the reason when this machine does not allow it. */
  static create(name: string, limit: number): MemoryCgroup {
    const own = Deno.readTextFileSync("/proc/self/cgroup").split("\n");
    const v2 = own.find((line) => line.startsWith("0::"))?.slice(3);
    const v1 = own.find((line) => /^\d+:([^:]*,)?memory(,[^:]*)?:/.test(line))?.split(":")[2];
    const attempts: string[] = [];
    const candidates: [string, 1 | 2][] = [];
    for (const root of ["/sys/fs/cgroup", "/sys/fs/cgroup/unified"]) {
      if (v2 !== undefined) candidates.push([`${root}${v2 === "/" ? "" : v2}`, 2]);
    }
    if (v1 !== undefined) candidates.push([`/sys/fs/cgroup/memory${v1 === "/" ? "" : v1}`, 1]);
    for (const [parent, version] of candidates) {
      const limitFile = version === 2 ? "memory.max" : "memory.limit_in_bytes";
      try {
        if (version === 2 && !Deno.readTextFileSync(`${parent}/cgroup.controllers`).includes("memory")) {
          attempts.push(`${parent}: no memory controller`);
          continue;
        }
        const path = `${parent}/${name}`;
        Deno.mkdirSync(path);
        try {
          Deno.writeTextFileSync(`${path}/${limitFile}`, String(limit));
        } catch (error) {
          Deno.removeSync(path);
          throw error;
        }
        return new MemoryCgroup(path, version, limit);
      } catch (error) {
        attempts.push(`${parent}: ${(error as Error).message}`);
      }
    }
    throw new Error(`no writable memory cgroup (${attempts.join("; ") || "none mounted"})`);
  }

  /** `sh -c 'echo $$ > cgroup.procs && exec "$@"'`: prefix for the command to run inside. */
  launcher(): string[] {
    return ["/bin/sh", "-c", `echo $$ > '${this.path}/cgroup.procs' && exec "$@"`, "sh"];
  }

  read(): CgroupMemory {
    const text = (file: string) => {
      try {
        return Deno.readTextFileSync(`${this.path}/${file}`);
      } catch {
        return "";
      }
    };
    const field = (body: string, name: string) =>
      Number(body.match(new RegExp(`^${name} (\\d+)$`, "m"))?.[1] ?? 0);
    const stat = text("memory.stat");
    if (this.version === 2) {
      const events = text("memory.events");
      return {
        peak: Number(text("memory.peak").trim() || 0),
        anon: field(stat, "anon"),
        file: field(stat, "file"),
        limitHits: field(events, "max"),
        oomKills: field(events, "oom_kill"),
      };
    }
    return {
      peak: Number(text("memory.max_usage_in_bytes").trim() || 0),
      anon: field(stat, "rss"),
      file: field(stat, "cache"),
      limitHits: Number(text("memory.failcnt").trim() || 0),
      oomKills: field(text("memory.oom_control"), "oom_kill"),
    };
  }

  /** Removes the cgroup once its processes have exited. */
  async remove(): Promise<void> {
    for (let i = 0; i < 50; i++) {
      try {
        Deno.removeSync(this.path);
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
  }
}

/**
 * A copy of `executable` whose pages are not in the page cache, so that a process started from
 * it under a memory cgroup has its executable's pages charged to that cgroup, as a container's
 * own binary is (a page cache page is charged to the cgroup that first reads it; the shared
 * `deno` on this machine has been read by everyone). Needs python3 for posix_fadvise.
 */
export async function uncachedCopy(executable: string, dir: string): Promise<string> {
  const copy = `${dir}/${executable.split("/").pop()}`;
  const script = "import os,shutil,sys\n" +
    "shutil.copy2(sys.argv[1], sys.argv[2])\n" +
    "fd = os.open(sys.argv[2], os.O_RDONLY)\n" +
    "os.fsync(fd)\n" +
    "os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)\n" +
    "os.close(fd)\n";
  const output = await new Deno.Command("/usr/bin/python3", {
    args: ["-c", script, executable, copy],
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!output.success) throw new Error(`copying ${executable}: ${new TextDecoder().decode(output.stderr)}`);
  return copy;
}
