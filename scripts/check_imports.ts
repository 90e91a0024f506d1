// Enforces the folder layering of `src/`: no import cycles between its top-level folders (and
// top-level files), no private `_x.ts` file imported from outside its directory, and no source
// file over 400 lines. Usage: `deno run --allow-read scripts/check_imports.ts [ROOT]` (ROOT
// defaults to `src`); exit 1 with one message per violation, exit 0 with one summary line.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, posix, relative, sep } from "node:path";

/**
 * One import that makes an edge between two nodes (top-level folders or files) of the tree.
 *
 * @example
 * ```ts
 * const edge: ImportEdge = {
 *   from: "plan",
 *   to: "runner",
 *   importer: "plan/plan.ts",
 *   imported: "runner/runner.ts",
 *   typeOnly: false,
 * };
 * ```
 */
export interface ImportEdge {
  /** The importing node, e.g. `plan` or `errors.ts`. */
  from: string;
  /** The imported node. */
  to: string;
  /** The importing file, relative to the root. */
  importer: string;
  /** The imported file, relative to the root. */
  imported: string;
  /** Whether the statement is `import type` / `export type`. */
  typeOnly: boolean;
}

/**
 * A cycle between nodes: its members in cycle order and one example import per edge.
 *
 * @example
 * ```ts
 * const cycle: Cycle = { members: ["a", "b"], walk: ["a", "b", "a"], edges: [] };
 * ```
 */
export interface Cycle {
  /** The members in the order the cycle visits them first. */
  members: string[];
  /** A closed walk through every member: it starts and ends at `members[0]`. */
  walk: string[];
  /** The distinct edges of the walk, in walk order, each with one example import. */
  edges: ImportEdge[];
}

/**
 * What {@linkcode checkImports} found; every list is empty when the tree is clean.
 *
 * @example
 * ```ts
 * const report: ImportReport = checkImports(new Map([["a/x.ts", "export const x = 1;\n"]]));
 * console.log(report.nodes); // ["a"]
 * ```
 */
export interface ImportReport {
  /** Every node seen, sorted. */
  nodes: string[];
  /** The number of distinct node-to-node edges. */
  edgeCount: number;
  /** Cycles between nodes (strongly connected components of more than one node). */
  cycles: Cycle[];
  /** Private `_x.ts` files imported from outside their directory. */
  privateLeaks: { importer: string; imported: string }[];
  /** Source files over the line limit. */
  longFiles: { path: string; lines: number }[];
}

/**
 * Options of {@linkcode checkImports}.
 *
 * @example
 * ```ts
 * const options: CheckOptions = { maxLines: 300 };
 * ```
 */
export interface CheckOptions {
  /** The most lines a source file may have; 400 unless told. */
  maxLines?: number;
}

const STATEMENT =
  /^[ \t]*(?:import|export)\b(\s+type\b)?(?:[^;"'`()=]*?\bfrom)?\s*["']([^"'\n]+)["']/gm;
const DYNAMIC = /\bimport\s*\(\s*["']([^"'\n]+)["']\s*\)/g;

/**
 * Lists the relative specifiers a file imports or re-exports, with whether each is type-only.
 *
 * @example
 * ```ts
 * const found = relativeImports('import type { A } from "./a.ts";\nimport "zod";\n');
 * console.log(found); // [{ specifier: "./a.ts", typeOnly: true }]
 * ```
 */
export function relativeImports(source: string): { specifier: string; typeOnly: boolean }[] {
  const found: { specifier: string; typeOnly: boolean }[] = [];
  for (const m of source.matchAll(STATEMENT)) {
    found.push({ specifier: m[2], typeOnly: m[1] !== undefined });
  }
  for (const m of source.matchAll(DYNAMIC)) {
    const lineStart = source.lastIndexOf("\n", m.index) + 1;
    const before = source.slice(lineStart, m.index).trimStart();
    if (before.startsWith("//") || before.startsWith("*") || before.startsWith("/*")) continue;
    found.push({ specifier: m[1], typeOnly: false });
  }
  return found.filter((f) => f.specifier.startsWith("./") || f.specifier.startsWith("../"));
}

function isIgnored(path: string): boolean {
  return path.endsWith("_test.ts") || path.split("/").slice(0, -1).includes("testdata");
}

function nodeOf(path: string): string {
  return path.split("/")[0];
}

function countLines(source: string): number {
  if (source === "") return 0;
  const n = source.split("\n").length;
  return source.endsWith("\n") ? n - 1 : n;
}

function stronglyConnected(nodes: string[], graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    index.set(v, index.size);
    low.set(v, index.get(v)!);
    stack.push(v);
    onStack.add(v);
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, index.get(w)!));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const v of nodes) if (!index.has(v)) visit(v);
  return out.sort((a, b) => a[0].localeCompare(b[0]));
}

