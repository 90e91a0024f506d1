// End-to-end cases every batch system runs on its real scheduler or its shim over Slurm: many
// tasks with every result, failure classes from the scheduler's own fields, and a crash right
// after the submit command returned.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dispatch, RunError, type RunEvent, type Target, task } from "../mod.ts";
import { countingTasks, runCounts, tempDir } from "./_helpers.ts";

/** `count` one-line tasks in jobs of `groupSize` all finish, each result home, each run once. */
export async function manyTasks(
  target: (remoteRoot: string) => Target,
  { count = 40, groupSize = 2, queueName = "" } = {},
): Promise<void> {
  const base = await tempDir();
  const remote = await tempDir();
  const counts = await tempDir();
  const report = await dispatch({ workBase: base }).on(target(remote))
    .with({ groupSize, queueName, walltime: "5m" }).tasks(countingTasks(count, counts)).run();
  assert.ok(report.ok);
  assert.equal(report.jobs.length, Math.ceil(count / groupSize));
  assert.equal(new Set(report.jobs.map((j) => j.id)).size, report.jobs.length);
  for (const t of report.tasks) {
    assert.equal(await Deno.readTextFile(`${t.resultsDir}/out.txt`), `task ${t.index}\n`);
  }
  assert.deepEqual(await runCounts(counts, count), Array(count).fill(1));
}

/**
 * A failing task, a job over its time limit and a job someone else cancels are reported as
 * `exit`, `timeout` and `cancelled`. `cancel(id)` runs the system's own cancel command.
 */
export async function failureClasses(
  target: (remoteRoot: string) => Target,
  cancel: (id: string) => void,
  { walltime = "1m", queueName = "" } = {},
): Promise<void> {
  const base = await tempDir();
  const remote = await tempDir();
  const tasks = [
    task({ command: "echo 'bad input deck' >&2; exit 3", taskWorkPath: "fails" }),
    task({ command: "sleep 300", taskWorkPath: "too-slow" }),
    task({ command: "sleep 300", taskWorkPath: "cancelled" }),
  ];
  const builder = dispatch({ workBase: base }).on(target(remote))
    .with({ groupSize: 1, walltime, queueName }).tasks(tasks);
  const cancelJob = builder.toPlan().jobs.find((j) => j.tasks.includes(2))!;
  let cancelled = false;
  const events: RunEvent[] = [];
  const error = await builder.run({
    retryCount: 0,
    onEvent: (e) => {
      events.push(e);
      if (e.type === "job:running" && e.job === cancelJob.hash && !cancelled) {
        cancelled = true;
        cancel(e.id); // someone else cancels it
      }
    },
  }).then(() => undefined, (e) => e);
  assert.ok(error instanceof RunError, `expected a RunError, got ${error}`);
  const byTask = (i: number) => error.report.jobs.find((j) => j.tasks.includes(i))!;
  assert.equal(byTask(0).failure, "exit");
  assert.match(byTask(0).reason!, /task "fails" exited with code 3: bad input deck/);
  assert.equal(byTask(1).failure, "timeout", JSON.stringify(byTask(1)));
  assert.match(byTask(1).reason!, /exceeded its time limit/);
  assert.equal(byTask(2).failure, "cancelled", JSON.stringify(byTask(2)));
  assert.match(byTask(2).reason!, /was cancelled/);
  assert.ok(cancelled, "the cancelled job was seen running");
  assert.ok(error.report.jobs.every((j) => j.state === "failed" && j.attempts === 1));
}

/**
 * `kill -9` of the runner right after the submit command returned (tests/fixtures/batch_plan.ts),
 * then a rerun: every job is adopted by name, each task ran once; returns the jobs' scheduler
 * names so the caller can ask the scheduler's own accounting that each appears once.
 */
export async function crashRerun(system: string): Promise<string[]> {
  const base = await tempDir();
  const remote = await tempDir();
  const counts = await tempDir();
  const fixture = new URL("./fixtures/batch_plan.ts", import.meta.url).pathname;
  const run = (flag?: string) =>
    new Promise<{ signal: string | null; stdout: string }>((resolve) => {
      const child = spawn(
        Deno.execPath(),
        ["run", "-A", fixture, system, base, counts, remote, ...(flag ? [flag] : [])],
        { stdio: ["ignore", "pipe", "inherit"] },
      );
      let stdout = "";
      child.stdout!.on("data", (d) => (stdout += d));
      child.on("exit", (_code, signal) => resolve({ signal, stdout }));
    });
  const killed = await run("kill=1");
  assert.equal(killed.signal, "SIGKILL");
  const final = await run();
  const result = JSON.parse(final.stdout);
  assert.equal(result.ok, true);
  assert.equal(result.recovered, 6, "the rerun found all six jobs by name and adopted them");
  assert.deepEqual(await runCounts(counts, 6), Array(6).fill(1));
  for (const j of result.jobs) assert.equal(j.attempts, 1);
  return result.jobs.map((j: { name: string }) => `${j.name}-0`);
}
