// dpdisp as a subprocess against real local runs (Shell scheduler on this machine):
// submit -> status -> cancel -> post-mortem, dry runs, re-attaching, YAML, progress modes.
import assert from "node:assert/strict";
import { existsSync, readdirSync } from "node:fs";
import { stringify as toYaml } from "yaml";
import type { RunReport } from "../mod.ts";
import { dpdisp, taskDirs } from "./_cli.ts";
import { processesMentioning, tempDir, waitFor } from "./_helpers.ts";

type Json = Record<string, unknown>;

/** Writes a submission over `count` task dirs under `<dir>/work`; returns the file's path. */
async function submission(
  dir: string,
  options: {
    count?: number;
    command?: (i: number) => string;
    machine?: Json;
    groupSize?: number;
    yaml?: boolean;
  } = {},
): Promise<string> {
  const count = options.count ?? 3;
  await taskDirs(dir, count);
  const value = {
    work_base: "work/",
    machine: options.machine ??
      { batch_type: "Shell", context_type: "LazyLocalContext", local_root: dir },
    resources: { group_size: options.groupSize ?? 2 },
    task_list: Array.from({ length: count }, (_, i) => ({
      command: options.command?.(i) ?? "cp in.txt out.txt",
      task_work_path: `t${i}/`,
      forward_files: ["in.txt"],
      backward_files: ["out.txt"],
    })),
  };
  const file = `${dir}/submission.${options.yaml ? "yaml" : "json"}`;
  await Deno.writeTextFile(file, options.yaml ? toYaml(value) : JSON.stringify(value));
  return file;
}

const localMachine = (dir: string, extra: Json = {}) => ({
  batch_type: "Shell",
  context_type: "LocalContext",
  local_root: dir,
  remote_root: `${dir}/remote`,
  ...extra,
});

async function runs(workBase: string): Promise<RunReport[]> {
  const r = await dpdisp("status", workBase, "--json");
  assert.equal(r.code, 0, r.stderr);
  return JSON.parse(r.stdout);
}

Deno.test("dpdisp submit runs a submission; a rerun re-attaches; status and render show it", async () => {
  const dir = await tempDir();
  const file = await submission(dir);
  const first = await dpdisp("submit", file);
  assert.equal(first.code, 0, first.stderr);
  assert.match(first.stdout, /^run \w+: 3 tasks in 2 jobs\n/);
  assert.match(first.stdout, /dpd-\w+ submitted as \d+/);
  assert.match(first.stdout, /dpd-\w+ finished/);
  assert.match(first.stdout, /all 2 jobs finished, 3\/3 tasks done/);
  for (let i = 0; i < 3; i++) {
    assert.equal(await Deno.readTextFile(`${dir}/work/t${i}/out.txt`), `in ${i}`);
  }
  const again = await dpdisp("submit", file);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /re-attached/);
  assert.doesNotMatch(again.stdout, /submitted as/);
  const status = await dpdisp("status", `${dir}/work`);
  assert.match(status.stdout, /2 jobs \(2 finished, 0 failed\), 3\/3 tasks done/);
  const render = await dpdisp("render", file);
  assert.equal(render.code, 0);
  assert.equal(render.stdout.match(/^#!\/bin\/bash$/gm)?.length, 2);
});

Deno.test("dpdisp submit --dry-run stages a YAML submission and submits nothing; submit then runs it", async () => {
  const dir = await tempDir();
  const file = await submission(dir, { machine: localMachine(dir), yaml: true });
  const dry = await dpdisp("submit", file, "--dry-run");
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /dry run, nothing submitted; staged 3 files/);
  assert.match(dry.stdout, /would submit 2 jobs with one bash command/);
  const [run] = await runs(`${dir}/work`);
  const root = `${dir}/remote/${run.runId}`;
  assert.equal(await Deno.readTextFile(`${root}/t1/in.txt`), "in 1", "inputs uploaded");
  const jobsDir = `${root}/.dpdispatcher/${run.runId}`;
  assert.equal(readdirSync(jobsDir).filter((f) => f.endsWith(".sh")).length, 2, "scripts written");
  assert.equal(readdirSync(jobsDir).filter((f) => f.endsWith(".pid")).length, 0, "none launched");
  assert.deepEqual(run.jobs.map((j) => [j.state, j.attempts]), [["pending", 0], ["pending", 0]]);

  const real = await dpdisp("submit", file, "--quiet");
  assert.equal(real.code, 0, real.stderr);
  assert.match(real.stdout, /^run \w+: all 2 jobs finished, 3\/3 tasks done in .*; journal: .*\n$/);
  assert.equal(await Deno.readTextFile(`${dir}/work/t2/out.txt`), "in 2");
});