/** The shortest path inside `members` from `start` to the first node `goal` accepts. */
function shortestPath(
  start: string,
  goal: (v: string) => boolean,
  members: Set<string>,
  graph: Map<string, Set<string>>,
): string[] {
  const parent = new Map<string, string>([[start, start]]);
  const queue = [start];
  while (queue.length > 0) {
    const v = queue.shift()!;
    for (const w of [...(graph.get(v) ?? [])].sort()) {
      if (!members.has(w)) continue;
      if (goal(w)) {
        const path = [w, v];
        for (let u = v; u !== start; u = parent.get(u)!) path.push(parent.get(u)!);
        return path.reverse();
      }
      if (!parent.has(w)) {
        parent.set(w, v);
        queue.push(w);
      }
    }
  }
  throw new Error(`no path from ${start} inside ${[...members]}`); // unreachable in an SCC
}

/** A closed walk through every member of a strongly connected component, as a node list. */
function closedWalk(component: string[], graph: Map<string, Set<string>>): string[] {
  const members = new Set(component);
  const seen = new Set([component[0]]);
  const walk = [component[0]];
  while (seen.size < members.size) {
    const path = shortestPath(walk.at(-1)!, (v) => !seen.has(v), members, graph);
    for (const v of path.slice(1)) {
      walk.push(v);
      seen.add(v);
    }
  }
  const back = shortestPath(walk.at(-1)!, (v) => v === component[0], members, graph);
  return [...walk, ...back.slice(1)];
}

/**
 * Checks a tree given as root-relative POSIX path -> content: folder cycles, private leaks and
 * long files. Test files (`*_test.ts`) and `testdata/` are ignored; only `.ts` files are read.
 *
 * @example
 * ```ts
 * const report = checkImports(
 *   new Map([
 *     ["a/x.ts", 'import { y } from "../b/y.ts";\n'],
 *     ["b/y.ts", 'import type { X } from "../a/x.ts";\nexport const y = 1;\n'],
 *   ]),
 * );
 * console.log(report.cycles[0].members); // ["a", "b"]
 * ```
 */
