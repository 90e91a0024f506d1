// The run loop on a fake Slurm over the fake transport, with a fake clock: each case is a
// scheduler story told in milliseconds (retries across restarts, a full queue, a lost job, a
// controller that does not answer, a cancel mid-run, a crash between sbatch and the journal).
import assert from "node:assert/strict";
import { dispatch, resources, slurm, task } from "../../mod.ts";
import { ConnectionError } from "../errors.ts";
import type { Plan } from "../plan/plan.ts";
import { fakeClock } from "../testing/fake_clock.ts";
import { type FakeSlurm, fakeSlurm, type FakeSlurmOptions } from "../testing/fake_slurm.ts";
import type { RunEvent } from "./events.ts";
import { resolveRunOptions, type RunOptions, runPlan } from "./runner.ts";

async function setup(jobs: number, options: FakeSlurmOptions = {}) {
  const workBase = await Deno.makeTempDir({ prefix: "dpd-runner-" });
  for (let i = 0; i < jobs; i++) await Deno.mkdir(`${workBase}/t${i}`);
  const cluster = fakeSlurm(options);
  const target = slurm(cluster.transport);
  const plan = dispatch({ workBase }).on(target).with(resources({ groupSize: 1 })).tasks(
    Array.from({ length: jobs }, (_, i) => task({ command: `run ${i}`, taskWorkPath: `t${i}` })),
  ).toPlan();
  return { workBase, cluster, target, plan };
}

/** Runs a plan to its end (or abort) on a fake clock; returns the report or the error. */
async function run(
  plan: Plan,
  cluster: FakeSlurm,
  options: RunOptions = {},
): Promise<{ report?: Awaited<ReturnType<typeof runPlan>>; error?: unknown; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  const clock = fakeClock(1_700_000_000_000);
  try {
    const report = await runPlan(plan, slurm(cluster.transport), resolveRunOptions(options), {
      emit: (e) => {
        events.push(e);
        options.onEvent?.(e);
      },
      clock,
    });
    return { report, events };
  } catch (error) {
    return { error, events };
  }
}

const count = (names: string[]) =>
  names.reduce((m, n) => m.set(n, (m.get(n) ?? 0) + 1), new Map<string, number>());

Deno.test("runner: every job submitted once, run, collected and finished", async () => {
  const { plan, cluster } = await setup(5);
  const { report, events } = await run(plan, cluster);
  assert.equal(report?.ok, true);
  assert.equal(cluster.submitted.length, 5);
  assert.ok([...count(cluster.submitted).values()].every((n) => n === 1));
  assert.equal(events.filter((e) => e.type === "job:final").length, 5);
  assert.ok(events.some((e) => e.type === "job:running"), "jobs were seen running");
});

Deno.test("runner: the retry budget holds across a restart", async () => {
  const { plan, cluster } = await setup(1, { outcome: () => ({ exit: 3 }) });
  const stop = new AbortController();
  const first = await run(plan, cluster, {
    retryCount: 2,
    signal: stop.signal,
    onEvent: (e) => e.type === "job:retry" && stop.abort(),
  });
  assert.equal((first.error as Error)?.name, "AbortError");
  assert.equal(cluster.submitted.length, 1);
  const second = await run(plan, cluster, { retryCount: 2 });
  assert.equal(second.report?.ok, false);
  // Attempts 0, 1 and 2: the restart did not hand out a fresh budget.
  assert.deepEqual(cluster.submitted.map((n) => n.slice(-2)), ["-0", "-1", "-2"]);
  assert.match(second.report!.jobs[0].reason!, /exited with code 3.*after 3 attempts/);
});

