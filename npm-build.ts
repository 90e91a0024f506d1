/**
 * Builds the npm package into `dist/npm/`: ESM with `.d.ts` types that runs on Node 20, the npm
 * dependencies of deno.json, the `.`, `./compat` and `./cli` entry points, a `dpdisp` bin and the
 * README. Prints the path of the tarball, ready for `npm install <tarball>` or `npm publish`.
 *
 *     deno run -A npm-build.ts
 *
 * Steps: `deno pack` compiles (TypeScript to JavaScript, fast-check `.d.ts`, `.ts` imports
 * rewritten to `.js`, a package.json with conditional exports). It packs only what deno.json
 * exports, so it runs on a staged copy whose deno.json also exports the bin. Its JavaScript keeps
 * the newest syntax (`await using`), which Node 20 cannot parse, so esbuild (through `npx`) lowers
 * it to Node 20 syntax, keeping the source maps. This script also adjusts the package.json (bin,
 * dependencies, engines), inlines JSON module imports (Node 20 warns on them, and deno.json is
 * never packed), checks that every import resolves, and packs the result with `npm pack`.
 *
 * @module
 */
import { Buffer } from "node:buffer";
import { execFileSync, spawnSync } from "node:child_process";
import {
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { builtinModules } from "node:module";
import { basename, dirname, join, relative, resolve } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";

const ROOT = dirname(fileURLToPath(import.meta.url));
/** Where the build goes: `dist/npm/package/` (the unpacked package) and the tarball beside it. */
export const OUT_DIR: string = join(ROOT, "dist", "npm");
/** The esbuild that lowers the syntax, run with `npx`. */
const ESBUILD = "esbuild@0.28.2";
/** The oldest Node the package runs on. */
const NODE_TARGET = "node20";
const BIN_SOURCE = "./src/cli/bin.ts";
const BIN_EXPORT = "./__dpdisp_bin";

interface DenoJson {
  name: string;
  version: string;
  exports: Record<string, string>;
  imports?: Record<string, string>;
  [key: string]: unknown;
}

interface PackageJson {
  name: string;
  version: string;
  exports: Record<string, unknown>;
  dependencies?: Record<string, string>;
  [key: string]: unknown;
}

/** The package name and version range of an `npm:` specifier (`npm:@a/b@^1/sub` -> `@a/b`, `^1`). */
export function parseNpmSpecifier(spec: string): { name: string; range: string } | undefined {
  const m = /^npm:\/?((?:@[^/@]+\/)?[^/@]+)(?:@([^/]+))?/.exec(spec);
  return m ? { name: m[1], range: m[2] ?? "*" } : undefined;
}

/** Options of {@linkcode buildNpm}. */
export interface BuildNpmOptions {
  /** Where to build; emptied first. @default {"dist/npm" in the repository} */
  outDir?: string;
  /** Print nothing. @default {false} */
  quiet?: boolean;
}

/** Builds the package; returns the absolute path of the tarball. */
export function buildNpm(options: BuildNpmOptions = {}): string {
  const log = options.quiet ? () => {} : (s: string) => console.error(s);
  const outDir = resolve(options.outDir ?? OUT_DIR);
  const denoJson: DenoJson = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8"));
  if (!relative(outDir, ROOT).startsWith("..")) {
    throw new RangeError(`Cannot build into "${outDir}": it holds the repository`);
  }
  rmSync(outDir, { recursive: true, force: true });
  const stage = join(outDir, "stage");
  const pkgDir = join(outDir, "package");
  mkdirSync(stage, { recursive: true });

  // 1. Stage the sources with a deno.json that also exports the bin, so deno pack compiles it.
  for (const file of ["mod.ts", "README.md", "LICENSE", "deno.lock"]) {
    if (existsSync(join(ROOT, file))) cpSync(join(ROOT, file), join(stage, file));
  }
  cpSync(join(ROOT, "src"), join(stage, "src"), {
    recursive: true,
    filter: (src) => !/_test\.ts$|\/testdata$/.test(src),
  });
  const staged = {
    ...denoJson,
    exports: { ...denoJson.exports, [BIN_EXPORT]: BIN_SOURCE },
    nodeModulesDir: "none",
  };
  writeFileSync(join(stage, "deno.json"), JSON.stringify(staged, null, 2));

  // 2. deno pack: ESM, .d.ts, package.json with exports and the dependencies it saw.
  const packed = join(outDir, "deno-pack.tgz");
  log(`deno pack (${denoJson.name}@${denoJson.version})`);
  run(Deno.execPath(), ["pack", "--allow-dirty", "--ignore=deno.lock", "--output", packed], {
    cwd: stage,
    log,
  });
  execFileSync("tar", ["-xzf", packed, "-C", outDir]);
  rmSync(packed);
  rmSync(stage, { recursive: true });

  // 3. package.json: bin instead of the staging export, every npm import of deno.json declared.
  const pkgFile = join(pkgDir, "package.json");
  const pkg: PackageJson = JSON.parse(readFileSync(pkgFile, "utf8"));
  const binExport = pkg.exports[BIN_EXPORT] as { import: string } | undefined;
  if (!binExport) throw new Error(`deno pack did not build "${BIN_SOURCE}"`);
  delete pkg.exports[BIN_EXPORT];
  const dependencies = { ...pkg.dependencies };
  for (const spec of Object.values(denoJson.imports ?? {})) {
    const dep = parseNpmSpecifier(spec);
    if (dep) dependencies[dep.name] ??= dep.range;
    else if (spec.startsWith("jsr:")) {
      log(`not declared: deno.json imports "${spec}"; an import of it fails the check below`);
    }
  }
  const out: PackageJson = {
    name: pkg.name,
    version: pkg.version,
    description:
      "Send batches of computational tasks to HPC clusters and bring the results home, exactly once",
    license: pkg.license,
    type: "module",
    main: pkg.main,
    types: pkg.types,
    exports: pkg.exports,
    bin: { dpdisp: binExport.import },
    engines: { node: ">=20" },
    dependencies: Object.fromEntries(Object.entries(dependencies).sort()),
  };
  writeFileSync(pkgFile, JSON.stringify(out, null, 2) + "\n");

  // 4. Drop TypeScript sources deno pack copied as assets (no export reaches them); inline JSON
  // module imports.
  const files = [...walk(pkgDir)];
  for (const file of files) {
    if (/\.[mc]?tsx?$/.test(file) && !/\.d\.[mc]?ts$/.test(file)) {
      log(`left out ${relative(pkgDir, file)}: no export of deno.json reaches it`);
      rmSync(file);
    } else if (file.endsWith(".js")) inlineJsonImports(file, join(ROOT, relative(pkgDir, file)));
  }
  const jsFiles = files.filter((f) => f.endsWith(".js"));

  // 5. Lower the syntax to Node 20; the source maps then point at the TypeScript, by relative path.
  log(`esbuild --target=${NODE_TARGET}`);
  run("npx", [
    "-y",
    ESBUILD,
    ...jsFiles.map((f) => relative(pkgDir, f)),
    "--outdir=.",
    "--allow-overwrite",
    "--format=esm",
    "--platform=node",
    `--target=${NODE_TARGET}`,
    "--sourcemap=inline",
    "--log-level=warning",
  ], { cwd: pkgDir, log });
  for (const file of jsFiles) relativeSourceMap(file);

  // 6. The bin runs as a program: shebang first, executable.
  const binFile = join(pkgDir, binExport.import);
  const binText = readFileSync(binFile, "utf8");
  if (!binText.startsWith("#!")) writeFileSync(binFile, `#!/usr/bin/env node\n${binText}`);
  chmodSync(binFile, 0o755);

  // 7. Every import resolves under Node: relative files exist, bare names are dependencies.
  const declared = new Set(Object.keys(dependencies));
  for (const file of walk(pkgDir)) {
    if (!/\.(js|d\.ts)$/.test(file)) continue;
    for (const spec of importSpecifiers(readFileSync(file, "utf8"))) {
      const where = `${relative(pkgDir, file)} imports "${spec}"`;
      if (spec.startsWith(".")) {
        if (!existsSync(resolve(dirname(file), spec))) throw new Error(`${where}: no such file`);
      } else if (!isBuiltin(spec) && !declared.has(packageName(spec))) {
        throw new Error(`${where}: not a dependency of the package`);
      }
    }
  }

  // 8. npm pack, as users will install it.
  const name = execFileSync("npm", ["pack", "--pack-destination", outDir, "--silent"], {
    cwd: pkgDir,
    encoding: "utf8",
  }).trim().split("\n").pop()!;
  return join(outDir, name);
}

function run(cmd: string, args: string[], options: { cwd: string; log: (s: string) => void }) {
  const result = spawnSync(cmd, args, {
    cwd: options.cwd,
    encoding: "utf8",
    env: { ...process.env, NO_COLOR: "1" },
  });
  const output = `${result.stdout ?? ""}${result.stderr ?? ""}`.trimEnd();
  if (result.status !== 0) {
    throw new Error(
      `${basename(cmd)} ${args.slice(0, 2).join(" ")} exited with code ${result.status}` +
        (result.error ? `: ${result.error.message}` : "") + `\n${output}`,
    );
  }
  // deno pack names every internal module that has no .d.ts of its own: none is part of the
  // public types (tests/npm_test.ts type-checks a consumer with tsc), so one line says so.
  const noTypes =
    /^Could not generate types for '.*'\. Types will not be included for this module\.$/;
  const lines = output.split("\n").filter((l) => l !== "");
  const internal = lines.filter((l) => noTypes.test(l)).length;
  const rest = lines.filter((l) => !noTypes.test(l));
  if (internal > 0) {
    rest.push(`${internal} internal modules have no .d.ts of their own (not public)`);
  }
  if (rest.length > 0) options.log(rest.join("\n"));
}

/** Replaces `import x from "./a.json" with { type: "json" }` by the JSON, keeping line numbers. */
function inlineJsonImports(file: string, sourceFile: string): void {
  const text = readFileSync(file, "utf8");
  const inlined = text.replace(
    /import\s+([\w$]+)\s+from\s+"(\.{1,2}\/[^"]+\.json)"\s+with\s*\{\s*type:\s*"json"\s*\};?/g,
    (whole, name: string, path: string) => {
      const json = JSON.parse(readFileSync(resolve(dirname(sourceFile), path), "utf8"));
      return `const ${name} = ${JSON.stringify(json)};${"\n".repeat(whole.split("\n").length - 1)}`;
    },
  );
  if (inlined !== text) writeFileSync(file, inlined);
}