export function checkImports(files: Map<string, string>, options: CheckOptions = {}): ImportReport {
  const maxLines = options.maxLines ?? 400;
  const graph = new Map<string, Set<string>>();
  const examples = new Map<string, ImportEdge>();
  const nodes = new Set<string>();
  const leaks = new Map<string, { importer: string; imported: string }>();
  const longFiles: { path: string; lines: number }[] = [];
  for (const path of [...files.keys()].sort()) {
    if (!path.endsWith(".ts") || isIgnored(path)) continue;
    const source = files.get(path)!;
    const from = nodeOf(path);
    nodes.add(from);
    const lines = countLines(source);
    if (lines > maxLines) longFiles.push({ path, lines });
    for (const { specifier, typeOnly } of relativeImports(source)) {
      const imported = posix.normalize(posix.join(posix.dirname(path), specifier));
      if (imported === ".." || imported.startsWith("../")) continue; // outside the root
      const to = nodeOf(imported);
      const targetDir = posix.dirname(imported);
      const importerDir = posix.dirname(path);
      const inside = targetDir === "." || importerDir === targetDir ||
        importerDir.startsWith(`${targetDir}/`);
      if (posix.basename(imported).startsWith("_") && !inside) {
        leaks.set(`${path}\0${imported}`, { importer: path, imported });
      }
      if (from === to) continue;
      nodes.add(to);
      if (!graph.has(from)) graph.set(from, new Set());
      graph.get(from)!.add(to);
      const key = `${from}\0${to}`;
      if (!examples.has(key) || (examples.get(key)!.typeOnly && !typeOnly)) {
        examples.set(key, { from, to, importer: path, imported, typeOnly });
      }
    }
  }
  const sorted = [...nodes].sort();
  const cycles = stronglyConnected(sorted, graph).map((component): Cycle => {
    const walk = closedWalk(component, graph);
    const keys = new Set(walk.slice(1).map((to, i) => `${walk[i]}\0${to}`));
    return { members: [...new Set(walk)], walk, edges: [...keys].map((k) => examples.get(k)!) };
  });
  return {
    nodes: sorted,
    edgeCount: examples.size,
    cycles,
    privateLeaks: [...leaks.values()],
    longFiles,
  };
}

/**
 * Renders a report as lines: one block per violation, then a summary line.
 *
 * @example
 * ```ts
 * const lines = formatReport(checkImports(new Map()), "src");
 * console.log(lines.at(-1)); // "check_imports: OK ..."
 * ```
 */
export function formatReport(report: ImportReport, root: string, maxLines = 400): string[] {
  const at = (p: string) => posix.join(root.split(sep).join("/"), p);
  const out: string[] = [];
  for (const cycle of report.cycles) {
    out.push(`import cycle between ${cycle.members.length} nodes: ${cycle.walk.join(" -> ")}`);
    for (const e of cycle.edges) {
      const kind = e.typeOnly ? " (type-only)" : "";
      out.push(`  ${e.from} -> ${e.to}: ${at(e.importer)} -> ${at(e.imported)}${kind}`);
    }
  }
  for (const leak of report.privateLeaks) {
    out.push(
      `private file imported from outside its directory: ${at(leak.importer)} -> ${
        at(leak.imported)
      }`,
    );
  }
  for (const f of report.longFiles) {
    out.push(`file over ${maxLines} lines: ${at(f.path)} (${f.lines} lines)`);
  }
  const counts = `${report.nodes.length} nodes, ${report.edgeCount} edges`;
  if (out.length === 0) {
    out.push(
      `check_imports: OK (${counts}; no cycles, no private leaks, no file over ${maxLines} lines)`,
    );
  } else {
    out.push(
      `check_imports: FAILED (${counts}): ${report.cycles.length} cycle(s), ` +
        `${report.privateLeaks.length} private leak(s), ${report.longFiles.length} long file(s)`,
    );
  }
  return out;
}

/**
 * Reads every `.ts` file under `root` into a root-relative POSIX path -> content map.
 *
 * @example
 * ```ts
 * const files = readTree("src");
 * console.log(files.size > 0);
 * ```
 */
export function readTree(root: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && entry.name.endsWith(".ts")) {
        files.set(relative(root, full).split(sep).join("/"), readFileSync(full, "utf8"));
      }
    }
  };
  walk(root);
  return files;
}

if (import.meta.main) {
  const root = Deno.args[0] ?? "src";
  if (Deno.args.length > 1 || !statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
    console.error(`usage: deno run --allow-read scripts/check_imports.ts [ROOT]`);
    console.error(Deno.args.length > 1 ? "too many arguments" : `not a directory: ${root}`);
    Deno.exit(2);
  }
  const report = checkImports(readTree(root));
  const lines = formatReport(report, root);
  const failed = lines.length > 1;
  (failed ? console.error : console.log)(lines.join("\n"));
  Deno.exit(failed ? 1 : 0);
}
