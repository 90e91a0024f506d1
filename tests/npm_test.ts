// The npm package, as a Node 20 user gets it: build the tarball (npm-build.ts), install it into a
// fresh Node project, run a real local Shell submission and the `dpdisp` bin with plain `node`,
// and type-check a consumer file with `tsc`.
//
// Node and npm must be on PATH; without them the test skips, unless DPD_REQUIRE_NODE=1 (CI), which
// turns their absence into a failure. DPD_NPM_TARBALL=path reuses a tarball built earlier.
// TypeScript is installed once into ~/.cache/dpd-npm-test (DPD_NPM_TEST_CACHE overrides it).
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { userInfo } from "node:os";
import { join } from "node:path";
import { buildNpm } from "../npm-build.ts";
import denoJson from "../deno.json" with { type: "json" };
import { tempDir } from "./_helpers.ts";

const TYPESCRIPT = "typescript@5.9.3";
const TYPES_NODE = "@types/node@20";
const NPM_FLAGS = ["--no-audit", "--no-fund", "--prefer-offline", "--loglevel=error"];

function sh(cmd: string, args: string[], cwd: string): SpawnSyncReturns<string> {
  const result = spawnSync(cmd, args, { cwd, encoding: "utf8" });
  if (result.error) throw result.error;
  return result;
}

function ok(result: SpawnSyncReturns<string>, what: string): string {
  assert.equal(
    result.status,
    0,
    `${what} exited with code ${result.status}\n${result.stdout}\n${result.stderr}`,
  );
  return result.stdout;
}

/** The absolute path of an executable on PATH. (Deno runs itself for a bare "node" it can't find.) */
function which(name: string): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    const path = join(dir || ".", name);
    try {
      if (statSync(path).isFile() && (statSync(path).mode & 0o111) !== 0) return path;
    } catch {
      // not here
    }
  }
  return undefined;
}

const NODE = which("node") ?? "node";

/** Why Node cannot run the test here, or undefined when it can. */
function nodeMissing(): string | undefined {
  if (!which("node")) return `no "node" on PATH`;
  const probe = spawnSync(NODE, ["-p", "typeof Deno + ' ' + process.version"], {
    encoding: "utf8",
  });
  const [deno, version] = (probe.stdout ?? "").trim().split(" ");
  if (probe.status !== 0 || deno !== "undefined") {
    return `"${NODE}" is not Node (Deno puts a "node" of its own on PATH when there is none)`;
  }
  if (Number(/^v(\d+)/.exec(version)?.[1]) < 20) {
    return `node is ${version}, the package needs >= 20`;
  }
  if (!which("npm")) return `no "npm" on PATH`;
  return undefined;
}

function skipNode(): boolean {
  const why = nodeMissing();
  if (why === undefined) return false;
  if (Deno.env.get("DPD_REQUIRE_NODE") === "1") {
    throw new Error(`DPD_REQUIRE_NODE=1 but Node 20 cannot run here: ${why}`);
  }
  console.warn(`Skipping the npm package test: ${why} (install Node 20 with npm)`);
  return true;
}

/** TypeScript and Node's types, installed once per version in a stable cache directory. */
function typescriptTools(): { tsc: string; typeRoots: string } {
  const cache = Deno.env.get("DPD_NPM_TEST_CACHE") ??
    join(userInfo().homedir, ".cache", "dpd-npm-test");
  const dir = join(cache, `${TYPESCRIPT}+${TYPES_NODE}`.replaceAll("/", "_"));
  const tsc = join(dir, "node_modules", "typescript", "bin", "tsc");
  if (!existsSync(tsc)) {
    const partial = `${dir}.${Deno.pid}.partial`;
    rmSync(partial, { recursive: true, force: true });
    mkdirSync(partial, { recursive: true });
    writeFileSync(join(partial, "package.json"), '{ "private": true }\n');
    ok(
      sh("npm", ["install", ...NPM_FLAGS, "--ignore-scripts", TYPESCRIPT, TYPES_NODE], partial),
      `npm install ${TYPESCRIPT}`,
    );
    rmSync(dir, { recursive: true, force: true });
    renameSync(partial, dir);
  }
  return { tsc, typeRoots: join(dir, "node_modules", "@types") };
}

const SUBMIT_MJS = `
import { mkdirSync, writeFileSync } from "node:fs";
import { dispatch, resources, task, lazyLocal, shell } from "@deepmodeling/dpdispatcher";

const workBase = process.argv[2];
const tasks = [0, 1, 2].map((i) => {
  mkdirSync(\`\${workBase}/task-\${i}\`, { recursive: true });
  writeFileSync(\`\${workBase}/task-\${i}/input.txt\`, \`line \${i}\\n\`.repeat(i + 1));
  return task({
    command: "wc -l < input.txt > lines.txt && echo node > runtime.txt",
    taskWorkPath: \`task-\${i}\`,
    forwardFiles: ["input.txt"],
    backwardFiles: ["lines.txt", "runtime.txt"],
  });
});
const events = [];
const report = await dispatch({ workBase })
  .on(shell(lazyLocal()))
  .with(resources({ groupSize: 2 }))
  .tasks(tasks)
  .run({ onEvent: (e) => events.push(e.type), pollInterval: 0.1 });
console.log(JSON.stringify({
  ok: report.ok,
  jobs: report.jobs.length,
  tasks: report.tasks.map((t) => ({ path: t.taskWorkPath, state: t.state, dir: t.resultsDir, missing: t.missing })),
  events,
}));
`;

