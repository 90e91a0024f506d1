import assert from "node:assert/strict";
import { execFile, execFileSync, spawn } from "node:child_process";
import { promisify } from "node:util";
import {
  dispatch,
  local,
  RunError,
  type RunEvent,
  slurm,
  slurmJobArray,
  slurmJobName,
  task,
} from "../mod.ts";
import { Machine, Resources, Submission, Task } from "../src/compat/mod.ts";
import { countingTasks, runCounts, tempDir, waitFor } from "./_helpers.ts";
import { sacctByName, skipSlurm } from "./_slurm.ts";

const ignore = skipSlurm();
const execFileAsync = promisify(execFile);
const FIXTURE = new URL("./fixtures/slurm_plan.ts", import.meta.url).pathname;

Deno.test(
  { name: "slurm: 200 one-line tasks, one job each, every result downloaded", ignore },
  async () => {
    const base = await tempDir();
    const remote = await tempDir();
    const counts = await tempDir();
    const report = await dispatch({ workBase: base }).on(slurm(local({ remoteRoot: remote })))
      .with({ groupSize: 1, walltime: "5m" }).tasks(countingTasks(200, counts)).run();
    assert.ok(report.ok);
    assert.equal(report.jobs.length, 200);
    assert.equal(new Set(report.jobs.map((j) => j.id)).size, 200);
    for (const t of report.tasks) {
      assert.equal(
        await Deno.readTextFile(`${t.resultsDir}/out.txt`),
        `task ${t.index}\n`,
      );
    }
    assert.deepEqual(await runCounts(counts, 200), Array(200).fill(1));
  },
);

Deno.test({
  name: "slurm: at most maxQueued of a run's jobs wait in the queue; the rest go as those start",
  ignore,
}, async () => {
  const base = await tempDir();
  const counts = await tempDir();
  const builder = dispatch({ workBase: base }).on(slurm())
    .with({ groupSize: 1, walltime: "5m" }).tasks(countingTasks(40, counts, "sleep 2;"));
  const names = new Set(
    builder.toPlan().jobs.map((j) => slurmJobName({ name: j.name, attempt: 0 })),
  );
  // Slurm's own view, sampled while the run goes on: how many of this run's jobs are pending.
  let done = false;
  const pendingSeen: number[] = [];
  const sampler = (async () => {
    while (!done) {
      const { stdout } = await execFileAsync("squeue", ["-h", "-t", "PD", "-o", "%j"]);
      pendingSeen.push(stdout.split("\n").filter((n) => names.has(n.trim())).length);
      await new Promise((r) => setTimeout(r, 100));
    }
  })();
  const events: RunEvent[] = [];
  const report = await builder.run({ maxQueued: 6, onEvent: (e) => events.push(e) })
    .finally(() => (done = true));
  await sampler;
  assert.ok(report.ok);
  assert.deepEqual(await runCounts(counts, 40), Array(40).fill(1));
  assert.ok(pendingSeen.length > 10, `squeue sampled ${pendingSeen.length} times`);
  assert.ok(Math.max(...pendingSeen) <= 6, `pending jobs seen: ${pendingSeen.join(",")}`);
  // The 16-CPU node starts jobs only in its scheduling passes, so some did wait: the window
  // was full, and jobs went out in several submit commands as others started or ended.
  assert.ok(Math.max(...pendingSeen) >= 1, `pending jobs seen: ${pendingSeen.join(",")}`);
  const batches = events.filter((e, k) =>
    e.type === "job:submitting" && events[k - 1]?.type !== "job:submitting"
  );
  assert.ok(batches.length >= 40 / 6, `${batches.length} submit commands`);
});

Deno.test({
  name: "slurm: runSubmission with exitOnSubmit queues every job at once, past the queue window",
  ignore,
}, async () => {
  const root = await tempDir();
  await Deno.mkdir(`${root}/w`);
  const n = 100; // more than the 16 CPUs can run plus the 64 the window lets wait
  const submission = new Submission({
    workBase: "w",
    machine: Machine.loadFromDict({
      batch_type: "Slurm",
      context_type: "LazyLocal",
      local_root: root,
    }),
    resources: new Resources({ group_size: 1 }),
    taskList: Array.from(
      { length: n },
      (_, i) => new Task({ command: "sleep 300", taskWorkPath: `t${i}` }),
    ),
  });
  const names = submission.builder.toPlan().jobs.map((j) =>
    slurmJobName({ name: j.name, attempt: 0 })
  );
  const inQueue = () =>
    execFileSync("squeue", ["-h", "-t", "PD,R", "-o", "%j", `--name=${names.join(",")}`], {
      encoding: "utf8",
    }).split("\n").filter(Boolean).length;
  // Held-back jobs would wait for running ones to end (300 s): give up long before that.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`only ${inQueue()} of ${n} jobs queued`)), 30_000);
  });
  try {
    const report = await Promise.race([submission.runSubmission({ exitOnSubmit: true }), late]);
    assert.equal(report.jobs.length, n);
    assert.ok(report.jobs.every((j) => j.id), "every job has its Slurm id");
    assert.equal(inQueue(), n, `all ${n} are in Slurm's queue at once`);
  } finally {
    clearTimeout(timer);
    const ids = execFileSync("squeue", ["-h", "-o", "%i", `--name=${names.join(",")}`], {
      encoding: "utf8",
    }).split("\n").filter(Boolean);
    if (ids.length > 0) execFileSync("scancel", ids);
  }
});

