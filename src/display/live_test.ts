import assert from "node:assert/strict";
import { dispatch, task } from "../../mod.ts";
import { LiveRun } from "./live.ts";

Deno.test("LiveRun starts from the plan's jobs, all queued", () => {
  const plan = dispatch({ workBase: "w" }).with({ groupSize: 1 })
    .tasks([0, 1].map((i) => task({ command: "true", taskWorkPath: `t${i}` }))).toPlan();
  const snap = new LiveRun(plan).snapshot();
  assert.equal(snap.runId, plan.runId);
  assert.equal(snap.started, false);
  assert.deepEqual(snap.counts, { queued: 2, running: 0, done: 0, failed: 0 });
  assert.deepEqual(snap.jobs.map((j) => j.name), plan.jobs.map((j) => j.name));
});

Deno.test("LiveRun folds events into job states, attempts, durations and reasons", () => {
  const live = new LiveRun();
  const at = (job: string, name = `dpd-${job}`) => ({ job, name });
  live.see({ type: "run:start", runId: "r", jobs: 3, tasks: 3, resumed: false, journal: "j" });
  live.see({ type: "job:submitting", ...at("a"), attempt: 0 });
  live.see({ type: "job:submitted", ...at("a"), attempt: 0, id: "1", recovered: false });
  live.see({ type: "job:submitted", ...at("b"), attempt: 0, id: "2", recovered: false });
  live.see({ type: "job:pending", ...at("b"), reason: "waiting for resources" });
  live.see({ type: "job:running", ...at("a"), id: "1" }, 1000);
  assert.deepEqual(live.snapshot().counts, { queued: 1, running: 1, done: 0, failed: 0 });
  live.see(
    { type: "job:ended", ...at("a"), attempt: 0, ok: false, exitCodes: {}, reason: "boom" },
    3500,
  );
  live.see({ type: "job:retry", ...at("a"), attempt: 1, delay: 1, reason: "boom" });
  live.see({ type: "job:submitted", ...at("a"), attempt: 1, id: "3", recovered: false });
  live.see({ type: "job:running", ...at("b"), id: "2" }, 4000);
  live.see({ type: "job:ended", ...at("b"), attempt: 0, ok: true, exitCodes: {} }, 4500);
  live.see({ type: "job:final", ...at("b"), state: "finished" });
  const snap = live.snapshot();
  assert.deepEqual(snap.counts, { queued: 1, running: 0, done: 1, failed: 0 });
  assert.deepEqual(snap.jobs, [
    { name: "dpd-a", state: "queued", attempts: 2, durationMs: 2500, reason: "retry in 1 s: boom" },
    { name: "dpd-b", state: "done", attempts: 1, durationMs: 500, reason: undefined },
  ]);
  assert.equal(snap.total, 3);
  assert.equal(snap.started, true);
  live.see({ type: "job:final", ...at("a"), state: "failed", reason: "boom (after 2 attempts)" });
  live.stop(new Error("Run ended with 1 of 3 jobs failed"));
  assert.deepEqual(live.snapshot().counts, { queued: 0, running: 0, done: 1, failed: 1 });
  assert.equal(live.snapshot().error, "Run ended with 1 of 3 jobs failed");
  assert.deepEqual(JSON.parse(JSON.stringify(live.snapshot())).counts.failed, 1, "JSON-safe");
});
