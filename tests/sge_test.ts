// Real Son of Grid Engine (scripts/start_sge.sh): qmaster and execd on localhost, queue all.q.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { dispatch, local, RunError, type RunEvent, sge, sgeJobName, task } from "../mod.ts";
import { countingTasks, runCounts, tempDir, waitFor } from "./_helpers.ts";
import { dpdisp } from "./_cli.ts";
import { qacctRecords, sgeCommand, sgeEnv } from "./_sge.ts";

const env = sgeEnv();
const ignore = env === undefined;
const FIXTURE = new URL("./fixtures/batch_plan.ts", import.meta.url).pathname;

Deno.test({ name: "sge: 100 one-line tasks complete with every result", ignore }, async () => {
  const base = await tempDir();
  const remote = await tempDir();
  const counts = await tempDir();
  const report = await dispatch({ workBase: base }).on(sge(local({ remoteRoot: remote })))
    .with({ groupSize: 4, queueName: "all.q", walltime: "5m" })
    .tasks(countingTasks(100, counts)).run();
  assert.ok(report.ok);
  assert.equal(report.jobs.length, 25);
  assert.equal(new Set(report.jobs.map((j) => j.id)).size, 25);
  for (const t of report.tasks) {
    assert.equal(await Deno.readTextFile(`${t.resultsDir}/out.txt`), `task ${t.index}\n`);
  }
  assert.deepEqual(await runCounts(counts, 100), Array(100).fill(1));
});

Deno.test({
  name: "sge: a failing task, a job killed by h_rt and a cancelled job are each reported as such",
  ignore,
}, async () => {
  const base = await tempDir();
  const remote = await tempDir();
  const tasks = [
    task({ command: "echo 'bad input deck' >&2; exit 3", taskWorkPath: "fails" }),
    task({ command: "sleep 300", taskWorkPath: "too-slow" }),
    task({ command: "sleep 300", taskWorkPath: "cancelled" }),
  ];
  const builder = dispatch({ workBase: base }).on(sge(local({ remoteRoot: remote })))
    .with({ groupSize: 1, queueName: "all.q", walltime: "8s" }).tasks(tasks);
  const plan = builder.toPlan();
  const slow = plan.jobs.find((j) => j.tasks.includes(1))!;
  const cancelJob = plan.jobs.find((j) => j.tasks.includes(2))!;
  // The cancelled job must not hit its time limit first: it gets a longer one by hand.
  let deleted = false;
  const events: RunEvent[] = [];
  const error = await builder.run({
    retryCount: 0,
    onEvent: (e) => {
      events.push(e);
      if (e.type === "job:running" && e.job === cancelJob.hash && !deleted) {
        deleted = true;
        sgeCommand(["qdel", e.id]); // someone else deletes it
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
  assert.ok(deleted, "the cancelled job was seen running");
  assert.ok(error.report.jobs.every((j) => j.state === "failed" && j.attempts === 1));
  assert.ok(events.some((e) => e.type === "job:ended" && e.job === slow.hash));
});

Deno.test({
  name: "sge: kill -9 right after qsub returns, then a rerun submits no job name twice",
  ignore,
}, async () => {
  const base = await tempDir();
  const remote = await tempDir();
  const counts = await tempDir();
  const run = (flag?: string) =>
    new Promise<{ signal: string | null; stdout: string }>((resolve) => {
      const child = spawn(
        Deno.execPath(),
        ["run", "-A", FIXTURE, "sge", base, counts, remote, ...(flag ? [flag] : [])],
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
  const names = result.jobs.map((j: { name: string }) => sgeJobName({ name: j.name, attempt: 0 }));
  await waitFor(() => qacctRecords(names).length >= names.length, 30_000, "qacct to list them");
  const records = qacctRecords(names);
  for (const name of names) {
    assert.equal(records.filter((r) => r.jobname === name).length, 1, `${name} ran once`);
  }
});

Deno.test({
  name:
    "sge: dpdisp submit runs a dpdispatcher SGE submission (LocalContext), dpdisp render shows it",
  ignore,
}, async () => {
  const dir = await tempDir();
  for (const i of [0, 1, 2]) {
    await Deno.mkdir(`${dir}/work/t${i}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/work/t${i}/in.txt`, `in ${i}`);
  }
  const file = `${dir}/sub.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      work_base: `${dir}/work`,
      machine: {
        batch_type: "SGE",
        context_type: "LocalContext",
        local_root: dir,
        remote_root: `${dir}/remote`,
      },
      resources: {
        number_node: 1,
        cpu_per_node: 1,
        gpu_per_node: 0,
        queue_name: "all.q",
        group_size: 2,
        kwargs: { pe_name: "smp" },
      },
      task_list: [0, 1, 2].map((i) => ({
        command: "cat in.txt > out.txt",
        task_work_path: `t${i}`,
        forward_files: ["in.txt"],
        backward_files: ["out.txt"],
      })),
    }),
  );
  await Deno.mkdir(`${dir}/remote`);
  const rendered = await dpdisp("render", file);
  assert.equal(rendered.code, 0, rendered.stderr);
  assert.match(rendered.stdout, /#\$ -pe smp 1/);
  const run = await dpdisp("submit", file);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /all 2 jobs finished, 3\/3 tasks done/);
  for (const i of [0, 1, 2]) {
    assert.equal(await Deno.readTextFile(`${dir}/work/t${i}/out.txt`), `in ${i}`);
  }
});