Deno.test("dpdisp cancel stops a run's live jobs in one call; status shows them cancelled", async () => {
  const dir = await tempDir();
  const file = await submission(dir, {
    count: 2,
    groupSize: 1,
    command: () => "sleep 60",
    machine: localMachine(dir),
  });
  const submitted = await dpdisp("submit", file, "--exit-on-submit", "--json");
  assert.equal(submitted.code, 0, submitted.stderr);
  const events = submitted.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const runId: string = events[0].runId;
  assert.equal(events[0].type, "run:start");
  assert.equal(events.filter((e) => e.type === "job:submitted").length, 2);
  assert.deepEqual(events.at(-1), {
    type: "detached",
    runId,
    queued: 2,
    waiting: 0,
    running: 0,
    done: 0,
    failed: 0,
    jobs: 2,
    tasksDone: 0,
    tasks: 2,
    unsubmitted: 0,
    interrupted: false,
  });
  assert.deepEqual((await runs(`${dir}/work`))[0].jobs.map((j) => j.state), [
    "running",
    "running",
  ]);
  await waitFor(async () => (await processesMentioning(runId)).length > 0, 5000, "jobs");

  const cancel = await dpdisp("cancel", runId.slice(0, 6), "--work-base", `${dir}/work`);
  assert.equal(cancel.code, 0, cancel.stderr);
  assert.equal(
    cancel.stdout,
    `run ${runId}: cancelled 2 jobs with one shell command; submit the same file again to resubmit them\n`,
  );
  await waitFor(async () => (await processesMentioning(runId)).length === 0, 5000, "no jobs");
  const status = await dpdisp("status", `${dir}/work`);
  assert.match(status.stdout, /2 jobs \(0 finished, 0 failed, 2 cancelled\)/);
  assert.equal(status.stdout.match(/ cancelled attempts 1 .* cancelled on request/g)?.length, 2);
  const journal = await Deno.readTextFile(`${dir}/work/.dpdispatcher/${runId}.jsonl`);
  assert.equal(journal.match(/"cancelled":true/g)?.length, 2, "journaled");

  const twice = await dpdisp("cancel", file);
  assert.equal(twice.stdout, `run ${runId}: no job is queued or running\n`);
  const clean = await dpdisp("submission", `${dir}/work`, "--clean");
  assert.equal(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, new RegExp(`removed ${dir}/remote/${runId}\\n$`));
  assert.equal(existsSync(`${dir}/remote/${runId}`), false);

  const unknown = await dpdisp("cancel", "ffff", "-w", `${dir}/work`);
  assert.equal(unknown.code, 2);
  assert.match(unknown.stderr, /^dpdisp cancel: Invalid RUN: no run matching "ffff" under/);
});

