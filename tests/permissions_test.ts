// The permission preflight against real `deno run` processes: the flags permissions() derives
// are enough for a local Shell run, and without any one of them run() fails before it touches
// anything (no state directory, no job started).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync, readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, relative } from "node:path";
import process from "node:process";
import { dpdisp } from "./_cli.ts";
import { tempDir } from "./_helpers.ts";
import { permissionPlan } from "./fixtures/permission_plan.ts";

const FIXTURE = new URL("./fixtures/permission_plan.ts", import.meta.url).pathname;
const ROOT = new URL("..", import.meta.url).pathname;

/** `deno run --no-prompt <flags> <fixture> <args>`: its exit code and the JSON line it printed. */
function denoRun(
  flags: readonly string[],
  args: readonly string[],
): Promise<{ code: number | null; out: { error?: string; message?: string }; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(Deno.execPath(), ["run", "--no-prompt", ...flags, FIXTURE, ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: "1" },
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => {
      const line = stdout.trim().split("\n").pop();
      resolve({ code, out: line ? JSON.parse(line) : {}, stderr });
    });
  });
}

async function fresh() {
  const workBase = await tempDir();
  const marks = await tempDir();
  return { workBase, marks, flags: permissionPlan(workBase, marks).permissions().flags };
}

Deno.test("a local Shell run succeeds with exactly the flags permissions() derives", async () => {
  const { workBase, marks, flags } = await fresh();
  assert.deepEqual(flags, [
    `--allow-read=${workBase}`,
    `--allow-write=${workBase}`,
    "--allow-run=bash,ps",
    "--allow-env",
    "--allow-sys=hostname",
  ]);
  const run = await denoRun(flags, [workBase, marks]);
  assert.equal(run.code, 0, JSON.stringify(run.out) + run.stderr);
  assert.deepEqual(run.out, { ok: true, states: ["finished", "finished", "finished"] });
  for (const i of [0, 1, 2]) {
    assert.equal(Deno.readTextFileSync(join(workBase, `t${i}`, "out.txt")), `${i}\n`);
  }
});

Deno.test("without any one of the derived flags run() fails before touching anything", async () => {
  const cases = await Promise.all([0, 1, 2, 3, 4].map(async (dropped) => {
    const { workBase, marks, flags } = await fresh();
    const run = await denoRun(flags.filter((_, i) => i !== dropped), [workBase, marks]);
    return { workBase, marks, flags, dropped: flags[dropped], run };
  }));
  for (const { workBase, marks, flags, dropped, run } of cases) {
    assert.equal(run.code, 1, `without ${dropped}: ${run.stderr}`);
    assert.equal(run.out.error, "PermissionError", `without ${dropped}: ${run.stderr}`);
    // One error: the missing flag, then the whole command line to paste.
    assert.ok(
      run.out.message?.includes(`permissions ${dropped}; run it with: `) &&
        run.out.message.endsWith(
          `deno run ${flags.join(" ")} ${relative(ROOT, FIXTURE)} ${workBase} ${marks}`,
        ),
      run.out.message,
    );
    assert.deepEqual(readdirSync(workBase), [], `without ${dropped}: nothing written`);
    assert.deepEqual(readdirSync(marks), [], `without ${dropped}: no job started`);
  }
});

Deno.test("under the derived flags a lock left by a dead runner is refused, never broken", async () => {
  const { workBase, marks, flags } = await fresh();
  const plan = permissionPlan(workBase, marks).toPlan();
  const lock = join(workBase, ".dpdispatcher", `${plan.runId}.lock`);
  Deno.mkdirSync(join(workBase, ".dpdispatcher"));
  // Signalling a pid takes unscoped --allow-run in Deno, so liveness cannot be checked.
  writeFileSync(lock, `2147483646 ${hostname()}\n`);
  const run = await denoRun(flags, [workBase, marks]);
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.out.error, "StateError");
  assert.match(run.out.message ?? "", /locked by process 2147483646, which cannot be checked/);
  assert.ok(existsSync(lock), "the lock stays");
  assert.deepEqual(readdirSync(marks), [], "no job started");
});

Deno.test("dpdisp permissions prints the flags under which dpdisp submit then runs", async () => {
  const dir = await Deno.makeTempDir({ prefix: "dpd-perm-cli-" });
  for (const t of ["t0", "t1"]) {
    await Deno.mkdir(`${dir}/work/${t}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/work/${t}/in.txt`, t);
  }
  const file = `${dir}/sub.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      work_base: "work/",
      machine: { batch_type: "Shell", context_type: "LazyLocalContext", local_root: dir },
      resources: { group_size: 1 },
      task_list: ["t0", "t1"].map((t) => ({
        command: "cp in.txt out.txt",
        task_work_path: `${t}/`,
        forward_files: ["in.txt"],
        backward_files: ["out.txt"],
      })),
    }),
  );
  const printed = await dpdisp("permissions", file);
  assert.equal(printed.code, 0, printed.stderr);
  const flags = printed.stdout.trim().split(" ");
  assert.ok(flags.includes("--allow-run=bash,ps"), printed.stdout);
  assert.ok(flags.some((f) => f.startsWith("--allow-read=") && f.includes(file)), printed.stdout);
  const cli = new URL("../src/cli/main.ts", import.meta.url).pathname;
  const submit = (granted: string[]) =>
    new Deno.Command(Deno.execPath(), {
      args: ["run", "--node-modules-dir=manual", ...granted, cli, "submit", file, "--quiet"],
      stdout: "piped",
      stderr: "piped",
      env: { NO_COLOR: "1" },
    }).output();
  const narrow = await submit(flags.filter((f) => !f.startsWith("--allow-run")));
  assert.notEqual(narrow.code, 0);
  assert.match(new TextDecoder().decode(narrow.stderr), /--allow-run=bash,ps/);
  assert.equal(await Deno.stat(`${dir}/work/.dpdispatcher`).then(() => true, () => false), false);
  const ok = await submit(flags);
  assert.equal(ok.code, 0, new TextDecoder().decode(ok.stderr));
  assert.equal(await Deno.readTextFile(`${dir}/work/t1/out.txt`), "t1");
  await Deno.remove(dir, { recursive: true });
});
