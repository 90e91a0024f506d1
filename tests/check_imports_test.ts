// Tests of scripts/check_imports.ts, the folder-layering check of `src/`: synthetic trees through
// checkImports, and one temporary directory through the CLI.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { checkImports, formatReport, relativeImports } from "../scripts/check_imports.ts";

const SCRIPT = fileURLToPath(new URL("../scripts/check_imports.ts", import.meta.url));

function tree(entries: Record<string, string>): Map<string, string> {
  return new Map(Object.entries(entries));
}

function lines(n: number): string {
  return Array.from({ length: n }, (_, i) => `export const x${i} = ${i};\n`).join("");
}

Deno.test("relativeImports finds multi-line, type-only, re-export and dynamic imports", () => {
  const found = relativeImports([
    'import {\n  a,\n  type B,\n} from "./a.ts";',
    'import type {\n  C,\n} from "../c/c.ts";',
    'export type { D } from "./d.ts";',
    'export * from "./e.ts";',
    'import "./f.ts";',
    "type G = typeof import('./g.ts');",
    'import { z } from "zod";',
    'import { readFileSync } from "node:fs";',
    'import cli from "npm:cli-progress";',
    '// import { h } from "./h.ts";',
    ' * import { i } from "./i.ts";',
    'export const j = "./j.ts";',
  ].join("\n"));
  assert.deepEqual(found, [
    { specifier: "./a.ts", typeOnly: false },
    { specifier: "../c/c.ts", typeOnly: true },
    { specifier: "./d.ts", typeOnly: true },
    { specifier: "./e.ts", typeOnly: false },
    { specifier: "./f.ts", typeOnly: false },
    { specifier: "./g.ts", typeOnly: false },
  ]);
});

Deno.test("a value cycle a <-> b is reported with both edges", () => {
  const report = checkImports(tree({
    "a/x.ts": 'import { y } from "../b/y.ts";\nexport const x = y;\n',
    "b/y.ts": 'import {\n  x,\n} from "../a/x.ts";\nexport const y = x;\n',
  }));
  assert.equal(report.cycles.length, 1);
  assert.deepEqual(report.cycles[0].members, ["a", "b"]);
  assert.deepEqual(report.cycles[0].walk, ["a", "b", "a"]);
  assert.deepEqual(report.cycles[0].edges, [
    { from: "a", to: "b", importer: "a/x.ts", imported: "b/y.ts", typeOnly: false },
    { from: "b", to: "a", importer: "b/y.ts", imported: "a/x.ts", typeOnly: false },
  ]);
  const out = formatReport(report, "src").join("\n");
  assert.match(out, /import cycle between 2 nodes: a -> b -> a/);
  assert.match(out, /a -> b: src\/a\/x\.ts -> src\/b\/y\.ts/);
  assert.match(out, /b -> a: src\/b\/y\.ts -> src\/a\/x\.ts/);
  assert.match(out, /FAILED/);
});

Deno.test("a type-only cycle is reported, and a top-level file is its own node", () => {
  const report = checkImports(tree({
    "errors.ts": 'import type { Report } from "./runner/report.ts";\nexport type E = Report;\n',
    "runner/report.ts": 'export type { E } from "../errors.ts";\nexport type Report = 1;\n',
  }));
  assert.equal(report.cycles.length, 1);
  assert.deepEqual(report.cycles[0].members, ["errors.ts", "runner"]);
  assert.deepEqual(report.cycles[0].edges.map((e) => [e.importer, e.imported, e.typeOnly]), [
    ["errors.ts", "runner/report.ts", true],
    ["runner/report.ts", "errors.ts", true],
  ]);
  assert.match(formatReport(report, "src").join("\n"), /\(type-only\)/);
});

Deno.test("a three-folder cycle is reported in cycle order", () => {
  const report = checkImports(tree({
    "a/a.ts": 'import { b } from "../b/b.ts";\nexport const a = b;\n',
    "b/b.ts": 'import { c } from "../c/deep/c.ts";\nexport const b = c;\n',
    "c/deep/c.ts": 'import type { A } from "../../a/a.ts";\nexport const c = 1;\n',
    "d/d.ts": 'import { a } from "../a/a.ts";\nexport const d = a;\n',
  }));
  assert.equal(report.cycles.length, 1);
  assert.deepEqual(report.cycles[0].members, ["a", "b", "c"]);
  assert.deepEqual(report.cycles[0].walk, ["a", "b", "c", "a"]);
  assert.deepEqual(report.cycles[0].edges.map((e) => `${e.importer} -> ${e.imported}`), [
    "a/a.ts -> b/b.ts",
    "b/b.ts -> c/deep/c.ts",
    "c/deep/c.ts -> a/a.ts",
  ]);
});

