import assert from "node:assert/strict";
import type { JobReportState, RunReport } from "../runner/report.ts";
import type { JournalRecord } from "../state/run_state.ts";
import { buildTimeline, type TimelineJob } from "./timeline.ts";

/** A report of jobs `a`, `b`, ... in these states, one task each (`t-a`, ...). */
function reportOf(states: Record<string, JobReportState>): RunReport {
  const hashes = Object.keys(states);
  return {
    kind: "report",
    runId: "r1",
    ok: false,
    jobs: hashes.map((hash, i) => ({
      hash,
      name: `dpd-${hash}`,
      state: states[hash],
      attempts: 1,
      exitCodes: {},
      tasks: [i],
    })),
    tasks: hashes.map((hash, i) => ({
      index: i,
      hash: `t${i}`,
      taskWorkPath: `t-${hash}`,
      job: hash,
      state: "finished",
      resultsDir: `/w/t-${hash}`,
      missing: [],
    })),
    missingCommon: [],
    journal: "/w/.dpdispatcher/r1.jsonl",
    durationMs: 0,
  };
}

const bar = (j: TimelineJob) => j.segments.map((s) => `${s.kind}@${s.attempt} ${s.from}-${s.to}`);

// Unix ms; end files say seconds: 1_000_000 s is T0 + 0 ms.
const T0 = 1_000_000_000;
const ended = (
  job: string,
  attempt: number,
  at: number,
  more: Partial<Extract<JournalRecord, { t: "ended" }>> = {},
): JournalRecord => ({ t: "ended", job, attempt, ok: true, codes: {}, at: T0 + at, ...more });

Deno.test("a finished job: queued from its submission, running per its end file, then collected", () => {
  const t = buildTimeline(reportOf({ a: "finished" }), [
    { t: "run", runId: "r1", jobs: 1, tasks: 1, at: T0 },
    { t: "intent", job: "a", attempt: 0, at: T0 + 100 },
    { t: "submitted", job: "a", attempt: 0, id: "42", at: T0 + 200 },
    // Started in second 1, ended in second 4; the runner learnt it at 5.3 s.
    ended("a", 0, 5_300, { start: 1_000_001, end: 1_000_004 }),
    { t: "collected", job: "a", tasks: ["t0"], missing: {}, at: T0 + 5_600 },
    { t: "final", job: "a", state: "finished", at: T0 + 5_700 },
  ]);
  assert.equal(t.startedAt, T0);
  assert.equal(t.span, 5_700);
  assert.equal(t.live, 0);
  const [a] = t.jobs;
  assert.deepEqual(a.tasks, ["t-a"]);
  // Each end-file second is drawn at its middle.
  assert.deepEqual(bar(a), ["queued@0 200-1500", "running@0 1500-4500", "collecting@0 4500-5600"]);
  assert.deepEqual(a.attempts, [{
    attempt: 0,
    id: "42",
    submittedAt: 200,
    startedAt: 1500,
    startFrom: "end file",
    endedAt: 4500,
    outcome: "ok",
  }]);
});

Deno.test("end-file seconds stay between the journal's times: not before submission, not after the end was learnt", () => {
  const t = buildTimeline(reportOf({ a: "finished" }), [
    { t: "submitted", job: "a", attempt: 0, id: "1", at: T0 + 800 },
    // A sub-second job: start and end in second 0, which began before the submission.
    ended("a", 0, 950, { start: 1_000_000, end: 1_000_000 }),
  ]);
  const [q, r] = t.jobs[0].segments;
  assert.ok(q.to >= q.from && r.from >= 0 && r.to <= 150 && r.to >= r.from, bar(t.jobs[0]).join());
  // A cluster clock far ahead: clamped to when the runner learnt the end.
  const skew = buildTimeline(reportOf({ a: "finished" }), [
    { t: "submitted", job: "a", attempt: 0, id: "1", at: T0 },
    ended("a", 0, 2_000, { start: 1_000_100, end: 1_000_200 }),
  ]);
  assert.deepEqual(bar(skew.jobs[0]), ["queued@0 0-2000", "running@0 2000-2000"]);
});