Deno.test("dpdisp submission: logs and results nobody collected, then --reset-fail-count lets a rerun retry", async () => {
  const dir = await tempDir();
  const flag = `${dir}/fixed`;
  const file = await submission(dir, {
    count: 2,
    groupSize: 1,
    command: (i) =>
      i === 1
        ? `test -f '${flag}' || { echo boom >&2; exit 3; }; cp in.txt out.txt`
        : "cp in.txt out.txt",
    machine: localMachine(dir, { retry_count: 0 }),
  });
  const submitted = await dpdisp("submit", file, "--exit-on-submit", "--quiet");
  assert.equal(submitted.code, 0, submitted.stderr);
  const [run] = await runs(`${dir}/work`);
  const tasksDir = `${dir}/remote/${run.runId}/.dpdispatcher/tasks`;
  await waitFor(
    () =>
      existsSync(tasksDir) && readdirSync(tasksDir).filter((f) => f.endsWith(".rc")).length === 2,
    10_000,
    "both tasks to end",
  );
  assert.equal(existsSync(`${dir}/work/t1/err`), false, "no runner collected anything");

  const pm = await dpdisp(
    "submission",
    run.runId,
    "-w",
    `${dir}/work`,
    "--download-terminated-log",
    "--download-finished-task",
  );
  assert.equal(pm.code, 0, pm.stderr);
  assert.match(pm.stdout, /task 1 +running +exit 3 +t1/);
  assert.match(pm.stdout, new RegExp(`downloaded 2 log files:\\n  ${dir}/work/t1/log\\n`));
  assert.match(pm.stdout, /downloaded the results of 1 finished tasks \(1 files\)/);
  assert.equal(await Deno.readTextFile(`${dir}/work/t1/err`), "boom\n");
  assert.equal(await Deno.readTextFile(`${dir}/work/t0/out.txt`), "in 0");

  const failed = await dpdisp("submit", file);
  assert.equal(failed.code, 1, failed.stderr);
  assert.match(failed.stdout, /1 of 2 jobs failed/);
  assert.match(failed.stdout, new RegExp(`t1: exit 3; stderr: ${dir}/work/t1/err\n`));
  assert.match(
    failed.stdout,
    /retry them: dpdisp submission \w+ --work-base .* --reset-fail-count && dpdisp submit /,
  );
  const stillFailed = await dpdisp("submit", file, "--quiet");
  assert.equal(stillFailed.code, 1, "a failed job stays failed without a reset");
  const failedJob = (await runs(`${dir}/work`))[0].jobs.find((j) => j.state === "failed")!;
  assert.equal(failedJob.attempts, 1);

  await Deno.writeTextFile(flag, "");
  const reset = await dpdisp("submission", file, "--reset-fail-count");
  assert.equal(reset.code, 0, reset.stderr);
  assert.match(reset.stdout, /reset the fail count of 1 jobs/);
  const retried = await dpdisp("submit", file, "--quiet");
  assert.equal(retried.code, 0, retried.stdout + retried.stderr);
  assert.equal(await Deno.readTextFile(`${dir}/work/t1/out.txt`), "in 1");
  const after = (await runs(`${dir}/work`))[0];
  assert.ok(after.ok);
  assert.equal(after.jobs.find((j) => j.hash === failedJob.hash)!.attempts, 2);
});

Deno.test("dpdisp shows a live progress line on a terminal", async () => {
  if (!existsSync("/usr/bin/script")) return; // util-linux, for a pseudo-terminal
  const dir = await tempDir();
  const file = await submission(dir);
  const main = new URL("../src/cli/main.ts", import.meta.url).pathname;
  const { code, stdout } = await new Deno.Command("/usr/bin/script", {
    args: ["-qec", `'${Deno.execPath()}' run -A '${main}' submit '${file}'`, "/dev/null"],
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", TERM: "xterm" },
  }).output();
  const text = new TextDecoder().decode(stdout);
  assert.equal(code, 0, text);
  assert.match(
    text,
    /2\/2 jobs done \| 0 running \| 0 queued \| 0 waiting \| 0 failed \| tasks 3\/3 \| \d/,
  );
  assert.ok(text.includes("\x1b["), "drawn with terminal escapes");
  assert.match(text, /all 2 jobs finished, 3\/3 tasks done/);
  assert.doesNotMatch(text, /submitted as/, "no event lines");
});

Deno.test("dpdisp schema prints a JSON Schema with dpdispatcher's keys", async () => {
  const r = await dpdisp("schema");
  assert.equal(r.code, 0, r.stderr);
  const schema = JSON.parse(r.stdout);
  assert.equal(schema.$schema, "https://json-schema.org/draft/2020-12/schema");
  assert.equal(schema.properties.resources.properties.group_size.type, "integer");
  assert.deepEqual(schema.properties.resources.required, ["group_size"]);
  assert.ok(schema.properties.task_list.items.properties.task_work_path);
});
