import assert from "node:assert/strict";
import type { JobReportState } from "../runner/report.ts";
import type { Timeline, TimelineJob, TimelineSegment } from "./timeline.ts";
import { timelineSvg } from "./timeline_svg.ts";
import { esc, grouped, jobStory, seconds, taskList } from "./timeline_text.ts";

const EVIL = `<img src=x onerror="alert('x')">&`;

function job(i: number, state: JobReportState, segments: TimelineSegment[] = []): TimelineJob {
  return {
    hash: `h${i}`,
    name: `dpd-${i}`,
    state,
    tasks: [`t${i}`],
    attempts: [{ attempt: 0, submittedAt: 0, startedAt: 100, endedAt: 900, outcome: "ok" }],
    segments: segments.length > 0 ? segments : [
      { kind: "queued", attempt: 0, from: 0 + i, to: 100 + i },
      { kind: "running", attempt: 0, from: 100 + i, to: 900 + i, outcome: "ok" },
    ],
    pending: [],
  };
}

const timeline = (jobs: TimelineJob[], span = 1_000): Timeline => ({
  kind: "timeline",
  runId: "r1",
  startedAt: Date.UTC(2025, 0, 31, 14, 5, 9),
  asOf: Date.UTC(2025, 0, 31, 14, 5, 9) + span,
  span,
  live: jobs.filter((j) => j.segments.some((s) => s.open)).length,
  jobs,
});

const jobGroups = (
  svg: string,
) => [...svg.matchAll(/<g class="job" data-job="(\w+)" data-state="(\w+)">/g)];

Deno.test("one <g class=job> per job, grouped by state with the failed ones first", () => {
  const jobs = [job(0, "finished"), job(1, "failed"), job(2, "running"), job(3, "finished")];
  const svg = timelineSvg(timeline(jobs));
  assert.deepEqual(jobGroups(svg).map((m) => `${m[1]} ${m[2]}`), [
    "h1 failed",
    "h2 running",
    "h0 finished",
    "h3 finished",
  ]);
  assert.match(svg, /failed · 1 job<\/text>/);
  assert.match(svg, /finished · 2 jobs<\/text>/);
  assert.match(svg, /<title id="dpd-tl-r1-title">Timeline of run r1<\/title>/);
  assert.match(svg, /role="img" aria-labelledby="dpd-tl-r1-title dpd-tl-r1-desc"/);
  assert.match(svg, /<desc id="dpd-tl-r1-desc">4 jobs \(4 tasks\) over 1\.0 s: 1 failed/);
  assert.match(svg, />time since 14:05:09 UTC</);
  assert.ok(!/<script|https?:/.test(svg), "no script, no URL");
});

Deno.test("colours say what a segment is; open bars end in an arrow; pending reasons are dots", () => {
  const svg = timelineSvg(timeline([
    job(0, "failed", [
      { kind: "queued", attempt: 0, from: 0, to: 100 },
      { kind: "running", attempt: 0, from: 100, to: 200, outcome: "failed" },
      { kind: "waiting", attempt: 1, from: 200, to: 300 },
      { kind: "unknown", attempt: 1, from: 300, to: 400, outcome: "failed" },
    ]),
    { ...job(1, "running", [{ kind: "running", attempt: 0, from: 0, to: 1_000, open: true }]) },
    {
      ...job(2, "running", [{ kind: "queued", attempt: 0, from: 0, to: 1_000, open: true }]),
      pending: [{ attempt: 0, at: 500, reason: "waiting for resources" }],
    },
  ]));
  const [failed, running, queued] = svg.split('<g class="job"').slice(1);
  assert.match(failed, /fill="#cf222e"\/>/, "the failed attempt is red");
  assert.match(failed, /<line [^>]*stroke-dasharray="3 2"\/>/, "the retry wait is a dashed line");
  assert.match(failed, /fill="#cf222e" fill-opacity="0.35"\/>/, "no start recorded: pale");
  assert.match(failed, />✕<\/text>/);
  assert.match(running, /<path d="M[^"]+Z" fill="#218bff"\/>/, "still running: an arrow");
  assert.match(queued, /<circle [^>]*fill="#bf8700"\/>/);
  assert.match(queued, /pending at \+0\.5 s: waiting for resources/);
});

