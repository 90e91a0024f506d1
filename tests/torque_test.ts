// The Torque scheduler end to end on the Debian slurm-wlm-torque wrappers over the test Slurm
// (scripts/start_torque.sh). The local transport runs qsub from its process's PATH, and deno test
// runs every test file in one process: so each run happens in a child `deno run` of
// tests/fixtures/torque_plan.ts with the wrappers' bin directory first on PATH.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { torqueJobName } from "../src/executor/batch/torque/torque.ts";
import { runCounts, tempDir, waitFor } from "./_helpers.ts";
import { sacctByName } from "./_slurm.ts";
import { type TorqueEnv, torqueEnv } from "./_torque.ts";

const env = torqueEnv();
const ignore = env === undefined;
const FIXTURE = new URL("./fixtures/torque_plan.ts", import.meta.url).pathname;

interface PlanReport {
  ok: boolean;
  recovered: number;
  deleted: boolean;
  jobs: {
    name: string;
    id: string;
    state: string;
    attempts: number;
    failure?: string;
    reason?: string;
    tasks: number[];
  }[];
  tasks: { index: number; resultsDir: string }[];
}

/** Runs the fixture with the wrappers first on PATH: its exit signal and its JSON report. */
function plan(
  torque: TorqueEnv,
  args: string[],
): Promise<{ signal: string | null; report?: PlanReport }> {
  return new Promise((resolve, reject) => {
    const child = spawn(Deno.execPath(), ["run", "-A", FIXTURE, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
      env: torque.env,
    });
    let stdout = "";
    child.stdout!.on("data", (d) => (stdout += d));
    child.on("error", reject);
    child.on("exit", (_code, signal) => {
      const line = stdout.trim().split("\n").pop();
      resolve({ signal, report: line ? JSON.parse(line) : undefined });
    });
  });
}

async function dirs(): Promise<[string, string, string]> {
  return [await tempDir(), await tempDir(), await tempDir()];
}

Deno.test({ name: "torque: 20 one-line tasks complete with every result", ignore }, async () => {
  const [base, counts, remote] = await dirs();
  const { report } = await plan(env!, ["complete", base, counts, remote]);
  assert.ok(report?.ok, JSON.stringify(report));
  assert.equal(report.jobs.length, 20);
  assert.equal(new Set(report.jobs.map((j) => j.id)).size, 20);
  assert.ok(report.jobs.every((j) => /^\d+$/.test(j.id)), "the wrappers' ids are bare numbers");
  for (const t of report.tasks) {
    assert.equal(await Deno.readTextFile(`${t.resultsDir}/out.txt`), `task ${t.index}\n`);
  }
  assert.deepEqual(await runCounts(counts, 20), Array(20).fill(1));
});

Deno.test({
  name: "torque: a failing task reports its exit code; a job qdel'd while running ends failed",
  ignore,
}, async () => {
  const [base, counts, remote] = await dirs();
  const { report } = await plan(env!, ["failures", base, counts, remote]);
  assert.ok(report && !report.ok, JSON.stringify(report));
  const byTask = (i: number) => report.jobs.find((j) => j.tasks.includes(i))!;
  assert.equal(byTask(0).failure, "exit");
  assert.match(byTask(0).reason!, /task "fails" exited with code 3: bad input deck/);
  assert.ok(report.deleted, "the cancelled job was seen running");
  // The wrappers show a cancelled job as `C` with no exit_status, and qdel kills it with SIGKILL
  // (no end file): all a run can say is that it stopped without one.
  assert.equal(byTask(1).failure, "lost", JSON.stringify(byTask(1)));
  assert.ok(report.jobs.every((j) => j.state === "failed" && j.attempts === 1));
  const name = torqueJobName({ name: byTask(1).name, attempt: 0 });
  // slurmdbd records a job a moment after slurmctld ends it.
  await waitFor(() => sacctByName([name]).length > 0, 30_000, "sacct to list it");
  assert.match(sacctByName([name])[0].state, /^CANCELLED/, "Slurm itself calls it cancelled");
});

Deno.test({
  name: "torque: kill -9 right after qsub returns, then a rerun adopts every job by name",
  ignore,
}, async () => {
  const [base, counts, remote] = await dirs();
  const killed = await plan(env!, ["crash", base, counts, remote, "kill=1"]);
  assert.equal(killed.signal, "SIGKILL");
  const { report } = await plan(env!, ["crash", base, counts, remote]);
  assert.ok(report?.ok, JSON.stringify(report));
  assert.equal(report.recovered, 6, "the rerun found all six jobs by name and adopted them");
  assert.deepEqual(await runCounts(counts, 6), Array(6).fill(1));
  const names = report.jobs.map((j) => torqueJobName({ name: j.name, attempt: 0 }));
  const listed = () => new Set(sacctByName(names).map((r) => r.name)).size === names.length;
  await waitFor(listed, 30_000, "sacct to list them");
  const rows = sacctByName(names);
  for (const name of names) {
    assert.equal(rows.filter((r) => r.name === name).length, 1, `${name} was submitted once`);
  }
});
