import assert from "node:assert/strict";
import type { JobReportState } from "../runner/report.ts";
import type { Timeline, TimelineJob } from "./timeline.ts";
import { TABLE_ROWS, timelineHtml, timelineSummary } from "./timeline_html.ts";

function job(i: number, state: JobReportState, more: Partial<TimelineJob> = {}): TimelineJob {
  return {
    hash: `h${i}`,
    name: `dpd-${i}`,
    state,
    tasks: [`t${i}`],
    attempts: [{ attempt: 0, submittedAt: 0, startedAt: 200, endedAt: 1_200, outcome: "ok" }],
    segments: [
      { kind: "queued", attempt: 0, from: 0, to: 200 },
      { kind: "running", attempt: 0, from: 200, to: 1_200, outcome: "ok" },
    ],
    pending: [],
    ...more,
  };
}

const START = Date.UTC(2025, 0, 31, 14, 5, 9);
const timeline = (jobs: TimelineJob[], more: Partial<Timeline> = {}): Timeline => ({
  kind: "timeline",
  runId: "r1",
  startedAt: START,
  asOf: START + 65_000,
  span: 65_000,
  live: 0,
  jobs,
  ...more,
});

const failed = job(1, "failed", {
  reason: 'task "t1" exited with code 3: <boom> (after 2 attempts)',
  attempts: [
    {
      attempt: 0,
      submittedAt: 0,
      outcome: "failed",
      reason: 'task "t1" exited with code 3: <boom>',
    },
    { attempt: 1, submittedAt: 2_000, outcome: "failed", reason: "exceeded its memory limit" },
  ],
  pending: [{ attempt: 1, at: 2_500, reason: "waiting for resources" }],
});

Deno.test("the summary: jobs by state, tasks, retries, start and span", () => {
  assert.equal(
    timelineSummary(timeline([job(0, "finished"), failed, job(2, "running")])),
    "Run r1: 1 of 3 jobs finished, 1 failed, 1 running (3 tasks, 1 job retried); started 2025-01-31 14:05:09 UTC, 1 min 05 s to the last record",
  );
  assert.equal(
    timelineSummary(timeline([job(0, "finished")], { startedAt: undefined, span: 0 })),
    "Run r1: all 1 job finished (1 task); nothing journaled yet",
  );
});

Deno.test("a self-contained page: figure, a table row per job with its reasons, no script or URL", () => {
  const page = timelineHtml(timeline([job(0, "finished"), failed]), { journal: "/w/j.jsonl" });
  assert.ok(page.startsWith('<!doctype html>\n<html lang="en">'));
  assert.doesNotMatch(page, /<script|<link|<img|https?:|url\(/i);
  assert.equal(page.match(/<g class="job"/g)?.length, 2);
  const rows = [...page.matchAll(/<tr data-job="(\w+)">(.*?)<\/tr>/g)];
  assert.deepEqual(rows.map((r) => r[1]), ["h1", "h0"], "failed first");
  // The job's reason, then what it does not already say, then the pending reasons.
  assert.ok(
    rows[0][2].includes(
      "<div>task &quot;t1&quot; exited with code 3: &lt;boom&gt; (after 2 attempts)</div>" +
        "<div>attempt 2: exceeded its memory limit</div>" +
        "<div>pending at +2.5 s: waiting for resources</div>",
    ),
    rows[0][2],
  );
  assert.match(rows[1][2], /<td class="num">0\.2 s<\/td><td class="num">1\.0 s<\/td>/);
  assert.ok(page.includes("from the run&#39;s journal /w/j.jsonl"));
  assert.ok(!page.includes("<boom>"));
});

Deno.test("live jobs are said to be live, with or without a runner attached", () => {
  const live = timeline([job(0, "running")], { live: 1 });
  assert.match(
    timelineHtml(live, { attached: true }),
    /1 job still queued or running as of 2025-01-31 14:06:14 UTC \(a runner is attached\)/,
  );
  assert.match(timelineHtml(live), /1 job not ended at the last record .*no runner is attached/);
});

Deno.test("the table stops at TABLE_ROWS and counts the rest", () => {
  const jobs = Array.from({ length: TABLE_ROWS + 3 }, (_, i) => job(i, "finished"));
  const page = timelineHtml(timeline(jobs));
  assert.equal(page.match(/<tr data-job=/g)?.length, TABLE_ROWS);
  assert.match(page, /<p>… and 3 more \(finished last\)<\/p>/);
  assert.equal(page.match(/<g class="job"/g)?.length, TABLE_ROWS + 3, "the figure has them all");
});