Deno.test("a private file may be imported from its directory and below, not from a sibling", () => {
  const report = checkImports(tree({
    "transports/ssh/_tar.ts": "export const tar = 1;\n",
    "transports/ssh/ssh.ts": 'import { tar } from "./_tar.ts";\nexport const s = tar;\n',
    "transports/ssh/deep/x.ts": 'import { tar } from "../_tar.ts";\nexport const x = tar;\n',
    "transports/local.ts": 'import { tar } from "./ssh/_tar.ts";\nexport const l = tar;\n',
    "transports/sshx/y.ts": 'import { tar } from "../ssh/_tar.ts";\nexport const y = tar;\n',
    "runner/stage.ts": 'import type { T } from "../transports/ssh/_tar.ts";\nexport type S = T;\n',
  }));
  assert.deepEqual(report.privateLeaks, [
    { importer: "runner/stage.ts", imported: "transports/ssh/_tar.ts" },
    { importer: "transports/local.ts", imported: "transports/ssh/_tar.ts" },
    { importer: "transports/sshx/y.ts", imported: "transports/ssh/_tar.ts" },
  ]);
  assert.deepEqual(report.cycles, []);
  const out = formatReport(report, "src").join("\n");
  assert.ok(
    out.includes(
      "private file imported from outside its directory: " +
        "src/transports/local.ts -> src/transports/ssh/_tar.ts",
    ),
    out,
  );
});

Deno.test("a 401-line file is reported and a 400-line one is not", () => {
  const report = checkImports(tree({
    "a/long.ts": lines(401),
    "a/ok.ts": lines(400),
    "a/ok_no_newline.ts": lines(400).trimEnd(),
  }));
  assert.deepEqual(report.longFiles, [{ path: "a/long.ts", lines: 401 }]);
  assert.match(formatReport(report, "src").join("\n"), /src\/a\/long\.ts \(401 lines\)/);
  assert.deepEqual(checkImports(tree({ "a/x.ts": lines(301) }), { maxLines: 300 }).longFiles, [
    { path: "a/x.ts", lines: 301 },
  ]);
});

Deno.test("test files and testdata are ignored as importers and for length", () => {
  const report = checkImports(tree({
    "a/a.ts": 'import { b } from "../b/b.ts";\nexport const a = b;\n',
    "b/b.ts": "export const b = 1;\n",
    "b/b_test.ts": 'import { a } from "../a/a.ts";\nimport "../a/_p.ts";\n' + lines(500),
    "b/testdata/fixture.ts": 'import { a } from "../../a/a.ts";\nimport "../../a/_p.ts";\n' +
      lines(500),
    "a/_p.ts": "export {};\n",
    "README.md": 'import { a } from "./a/a.ts";\n',
  }));
  assert.deepEqual(report.cycles, []);
  assert.deepEqual(report.privateLeaks, []);
  assert.deepEqual(report.longFiles, []);
  assert.deepEqual(report.nodes, ["a", "b"]);
});

Deno.test("a clean DAG passes, ignoring npm:, node: and bare specifiers", () => {
  const report = checkImports(tree({
    "errors.ts": 'import { z } from "zod";\nexport const e = z;\n',
    "plan/plan.ts": 'import { e } from "../errors.ts";\nimport "node:fs";\nexport const p = e;\n',
    "runner/runner.ts":
      'import { p } from "../plan/plan.ts";\nimport type { E } from "../errors.ts";\n' +
      'import x from "npm:yaml";\nexport const r = [p, x];\nexport type R = E;\n',
    "cli/main.ts": 'export { r } from "../runner/runner.ts";\nimport "../plan/plan.ts";\n',
    "outside.ts": 'import "../mod.ts";\n',
  }));
  assert.deepEqual(report.cycles, []);
  assert.deepEqual(report.privateLeaks, []);
  assert.deepEqual(report.longFiles, []);
  assert.equal(report.edgeCount, 5);
  const out = formatReport(report, "src");
  assert.equal(out.length, 1);
  assert.match(out[0], /^check_imports: OK \(5 nodes, 5 edges;/);
});

async function run(root: string): Promise<{ code: number; out: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", SCRIPT, root],
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code, out: decode(stdout) + decode(stderr) };
}

Deno.test("the CLI exits 1 on violations and 0 on a clean tree", async () => {
  const dir = await Deno.makeTempDir({ prefix: "check-imports-" });
  try {
    await Deno.mkdir(`${dir}/a`);
    await Deno.mkdir(`${dir}/b/deep`, { recursive: true });
    await Deno.writeTextFile(`${dir}/a/a.ts`, 'import { b } from "../b/deep/b.ts";\n');
    await Deno.writeTextFile(`${dir}/b/deep/b.ts`, 'import { a } from "../../a/a.ts";\n');
    await Deno.writeTextFile(`${dir}/b/_p.ts`, "export const p = 1;\n");
    await Deno.writeTextFile(`${dir}/a/p.ts`, 'import { p } from "../b/_p.ts";\n');
    const failing = await run(dir);
    assert.equal(failing.code, 1, failing.out);
    assert.match(failing.out, /import cycle between 2 nodes: a -> b -> a/);
    assert.match(failing.out, /a\/a\.ts -> .*b\/deep\/b\.ts/);
    assert.match(failing.out, /private file imported from outside its directory: .*a\/p\.ts ->/);
    assert.match(failing.out, /FAILED .*1 cycle\(s\), 1 private leak\(s\), 0 long file\(s\)/);

    await Deno.writeTextFile(`${dir}/b/deep/b.ts`, "export const b = 1;\n");
    await Deno.remove(`${dir}/a/p.ts`);
    const passing = await run(dir);
    assert.equal(passing.code, 0, passing.out);
    assert.equal(passing.out.trim().split("\n").length, 1, passing.out);
    assert.match(passing.out, /^check_imports: OK/);

    const missing = await run(`${dir}/nope`);
    assert.equal(missing.code, 2, missing.out);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