/** Rewrites an inline source map's sources (absolute staging URLs) to paths relative to the file. */
function relativeSourceMap(file: string): void {
  const text = readFileSync(file, "utf8");
  const re = /(\/\/# sourceMappingURL=data:application\/json;base64,)([A-Za-z0-9+/=]+)\s*$/;
  const m = re.exec(text);
  if (!m) return;
  const map = JSON.parse(Buffer.from(m[2], "base64").toString("utf8"));
  map.sources = (map.sources as string[]).map((s) => `./${basename(s)}`);
  const encoded = Buffer.from(JSON.stringify(map)).toString("base64");
  writeFileSync(file, text.slice(0, m.index) + m[1] + encoded + "\n");
}

function* walk(dir: string): Generator<string> {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* walk(path);
    else yield path;
  }
}

/** The module specifiers a JS or .d.ts file imports (comments, where examples live, skipped). */
function importSpecifiers(source: string): string[] {
  const text = source.replace(/\/\*[\s\S]*?\*\//g, "").replace(/^\s*\/\/.*$/gm, "");
  const specs: string[] = [];
  const re =
    /(?:^|[\s;}])(?:import|export)\s[^"'`;]*?from\s*["']([^"']+)["']|import\(\s*["']([^"']+)["']\s*\)|^import\s*["']([^"']+)["']/gm;
  for (const m of text.matchAll(re)) specs.push(m[1] ?? m[2] ?? m[3]);
  return specs;
}

function isBuiltin(spec: string): boolean {
  return spec.startsWith("node:") || builtinModules.includes(spec.split("/")[0]);
}

function packageName(spec: string): string {
  const parts = spec.split("/");
  return spec.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0];
}

if (import.meta.main) console.log(buildNpm());