const CONSUMER_TS = `
import { dispatch, type RunReport, type TaskReport, resources, task } from "@deepmodeling/dpdispatcher";
import { loadSubmission } from "@deepmodeling/dpdispatcher/compat";

export async function runIt(): Promise<string[]> {
  const report: RunReport = await dispatch({ workBase: "work" })
    .with(resources({ groupSize: 2, walltime: "1h" }))
    .tasks(task({ command: "true", taskWorkPath: "t0", backwardFiles: ["out.txt"] }))
    .run();
  const ok: boolean = report.ok;
  const tasks: readonly TaskReport[] = report.tasks;
  const loaded = loadSubmission({});
  return [String(ok), ...tasks.map((t) => t.taskWorkPath), String(loaded.builder.toPlan().runId)];
}
`;

// Each line must fail to type-check: the types are real, not `any`.
const WRONG_TS = `
import { dispatch, resources, task } from "@deepmodeling/dpdispatcher";

export async function wrong(): Promise<void> {
  const report = await dispatch({ workBase: "work" }).run();
  const ok: number = report.ok; // WRONG 1
  task({ command: 42, taskWorkPath: "t0" }); // WRONG 2
  resources({ groupSize: "two" }); // WRONG 3
  dispatch({ workBase: "work" }).nonexistentMethod(); // WRONG 4
  console.log(ok);
}
`;