Deno.test("a retried job: the failed attempt, the wait for the retry, the second attempt", () => {
  const t = buildTimeline(reportOf({ a: "failed" }), [
    { t: "intent", job: "a", attempt: 0, at: T0 },
    { t: "submitted", job: "a", attempt: 0, id: "1", at: T0 },
    ended("a", 0, 3_000, {
      ok: false,
      failure: "exit",
      reason: 'task "t" exited with code 3',
      start: 1_000_001,
      end: 1_000_002,
    }),
    { t: "intent", job: "a", attempt: 1, at: T0 + 4_000 },
    { t: "submitted", job: "a", attempt: 1, id: "2", at: T0 + 4_100 },
    ended("a", 1, 9_000, { ok: false, failure: "timeout", reason: "exceeded its time limit" }),
    { t: "final", job: "a", state: "failed", reason: "exceeded its time limit", at: T0 + 9_100 },
  ]);
  const [a] = t.jobs;
  assert.deepEqual(bar(a), [
    "queued@0 0-1500",
    "running@0 1500-2500",
    "waiting@1 2500-4100",
    // No end-file times (killed by the time limit): queued or running, nobody saw it start.
    "unknown@1 4100-9000",
  ]);
  assert.deepEqual(a.segments.map((s) => s.outcome), [undefined, "failed", undefined, "failed"]);
  assert.deepEqual(a.attempts.map((x) => [x.outcome, x.failure, x.reason]), [
    ["failed", "exit", 'task "t" exited with code 3'],
    ["failed", "timeout", "exceeded its time limit"],
  ]);
  assert.equal(a.reason, undefined, "the reason comes from the report, not the journal");
});

Deno.test("a running run: seen running and pending records, open bars up to now", () => {
  const report = reportOf({ a: "running", b: "running", c: "pending" });
  const records: JournalRecord[] = [
    { t: "submitted", job: "a", attempt: 0, id: "1", at: T0 },
    { t: "submitted", job: "b", attempt: 0, id: "2", at: T0 },
    { t: "seen", job: "a", attempt: 0, state: "running", at: T0 + 2_000 },
    {
      t: "seen",
      job: "b",
      attempt: 0,
      state: "pending",
      reason: "waiting for resources",
      at: T0 + 2_000,
    },
    {
      t: "seen",
      job: "b",
      attempt: 0,
      state: "pending",
      reason: "held by its priority",
      at: T0 + 6_000,
    },
  ];
  const now = buildTimeline(report, records, { now: T0 + 10_000 });
  assert.equal(now.span, 10_000);
  assert.equal(now.live, 2);
  const [a, b, c] = now.jobs;
  assert.deepEqual(bar(a), ["queued@0 0-2000", "running@0 2000-10000"]);
  assert.equal(a.segments[1].open, true);
  assert.equal(a.attempts[0].startFrom, "poll");
  assert.deepEqual(bar(b), ["queued@0 0-10000"]);
  assert.deepEqual(b.pending, [
    { attempt: 0, at: 2_000, reason: "waiting for resources" },
    { attempt: 0, at: 6_000, reason: "held by its priority" },
  ]);
  assert.deepEqual(c.segments, [], "never submitted: no bar");
  // With no runner attached (no `now`), the picture ends at the journal's last record.
  const crashed = buildTimeline(report, records);
  assert.equal(crashed.span, 6_000);
  assert.deepEqual(bar(crashed.jobs[0]), ["queued@0 0-2000", "running@0 2000-6000"]);
});

Deno.test("a crash between intent and submission, a cancel, and an old journal without seen records", () => {
  const t = buildTimeline(reportOf({ a: "pending", b: "cancelled", c: "running" }), [
    { t: "intent", job: "a", attempt: 0, at: T0 },
    { t: "submitted", job: "b", attempt: 0, id: "7", at: T0 },
    { t: "submitted", job: "c", attempt: 0, id: "8", at: T0 },
    { t: "cancelling", jobs: { b: 0 }, reason: "cancelled by dpdisp cancel", at: T0 + 1_000 },
    ended("b", 0, 1_500, { ok: false, cancelled: true, reason: "cancelled by dpdisp cancel" }),
  ]);
  const [a, b, c] = t.jobs;
  assert.deepEqual(bar(a), ["queued@0 0-1500"], "the intent starts the bar; not live: not open");
  assert.equal(a.segments[0].open, undefined);
  assert.deepEqual(bar(b), ["unknown@0 0-1500"]);
  assert.equal(b.segments[0].outcome, "cancelled");
  assert.deepEqual(bar(c), ["queued@0 0-1500"]);
  assert.equal(c.segments[0].open, true);
  assert.equal(t.live, 1);
});

Deno.test("an empty journal, and records of jobs the report does not hold", () => {
  const empty = buildTimeline(reportOf({ a: "pending" }), []);
  assert.deepEqual(
    { startedAt: empty.startedAt, span: empty.span, segments: empty.jobs[0].segments },
    { startedAt: undefined, span: 0, segments: [] },
  );
  const other = buildTimeline(reportOf({ a: "pending" }), [
    { t: "submitted", job: "zz", attempt: 0, id: "1", at: T0 },
  ]);
  assert.deepEqual(other.jobs.map((j) => j.hash), ["a"]);
  assert.deepEqual(JSON.parse(JSON.stringify(other)), other, "JSON-safe");
});
