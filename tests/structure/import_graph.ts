/**
 * The provider's import graph as Deno resolves it (`deno info --json`), and the layer rule of
 * docs/architecture.md applied to it.
 */

/** One import between two of our modules, as paths relative to the project root. */
export interface ImportEdge {
  readonly from: string;
  readonly to: string;
}

const ROOT = new URL("../../", import.meta.url);

/** Every module of `src/` plus `main.ts`, relative to the project root, sorted. */
export function sourceModules(): string[] {
  const found: string[] = ["main.ts"];
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(new URL(dir, ROOT))) {
      const path = `${dir}${entry.name}`;
      if (entry.isDirectory) walk(`${path}/`);
      else if (entry.name.endsWith(".ts")) found.push(path);
    }
  };
  walk("src/");
  return found.sort();
}

interface DenoInfoModule {
  specifier: string;
  dependencies?: {
    /** A runtime import; absent for `import type`. */
    code?: { specifier?: string };
    /** A type-only import. */
    type?: { specifier?: string };
    isDynamic?: boolean;
  }[];
}

/** What `deno info` found from some roots. */
export interface ImportGraph {
  /** The edges between modules of this project, type-only and dynamic imports included. */
  readonly edges: ImportEdge[];
  /** Every module that runs when the roots are loaded: static runtime imports only. */
  readonly loaded: string[];
}

/** The graph reachable from `roots` (paths relative to the project root). */
export async function importGraph(roots: readonly string[]): Promise<ImportGraph> {
  // deno info takes one root: a throwaway module that imports every root stands for them all.
  const dir = await Deno.makeTempDir({ prefix: "import-graph-" });
  try {
    const entry = `${dir}/roots.ts`;
    const lines = roots.map((root) => `import ${JSON.stringify(new URL(root, ROOT).href)};`);
    await Deno.writeTextFile(entry, lines.join("\n") + "\n");
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json", "--config", new URL("deno.json", ROOT).pathname, entry],
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (!output.success) throw new Error(new TextDecoder().decode(output.stderr));
    const info: { modules: DenoInfoModule[] } = JSON.parse(new TextDecoder().decode(output.stdout));
    const local = (specifier: string) =>
      specifier.startsWith(ROOT.href) ? specifier.slice(ROOT.href.length) : undefined;
    const edges: ImportEdge[] = [];
    for (const module of info.modules) {
      const from = local(module.specifier);
      if (!from) continue;
      for (const dependency of module.dependencies ?? []) {
        for (const resolved of [dependency.code?.specifier, dependency.type?.specifier]) {
          const to = resolved && local(resolved);
          if (to) edges.push({ from, to });
        }
      }
    }
    return { edges, loaded: staticallyLoaded(info.modules, roots.map((root) => new URL(root, ROOT).href)) };
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/**
 * The layers written in docs/architecture.md, top first: the fenced block marked `layers`, one
 * layer a line, each a list of units (a folder of `src/` with a trailing `/`, or a file).
 */
export function documentedLayers(markdown: string): string[][] {
  const block = /```layers\n([\s\S]*?)```/.exec(markdown)?.[1];
  if (!block) throw new Error("docs/architecture.md has no ```layers block");
  return block.split("\n")
    .map((line) => line.replace(/#.*$/, "").trim())
    .filter((line) => line !== "")
    .map((line) => line.split(/\s+/));
}

/** The unit a module belongs to: `main.ts`, `src/<folder>/`, or a file directly in `src/`. */
export function unitOf(module: string): string {
  const match = /^src\/([^/]+\/)/.exec(module);
  if (match) return match[1];
  return module.replace(/^src\//, "");
}

/**
 * Imports that break the layer rule: a module may import its own unit and the units of the
 * layers below its own, nothing beside or above it, and `src/` never imports tests or tools.
 */
export function layerViolations(edges: readonly ImportEdge[], layers: readonly string[][]): string[] {
  const depth = new Map<string, number>();
  layers.forEach((units, index) => units.forEach((unit) => depth.set(unit, index)));
  const violations: string[] = [];
  for (const { from, to } of edges) {
    if (!to.startsWith("src/") && to !== "main.ts") {
      if (from.startsWith("src/") && !to.startsWith("proto/") && to !== "deno.json") {
        violations.push(`${from} imports ${to}, outside src/`);
      }
      continue;
    }
    const [a, b] = [unitOf(from), unitOf(to)];
    if (a === b) continue;
    const [da, db] = [depth.get(a), depth.get(b)];
    if (da === undefined || db === undefined) {
      violations.push(`${from} → ${to}: ${da === undefined ? a : b} is in no layer`);
    } else if (db <= da) {
      violations.push(`${from} imports ${to}: ${b} is ${db === da ? "beside" : "above"} ${a}`);
    }
  }
  return [...new Set(violations)];
}

function staticallyLoaded(modules: readonly DenoInfoModule[], roots: readonly string[]): string[] {
  const bySpecifier = new Map(modules.map((module) => [module.specifier, module]));
  const seen = new Set<string>();
  const pending = [...roots];
  while (pending.length > 0) {
    const specifier = pending.pop()!;
    if (seen.has(specifier)) continue;
    seen.add(specifier);
    for (const dependency of bySpecifier.get(specifier)?.dependencies ?? []) {
      const next = dependency.code?.specifier;
      if (next && !dependency.isDynamic) pending.push(next);
    }
  }
  return [...seen].sort();
}