Deno.test({
  name: "npm package: installs into a Node 20 project, runs a Shell submission, dpdisp, tsc",
  ignore: skipNode(),
  async fn(t) {
    const dir = await tempDir("dpd-npm-test-");
    let tarball = Deno.env.get("DPD_NPM_TARBALL") ?? "";
    const project = join(dir, "consumer");
    const pkg = join(project, "node_modules", "@deepmodeling", "dpdispatcher");

    await t.step("build the tarball", () => {
      tarball ||= buildNpm({ outDir: join(dir, "build"), quiet: true });
      assert.ok(existsSync(tarball), `no tarball at ${tarball}`);
    });

    await t.step("npm install the tarball into a fresh Node project", () => {
      mkdirSync(project);
      writeFileSync(
        join(project, "package.json"),
        JSON.stringify({ name: "consumer", private: true, type: "module" }),
      );
      // --ignore-scripts: the package has none; ssh2's optional native addon would only slow this.
      ok(sh("npm", ["install", ...NPM_FLAGS, "--ignore-scripts", tarball], project), "npm install");
      const manifest = JSON.parse(readFileSync(join(pkg, "package.json"), "utf8"));
      assert.equal(manifest.name, denoJson.name);
      assert.equal(manifest.version, denoJson.version);
      assert.equal(manifest.type, "module");
      assert.deepEqual(Object.keys(manifest.exports).sort(), [
        ".",
        "./cli",
        "./compat",
        "./testing",
      ]);
      for (const spec of Object.values(denoJson.imports as Record<string, string>)) {
        const name = /^npm:((?:@[^/@]+\/)?[^/@]+)/.exec(spec)?.[1];
        if (name) assert.ok(manifest.dependencies[name], `dependency ${name} is not declared`);
      }
      assert.ok(existsSync(join(pkg, "README.md")), "README.md is not in the package");
      assert.ok(existsSync(join(pkg, "mod.d.ts")), "mod.d.ts is not in the package");
    });

    await t.step("plain node runs a real local Shell submission", () => {
      writeFileSync(join(project, "submit.mjs"), SUBMIT_MJS);
      const workBase = join(dir, "work");
      const out = ok(sh(NODE, ["submit.mjs", workBase], project), "node submit.mjs");
      const result = JSON.parse(out.trim().split("\n").pop()!);
      assert.equal(result.ok, true, out);
      assert.equal(result.jobs, 2);
      assert.deepEqual(result.tasks.map((x: { path: string }) => x.path), [
        "task-0",
        "task-1",
        "task-2",
      ]);
      assert.ok(result.events.includes("run:start") && result.events.includes("run:end"), out);
      for (const [i, task] of result.tasks.entries()) {
        assert.equal(task.state, "finished", out);
        assert.deepEqual(task.missing, []);
        assert.equal(readFileSync(join(task.dir, "lines.txt"), "utf8").trim(), String(i + 1));
        assert.equal(readFileSync(join(task.dir, "runtime.txt"), "utf8"), "node\n");
      }
      // A second run re-attaches to the finished run and runs nothing again.
      const again = JSON.parse(
        ok(sh(NODE, ["submit.mjs", workBase], project), "second node submit.mjs").trim(),
      );
      assert.equal(again.ok, true);
      assert.ok(!again.events.includes("job:submitted"), `resubmitted: ${again.events}`);
    });

    await t.step("the README's run.mjs runs as written, from the project directory", () => {
      const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
      const block = /```js\n(\/\/ run\.mjs[^]*?)```/.exec(readme)?.[1];
      assert.ok(block, "README.md has no run.mjs block");
      writeFileSync(join(project, "run.mjs"), block);
      const out = ok(sh(NODE, ["run.mjs"], project), "node run.mjs");
      assert.match(out, new RegExp(`^true ${join(project, "work", "t0")}$`, "m"));
      assert.ok(readFileSync(join(project, "work", "t0", "out.txt"), "utf8").length > 1);
    });

    await t.step(
      "npm install -g puts a dpdisp that works from any directory, paths relative to it",
      () => {
        // The README's install line, into a private prefix instead of the system's.
        const prefix = join(dir, "global");
        ok(
          sh("npm", [
            "install",
            "-g",
            ...NPM_FLAGS,
            "--ignore-scripts",
            "--prefix",
            prefix,
            tarball,
          ], dir),
          "npm install -g",
        );
        const bin = join(prefix, "bin", "dpdisp");
        const scratch = join(dir, "scratch");
        mkdirSync(join(scratch, "work", "t0"), { recursive: true });
        writeFileSync(join(scratch, "work", "t0", "in.txt"), "hello\n");
        writeFileSync(
          join(scratch, "sub.json"),
          JSON.stringify({
            work_base: "work/",
            machine: { batch_type: "Shell", context_type: "LazyLocalContext", local_root: "./" },
            resources: { group_size: 1 },
            task_list: [{
              command: "cat in.txt > out.txt",
              task_work_path: "t0/",
              forward_files: ["in.txt"],
              backward_files: ["out.txt"],
            }],
          }),
        );
        const submitted = sh(bin, ["submit", "sub.json"], scratch);
        assert.equal(submitted.status, 0, submitted.stdout + submitted.stderr);
        assert.equal(readFileSync(join(scratch, "work", "t0", "out.txt"), "utf8"), "hello\n");
        const status = sh(bin, ["status", "sub.json"], scratch);
        assert.equal(status.status, 0, status.stderr);
        assert.match(status.stdout, /1 jobs \(1 finished, 0 failed\), 1\/1 tasks done/);
      },
    );

    await t.step("the dpdisp bin runs under node", () => {
      const bin = join(project, "node_modules", ".bin", "dpdisp");
      const help = sh(bin, ["--help"], project);
      assert.equal(help.status, 0, help.stderr);
      assert.match(help.stdout, new RegExp(`^dpdisp ${denoJson.version}: `));
      assert.match(help.stdout, /^Usage:.*\bdpdisp\b/m);
      assert.match(help.stdout, /\bsubmit\b/);
      assert.equal(help.stderr, "", "dpdisp --help wrote to stderr");
      const version = sh(bin, ["--version"], project);
      assert.equal(version.stdout.trim(), denoJson.version);
      const bad = sh(bin, ["no-such-command"], project);
      assert.equal(bad.status, 2, bad.stderr);
      assert.match(bad.stderr, /unknown command "no-such-command"/);
    });

    await t.step("tsc type-checks a consumer, and rejects wrong uses", () => {
      const { tsc, typeRoots } = typescriptTools();
      writeFileSync(join(project, "consumer.ts"), CONSUMER_TS);
      writeFileSync(join(project, "wrong.ts"), WRONG_TS);
      writeFileSync(
        join(project, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            target: "es2022",
            module: "nodenext",
            moduleResolution: "nodenext",
            strict: true,
            noEmit: true,
            skipLibCheck: false, // the package's own .d.ts files are checked too
            types: ["node"],
            typeRoots: [typeRoots],
          },
          files: ["consumer.ts", "wrong.ts"],
        }),
      );
      const result = sh(NODE, [tsc, "-p", "tsconfig.json"], project);
      const errors = result.stdout.split("\n").filter((l) => / error TS\d+/.test(l));
      assert.notEqual(result.status, 0, "tsc accepted wrong.ts: the types are not real");
      const wrongLines = WRONG_TS.split("\n").flatMap((l, i) =>
        l.includes("// WRONG") ? [i + 1] : []
      );
      assert.equal(wrongLines.length, 4);
      assert.deepEqual(
        [...new Set(errors.map((l) => l.replace(/,.*/, "")))].sort(),
        wrongLines.map((n) => `wrong.ts(${n}`).sort(),
        `tsc should reject exactly the WRONG lines of wrong.ts and nothing else:\n${result.stdout}`,
      );
    });

    await Deno.remove(dir, { recursive: true });
  },
});