Deno.test({
  name: "slurm: exit code, time limit, memory limit and cancel are each reported as such",
  ignore,
}, async () => {
  const base = await tempDir();
  const remote = await tempDir();
  const tasks = [
    task({ command: "echo 'bad input deck' >&2; exit 3", taskWorkPath: "fails" }),
    task({ command: "sleep 300", taskWorkPath: "too-slow" }),
    task({ command: "head -c 800M /dev/zero | tail > /dev/null", taskWorkPath: "too-big" }),
    task({ command: "sleep 300", taskWorkPath: "cancelled" }),
  ];
  const builder = dispatch({ workBase: base }).on(slurm(local({ remoteRoot: remote })))
    .with({ groupSize: 1, walltime: "1m", memory: "100M" }).tasks(tasks);
  const plan = builder.toPlan();
  const cancelJob = plan.jobs.find((j) => j.tasks.includes(3))!;
  let scancelled = false;
  const events: RunEvent[] = [];
  const error = await builder.run({
    retryCount: 0,
    onEvent: (e) => {
      events.push(e);
      if (e.type === "job:running" && e.job === cancelJob.hash && !scancelled) {
        scancelled = true;
        execFileSync("scancel", [e.id]); // someone else cancels it
      }
    },
  }).then(() => undefined, (e) => e);
  assert.ok(error instanceof RunError, `expected a RunError, got ${error}`);
  const byTask = (i: number) => error.report.jobs.find((j) => j.tasks.includes(i))!;
  assert.equal(byTask(0).failure, "exit");
  assert.match(byTask(0).reason!, /task "fails" exited with code 3: bad input deck/);
  assert.equal(byTask(1).failure, "timeout");
  assert.match(byTask(1).reason!, /exceeded its time limit/);
  assert.equal(byTask(2).failure, "oom");
  assert.match(byTask(2).reason!, /exceeded its memory limit/);
  assert.equal(byTask(3).failure, "cancelled");
  assert.match(byTask(3).reason!, /was cancelled/);
  assert.ok(error.report.jobs.every((j) => j.state === "failed" && j.attempts === 1));
  assert.ok(events.some((e) => e.type === "job:ended" && e.failure === "oom"));
});

Deno.test({
  name: "slurm: kill -9 right after sbatch returns, then a rerun submits nothing twice",
  ignore,
}, async () => {
  const base = await tempDir();
  const remote = await tempDir();
  const counts = await tempDir();
  const run = (flag?: string) =>
    new Promise<{ signal: string | null; stdout: string }>((resolve) => {
      const child = spawn(Deno.execPath(), [
        "run",
        "-A",
        FIXTURE,
        base,
        counts,
        remote,
        ...(flag ? [flag] : []),
      ], {
        stdio: ["ignore", "pipe", "inherit"],
      });
      let stdout = "";
      child.stdout!.on("data", (d) => (stdout += d));
      child.on("exit", (_code, signal) => resolve({ signal, stdout }));
    });
  const killed = await run("killAfterSbatch=1");
  assert.equal(killed.signal, "SIGKILL");
  const final = await run();
  const result = JSON.parse(final.stdout);
  assert.equal(result.ok, true);
  assert.equal(
    result.recovered,
    6,
    "the rerun found all six jobs in the queue by name and adopted them",
  );
  assert.deepEqual(await runCounts(counts, 6), Array(6).fill(1));
  const names = result.jobs.map((j: { name: string }) =>
    slurmJobName({ name: j.name, attempt: 0 })
  );
  await waitFor(() => sacctByName(names).length >= names.length, 20_000, "sacct to list the jobs");
  const rows = sacctByName(names);
  for (const name of names) {
    assert.equal(
      rows.filter((r) => r.name === name).length,
      1,
      `job ${name} submitted exactly once`,
    );
  }
  for (const j of result.jobs) assert.equal(j.attempts, 1);
});

Deno.test({ name: "slurm job array: a failed element is resubmitted alone", ignore }, async () => {
  const base = await tempDir();
  const remote = await tempDir();
  const counts = await tempDir();
  // Task 2 fails on its first run only.
  const tasks = countingTasks(4, counts).map((t, i) =>
    i !== 2
      ? t
      : task({ ...t, command: `${t.command}; [ -f ../flag ] || { touch ../flag; exit 1; }` })
  );
  const events: RunEvent[] = [];
  const report = await dispatch({ workBase: base }).on(
    slurmJobArray(local({ remoteRoot: remote }), { throttle: 2 }),
  )
    .with({ groupSize: 4, kwargs: { slurmJobSize: 1 } }).tasks(tasks)
    .run({ retryCount: 1, retryDelay: 0.1, onEvent: (e) => events.push(e) });
  assert.ok(report.ok);
  assert.equal(report.jobs.length, 1);
  assert.equal(report.jobs[0].attempts, 2);
  assert.deepEqual(await runCounts(counts, 4), [1, 1, 2, 1], "only task 2 ran again");
  const ids = events.filter((e) => e.type === "job:submitted").map((e) => (e as { id: string }).id);
  assert.equal(ids.length, 2);
  // Grouping shuffles tasks: task 2's element is its position in the job.
  const element = report.jobs[0].tasks.indexOf(2);
  // Just after sbatch, sacct lists an array job under its bare id, before its elements.
  const listed = (id: string, n: number) => {
    const rows = sacctElements(id);
    return rows.length === n && rows.every((r) => r.startsWith(`${id}_`));
  };
  await waitFor(
    () => listed(ids[0], 4) && listed(ids[1], 1),
    20_000,
    "sacct to list both attempts",
  );
  assert.deepEqual(
    sacctElements(ids[1]),
    [`${ids[1]}_${element}`],
    "the retry ran task 2's element alone",
  );
});

function sacctElements(id: string): string[] {
  const out = execFileSync("sacct", ["-X", "-P", "-n", "-o", "JobID", "-j", id], {
    encoding: "utf8",
  });
  return out.trim().split("\n").filter(Boolean).sort();
}
