import assert from "node:assert/strict";
import { Writable } from "node:stream";
import type { RunEvent } from "../runner/events.ts";
import type { RunReport } from "../runner/report.ts";
import type { Io } from "./_common.ts";
import { eventJson, eventLine, progressMode, ProgressTracker, progressView } from "./progress.ts";

const job = (n: number) => ({ job: `h${n}`, name: `dpd-${n}` });
const EVENTS: RunEvent[] = [
  { type: "run:start", runId: "r1", jobs: 2, tasks: 3, resumed: false, journal: "/j" },
  { type: "job:submitted", ...job(1), attempt: 0, id: "11", recovered: false },
  { type: "job:submitted", ...job(2), attempt: 0, id: "12", recovered: false },
  { type: "job:running", ...job(1), id: "11" },
  { type: "job:ended", ...job(1), attempt: 0, ok: true, exitCodes: { a: 0, b: 0 } },
  { type: "job:final", ...job(1), state: "finished" },
  { type: "job:ended", ...job(2), attempt: 0, ok: false, exitCodes: { c: 3 }, reason: "exit 3" },
  { type: "job:retry", ...job(2), attempt: 1, delay: 1, reason: "a task failed" },
];

Deno.test("the tracker counts jobs queued, running, done and failed, and tasks done", () => {
  const t = new ProgressTracker();
  const seen: string[] = [];
  for (const e of EVENTS) {
    t.apply(e);
    const c = t.counts();
    seen.push(`${c.queued}+${c.waiting}/${c.running}/${c.done}/${c.failed} ${c.tasksDone}`);
  }
  assert.deepEqual(seen, [
    "0+2/0/0/0 0",
    "1+1/0/0/0 0",
    "2+0/0/0/0 0",
    "1+0/1/0/0 0",
    "1+0/1/0/0 2",
    "1+0/0/1/0 2",
    "1+0/0/1/0 2",
    "0+1/0/1/0 2",
  ]);
  assert.equal(t.allSubmitted(), false, "the retry waits to be submitted");
  assert.equal(t.unsubmitted(), 1, "the retry has no attempt in the scheduler");
  t.apply({ type: "job:submitted", ...job(2), attempt: 1, id: "13", recovered: false });
  assert.equal(t.allSubmitted(), true);
  assert.equal(t.unsubmitted(), 0);
  t.apply({ type: "job:final", ...job(2), state: "failed", reason: "a task failed" });
  assert.deepEqual(t.counts(), {
    queued: 0,
    waiting: 0,
    running: 0,
    done: 1,
    failed: 1,
    jobs: 2,
    tasksDone: 2,
    tasks: 3,
  });
});

Deno.test("a re-attached run starts from its recorded report", () => {
  const report = {
    jobs: [
      { hash: "h1", state: "finished" },
      { hash: "h2", state: "running" },
      { hash: "h3", state: "cancelled" },
    ],
    tasks: [{ hash: "a", state: "finished" }, { hash: "b", state: "running" }, {
      hash: "c",
      state: "cancelled",
    }],
  } as unknown as RunReport;
  const t = new ProgressTracker();
  t.seed(report);
  assert.equal(t.unsubmitted(), 1, "the cancelled job waits to be submitted again");
  // A job a poll saw running stays running; the cancelled one waits here to be resubmitted.
  assert.deepEqual(t.counts(), {
    queued: 0,
    waiting: 1,
    running: 1,
    done: 1,
    failed: 0,
    jobs: 3,
    tasksDone: 1,
    tasks: 3,
  });
  assert.equal(t.allSubmitted(), false, "the cancelled job is submitted again");
});

Deno.test("plain lines and JSON lines", () => {
  assert.equal(eventLine(EVENTS[0]), "run r1: 3 tasks in 2 jobs");
  assert.equal(eventLine(EVENTS[1]), "  dpd-1 submitted as 11");
  assert.equal(eventLine(EVENTS[7]), "  dpd-2 failed (a task failed); retry 1 in 1 s");
  assert.equal(eventLine({ type: "poll", live: 1, interval: 1 }), undefined);
  assert.deepEqual(JSON.parse(eventJson(EVENTS[5])), EVENTS[5]);
  const end = JSON.parse(eventJson({
    type: "run:end",
    report: {
      runId: "r1",
      ok: true,
      jobs: [{ state: "finished" }, { state: "finished" }],
      tasks: [{ state: "finished" }],
      durationMs: 5,
      journal: "/j",
    } as unknown as RunReport,
  }));
  assert.deepEqual(end, {
    type: "run:end",
    runId: "r1",
    ok: true,
    jobs: { finished: 2 },
    tasksFinished: 1,
    tasks: 1,
    durationMs: 5,
    journal: "/j",
  });
});

Deno.test("the mode follows the flags, then the terminal; only the live view draws", () => {
  const out: string[] = [];
  const io = (tty: boolean): Io => ({ out: (l) => out.push(l), err: (l) => out.push(l), tty });
  assert.equal(progressMode({ json: true }, io(true)), "json");
  assert.equal(progressMode({ quiet: true }, io(true)), "quiet");
  assert.equal(progressMode({}, io(true)), "live");
  assert.equal(progressMode({}, io(false)), "plain");

  let drawn = "";
  const stream = Object.assign(
    new Writable({
      write(chunk, _enc, done) {
        drawn += String(chunk);
        done();
      },
    }),
    {
      isTTY: true,
      columns: 120,
      cursorTo: () => true,
      clearLine: () => true,
      moveCursor: () => true,
    },
  );
  const tracker = new ProgressTracker();
  const view = progressView("live", io(true), tracker, stream);
  for (const e of EVENTS) {
    tracker.apply(e);
    view.onEvent(e);
  }
  view.stop();
  assert.deepEqual(out, [], "nothing through the line printer");
  assert.match(drawn, /run r1: 3 tasks in 2 jobs/);
  assert.match(drawn, /dpd-2 failed \(a task failed\); retry 1 in 1 s/);
  assert.match(
    drawn,
    /1\/2 jobs done \| 0 running \| 0 queued \| 1 waiting \| 0 failed \| tasks 2\/3 \| \d/,
  );
});

Deno.test("queued jobs say why they wait and which ids the scheduler holds; Slurm's None is no reason", () => {
  const t = new ProgressTracker();
  t.apply({ type: "run:start", runId: "r", jobs: 3, tasks: 3, resumed: false, journal: "/j" });
  for (const n of [1, 2, 3]) {
    t.apply({
      type: "job:submitted",
      ...job(n),
      attempt: 0,
      id: String(100 + n),
      recovered: false,
    });
  }
  t.apply({ type: "job:pending", ...job(1), reason: "Resources" });
  t.apply({ type: "job:pending", ...job(2), reason: "Resources" });
  t.apply({ type: "job:pending", ...job(3), reason: "None" });
  assert.equal(t.pendingReason(), "Resources (2)");
  assert.equal(t.liveIds(), "101-103");
  t.apply({ type: "job:running", ...job(3), id: "103" });
  assert.deepEqual({ ...t.counts() }, {
    queued: 2,
    waiting: 0,
    running: 1,
    done: 0,
    failed: 0,
    jobs: 3,
    tasksDone: 0,
    tasks: 3,
  });
  assert.equal(
    eventLine({ type: "job:pending", ...job(3), reason: "None" }),
    "  dpd-3 pending in the queue",
  );
  assert.equal(
    eventLine({ type: "job:pending", ...job(1), reason: "Priority" }),
    "  dpd-1 pending: Priority",
  );
});