Deno.test("names, reasons and ids are escaped everywhere", () => {
  const j: TimelineJob = {
    ...job(0, "failed"),
    hash: `x"y`,
    name: EVIL,
    tasks: [EVIL],
    reason: EVIL,
    attempts: [{ attempt: 0, id: EVIL, submittedAt: 0, outcome: "failed", reason: EVIL }],
  };
  const svg = timelineSvg({ ...timeline([j]), runId: `r"1` });
  assert.ok(!svg.includes("<img"), "no markup from values survives");
  assert.ok(svg.includes(esc(EVIL)));
  assert.ok(svg.includes('data-job="x&quot;y"'));
  assert.ok(svg.includes('id="dpd-tl-r&quot;1-title"'));
});

Deno.test("5,000 jobs: a row each, no labels on thin rows, a few failed ones still readable", () => {
  const jobs = Array.from(
    { length: 5_000 },
    (_, i) => job(i, i % 500 === 0 ? "failed" : i % 50 === 1 ? "running" : "finished"),
  );
  const svg = timelineSvg(timeline(jobs, 10_000));
  assert.equal(jobGroups(svg).length, 5_000);
  const height = Number(/viewBox="0 0 1200 ([\d.]+)"/.exec(svg)![1]);
  assert.ok(height > 700 && height < 1_300, `height ${height}`);
  assert.ok(!svg.includes(">t17<"), "finished rows are too thin for names");
  assert.ok(!svg.includes(">t51<"), "and so are 100 running ones");
  assert.ok(svg.includes(">t500</text>"), "the 10 failed jobs keep 14 px rows and their names");
  assert.equal(svg.match(/fill="transparent"/g)?.length, 10, "a pointer target where it helps");
  assert.ok(svg.length < 3_000_000, `${svg.length} characters`);
  // 50 jobs: names readable (rows of 14 px).
  const fifty = timelineSvg(timeline(jobs.slice(0, 50)));
  assert.ok(fifty.includes(">t17</text>"));
  assert.match(fifty, /<rect x="0" y="[\d.]+" width="1200" height="14" fill="transparent"\/>/);
});

Deno.test("drawing order, task lists, stories and durations", () => {
  const late = {
    ...job(0, "finished"),
    segments: [{ kind: "queued" as const, attempt: 0, from: 500, to: 600 }],
  };
  const early = job(1, "finished");
  assert.deepEqual(grouped(timeline([late, early]))[0].jobs.map((j) => j.hash), ["h1", "h0"]);
  assert.equal(taskList(early), "t1");
  assert.equal(taskList({ ...early, tasks: ["a", "b", "c"] }), "a +2 more");
  assert.equal(taskList({ ...early, tasks: ["x".repeat(30)] }), `…${"x".repeat(23)}`);
  assert.equal(taskList({ ...early, tasks: [] }), "dpd-1");
  const story = jobStory({
    ...job(2, "failed"),
    reason: "exceeded its time limit (after 2 attempts)",
    attempts: [
      {
        attempt: 0,
        id: "11",
        submittedAt: 0,
        startedAt: 1_000,
        endedAt: 3_000,
        outcome: "failed",
        reason: "x",
      },
      { attempt: 1, id: "12", submittedAt: 5_000, endedAt: 65_000, outcome: "failed" },
    ],
    pending: [{ attempt: 1, at: 5_500, reason: "waiting for resources" }],
  });
  assert.equal(
    story,
    [
      "dpd-2 (t2): failed after 2 attempts: exceeded its time limit (after 2 attempts)",
      "attempt 1 (id 11), submitted at +0.0 s, queued 1.0 s, ran 2.0 s, failed: x",
      "attempt 2 (id 12), submitted at +5.0 s, ended after 1 min 00 s (start not recorded), failed",
      "pending at +5.5 s: waiting for resources",
    ].join("\n"),
  );
  assert.deepEqual([40, 400, 12_400, 185_000, 7_620_000].map(seconds), [
    "< 0.1 s",
    "0.4 s",
    "12 s",
    "3 min 05 s",
    "2 h 07 min",
  ]);
});
