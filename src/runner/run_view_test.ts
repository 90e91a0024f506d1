import assert from "node:assert/strict";
import { fromReportState, isFinal, RunView } from "./run_view.ts";

Deno.test("run view: one vocabulary, from reports and from events; a retry is unsubmitted again", () => {
  assert.deepEqual(
    (["pending", "cancelled", "queued", "running", "finished", "failed", "dropped"] as const).map(
      fromReportState,
    ),
    ["unsubmitted", "unsubmitted", "queued", "running", "finished", "failed", "dropped"],
  );
  assert.deepEqual(
    (["unsubmitted", "queued", "running", "finished", "failed", "dropped"] as const).map(isFinal),
    [false, false, false, true, true, true],
  );
  const view = new RunView();
  const at = { job: "a", name: "dpd-a" };
  view.apply({ type: "run:start", runId: "r", jobs: 2, tasks: 2, resumed: false, journal: "j" });
  view.apply({ type: "job:submitted", ...at, attempt: 0, id: "7", recovered: false });
  view.apply({ type: "job:running", ...at, id: "7" }, 1000);
  view.apply({ type: "job:pending", ...at, reason: "late news" });
  assert.equal(view.jobs()[0].state, "running", "a stale pending never un-runs a job");
  view.apply({ type: "job:ended", ...at, attempt: 0, ok: false, exitCodes: { t: 1 } }, 1600);
  view.apply({ type: "job:retry", ...at, attempt: 1, delay: 2 });
  assert.deepEqual(view.jobs()[0], {
    name: "dpd-a",
    state: "unsubmitted",
    attempts: 1,
    id: "7",
    reason: "retry in 2 s",
    durationMs: 600,
  });
  assert.equal(view.unsubmitted(), 2);
  assert.deepEqual(view.counts(), {
    queued: 0,
    waiting: 2,
    running: 0,
    done: 0,
    failed: 0,
    jobs: 2,
    tasksDone: 0,
    tasks: 2,
  });
});
