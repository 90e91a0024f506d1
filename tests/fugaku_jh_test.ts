// Fugaku (PJM) and JH UniScheduler end to end on their shims (scripts/shims/): each job runs on
// the real Slurm, and the shims answer pjsub/pjstat/pjdel and jsub/jjobs/jctrl as the verbatim
// samples show (tests/fugaku_jh_shims_test.ts pins that).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { dispatch, fugaku, jhUniScheduler, local, RunError, task } from "../mod.ts";
import { crashRerun, failureClasses, manyTasks } from "./_batch_cases.ts";
import { tempDir, waitFor } from "./_helpers.ts";
import { withPathFirst } from "./_path_transport.ts";
import { shimPath, withShims } from "./_shims.ts";
import { sacctByName, skipSlurm } from "./_slurm.ts";

const ignore = skipSlurm();
const systems = {
  fugaku: { make: fugaku, cancel: ["pjdel"] },
  jh_unischeduler: { make: jhUniScheduler, cancel: ["jctrl", "kill"] },
} as const;
// The crash case's runner (tests/fixtures/batch_plan.ts) knows the systems it lists.
const crashKnows = (kind: string) =>
  readFileSync(new URL("./fixtures/batch_plan.ts", import.meta.url), "utf8").includes(kind);

for (const [kind, { make, cancel }] of Object.entries(systems)) {
  const shim = kind as keyof typeof systems;
  const target = (remoteRoot: string) => make(withPathFirst(local({ remoteRoot }), shimPath(shim)));
  const cancelJob = (id: string) =>
    execFileSync(cancel[0], [...cancel.slice(1), id], { env: withShims(shim), stdio: "ignore" });

  Deno.test(
    { name: `${kind}: 40 one-line tasks complete with every result`, ignore },
    () => manyTasks(target),
  );

  Deno.test({
    name: `${kind}: kill -9 right after the submit returns, then a rerun runs no job twice`,
    ignore: ignore || !crashKnows(kind),
  }, async () => {
    const names = await crashRerun(kind);
    await waitFor(() => sacctByName(names).length >= names.length, 20_000, "sacct to list them");
    const rows = sacctByName(names);
    for (const name of names) {
      assert.equal(rows.filter((r) => r.name === name).length, 1, `${name} submitted once`);
    }
  });

  if (kind === "fugaku") {
    // PJM says how a job ended (PJM code 11, CCL): the shared case holds as for PBS and LSF.
    Deno.test({
      name: `${kind}: exit code, time limit and someone else's pjdel are reported as such`,
      ignore,
    }, () => failureClasses(target, cancelJob));
  }
}

// jjobs prints only EXIT for a job killed by its limit or by jctrl kill: no end file, so lost.
Deno.test({
  name: "jh_unischeduler: a failing task is exit; the time limit and a jctrl kill are lost",
  ignore,
}, async () => {
  const remote = await tempDir();
  const target = jhUniScheduler(
    withPathFirst(local({ remoteRoot: remote }), shimPath("jh_unischeduler")),
    { endFileGraceMs: 2_000 },
  );
  const tasks = [
    task({ command: "echo 'bad input deck' >&2; exit 3", taskWorkPath: "fails" }),
    task({ command: "sleep 300", taskWorkPath: "too-slow" }),
    task({ command: "sleep 300", taskWorkPath: "killed" }),
  ];
  const builder = dispatch({ workBase: await tempDir() }).on(target)
    .with({ groupSize: 1, walltime: "1m" }).tasks(tasks);
  const plan = builder.toPlan();
  const slowJob = plan.jobs.find((j) => j.tasks.includes(1))!;
  const killJob = plan.jobs.find((j) => j.tasks.includes(2))!;
  let killed = false;
  const error = await builder.run({
    retryCount: 0,
    onEvent: (e) => {
      if (e.type === "job:running" && e.job === killJob.hash && !killed) {
        killed = true;
        execFileSync("jctrl", ["kill", e.id], { env: withShims("jh_unischeduler") });
      }
      if (e.type === "job:running" && e.job === slowJob.hash) {
        // Slurm's limits are whole minutes: the time-limited job's limit ends now.
        try {
          execFileSync("scontrol", ["update", `jobid=${e.id}`, "TimeLimit=0"], { stdio: "ignore" });
        } catch { /* it may have ended already */ }
      }
    },
  }).then(() => undefined, (e) => e);
  assert.ok(error instanceof RunError, `expected a RunError, got ${error}`);
  const byTask = (i: number) => error.report.jobs.find((j) => j.tasks.includes(i))!;
  assert.equal(byTask(0).failure, "exit");
  assert.match(byTask(0).reason!, /task "fails" exited with code 3: bad input deck/);
  assert.equal(byTask(1).failure, "lost", JSON.stringify(byTask(1)));
  assert.match(byTask(1).reason!, /exited \(JH UniScheduler state EXIT\)|end file/);
  assert.equal(byTask(2).failure, "lost", JSON.stringify(byTask(2)));
  assert.ok(killed, "the killed job was seen running");
});