Deno.test("runner: a full queue holds the job back, then submits it once room frees", async () => {
  let refusals = 3;
  const { plan, cluster } = await setup(2, {
    sbatch: (job) =>
      job.name.startsWith(plan.jobs[1].name) && refusals-- > 0
        ? {
          error:
            "Batch job submission failed: Job violates accounting/QOS policy (job submit limit, user's size and/or time limits) QOSMaxSubmitJobPerUserLimit",
        }
        : "ok",
  });
  const { report, events } = await run(plan, cluster);
  assert.equal(report?.ok, true);
  assert.equal(count(cluster.submitted).get(`${plan.jobs[1].name}-0`), 1);
  const warnings = events.filter((e) => e.type === "warning").map((e) => e.message);
  assert.ok(warnings.some((m) => /queue limit reached; will submit when room frees/.test(m)));
  assert.equal(refusals, -1, "it was refused three times, then accepted");
});

Deno.test("runner: a job that vanishes without an end file is lost, after the grace period", async () => {
  const { plan, cluster } = await setup(1, { outcome: () => ({ lost: true }) });
  const { report } = await run(plan, cluster, { retryCount: 0, throwOnFailure: false });
  assert.equal(report?.jobs[0].state, "failed");
  assert.equal(report?.jobs[0].failure, "lost");
  assert.match(report!.jobs[0].reason!, /stopped without writing its end file/);
});

Deno.test("runner: Slurm's own kills are named, and a controller that does not answer is ridden out", async () => {
  const { plan, cluster } = await setup(2, {
    controllerDownFor: 4,
    outcome: (job) => job.hash === plan.jobs[0].hash ? { killed: "OUT_OF_MEMORY" } : { exit: 0 },
  });
  const { report, events } = await run(plan, cluster, { retryCount: 0, throwOnFailure: false });
  const warnings = events.filter((e) => e.type === "warning");
  assert.equal(warnings.length, 4);
  assert.match(
    warnings[0].type === "warning" ? warnings[0].message : "",
    /try 1.*Unable to contact/,
  );
  assert.equal(report?.jobs[0].failure, "oom");
  assert.equal(report?.jobs[1].state, "finished");
  assert.equal(cluster.submitted.length, 2);
});

Deno.test("runner: a cancel mid-run is journaled; the next run resubmits without charging it", async () => {
  const { plan, cluster } = await setup(3);
  const stop = new AbortController();
  const first = await run(plan, cluster, {
    retryCount: 0,
    onAbort: "cancel",
    signal: stop.signal,
    onEvent: (e) => e.type === "job:running" && stop.abort(),
  });
  assert.equal((first.error as Error)?.name, "AbortError");
  assert.ok([...cluster.jobs.values()].some((j) => j.state === "CANCELLED"));
  const cancelled = [...cluster.jobs.values()].filter((j) => j.state === "CANCELLED").length;
  const second = await run(plan, cluster, { retryCount: 0 });
  assert.equal(second.report?.ok, true, "retryCount 0, yet cancelled jobs ran again");
  assert.equal(cluster.submitted.length, 3 + cancelled);
});

Deno.test("runner: a crash between sbatch and the journal submits nothing twice", async () => {
  let crash = true;
  const { plan, cluster } = await setup(3, {
    afterExec: (argv) => {
      if (crash && argv[2]?.includes("dpd_sbatch() {")) {
        crash = false;
        throw new ConnectionError("Connection to fake-host lost", "fake-host", 22, false);
      }
    },
  });
  const first = await run(plan, cluster);
  assert.ok(first.error instanceof ConnectionError);
  assert.equal(cluster.submitted.length, 3, "sbatch ran for all three");
  const second = await run(plan, cluster);
  assert.equal(second.report?.ok, true);
  assert.ok([...count(cluster.submitted).values()].every((n) => n === 1), "no name twice");
  const adopted = second.events.filter((e) => e.type === "job:submitted" && e.recovered);
  assert.equal(adopted.length, 3);
});

Deno.test("runner: until 'submitted' returns once every job is queued, and a rerun collects", async () => {
  const { plan, cluster } = await setup(4);
  const first = await run(plan, cluster, { until: "submitted" });
  assert.equal(first.report?.jobs.every((j) => j.state === "running"), true);
  assert.equal(cluster.submitted.length, 4);
  const second = await run(plan, cluster);
  assert.equal(second.report?.ok, true);
  assert.equal(cluster.submitted.length, 4);
});
