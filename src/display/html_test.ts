import assert from "node:assert/strict";
import { dispatch, type RunReport, task } from "../../mod.ts";
import {
  escapeHtml,
  formatDuration,
  liveBundle,
  MAX_ROWS,
  planBundle,
  reportBundle,
} from "./html.ts";

const EVIL = `<img src=x onerror="alert('x')">&`;

function report(jobs: Partial<RunReport["jobs"][number]>[]): RunReport {
  return {
    kind: "report",
    runId: "r1",
    ok: false,
    jobs: jobs.map((j, i) => ({
      hash: `h${i}`,
      name: `dpd-${i}`,
      state: "finished",
      attempts: 1,
      exitCodes: {},
      tasks: [i],
      ...j,
    })),
    tasks: jobs.map((_, i) => ({
      index: i,
      hash: `t${i}`,
      taskWorkPath: `t${i}`,
      job: `h${i}`,
      state: "finished",
      resultsDir: `/w/t${i}`,
      missing: i === 0 ? ["out.txt"] : [],
    })),
    missingCommon: [],
    journal: "/w/.dpdispatcher/r1.jsonl",
    durationMs: 65_000,
  };
}

Deno.test("escapeHtml escapes the five characters that matter", () => {
  assert.equal(escapeHtml(EVIL), "&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;");
});

Deno.test("formatDuration: ms, s, min, h", () => {
  assert.deepEqual(
    [850, 4_240, 185_000, 7_620_000, undefined].map(formatDuration),
    ["850 ms", "4.2 s", "3 min 05 s", "2 h 07 min", ""],
  );
});

Deno.test("a report: summary, one row per job (failed first), every value escaped", () => {
  const b = reportBundle(report([
    { state: "finished", durationMs: 1200 },
    {
      state: "failed",
      attempts: 4,
      durationMs: 300,
      reason: `task "t1" exited with code 3: ${EVIL}`,
      stderrTail: `line 1\n${EVIL}`,
    },
    { state: "running", attempts: 1 },
  ]));
  const html = b["text/html"];
  assert.ok(!html.includes("<img"), "no markup from values survives");
  assert.ok(html.includes("&lt;img src=x onerror=&quot;alert(&#39;x&#39;)&quot;&gt;&amp;"));
  assert.ok(
    html.includes(
      "<strong>Run r1: 1 of 3 jobs finished, 1 failed, 1 running (3 tasks) in 1 min 05 s</strong>",
    ),
    html,
  );
  assert.ok(html.includes("<p>1 task with missing result files</p>"));
  const rows = [
    ...html.matchAll(
      /<tr><td>(dpd-\d)<\/td><td><span[^>]*>(\w+)<\/span><\/td><td>(\d+)<\/td><td>([^<]*)<\/td>/g,
    ),
  ]
    .map((m) => m.slice(1).join(" "));
  assert.deepEqual(rows, ["dpd-1 failed 4 300 ms", "dpd-2 running 1 ", "dpd-0 finished 1 1.2 s"]);
  assert.match(html, /<details><summary>stderr<\/summary><pre>line 1\n&lt;img/);
  const text = b["text/plain"].split("\n");
  assert.equal(
    text[0],
    "Run r1: 1 of 3 jobs finished, 1 failed, 1 running (3 tasks) in 1 min 05 s",
  );
  assert.match(text[3], /^dpd-1\s+failed\s+4\s+300 ms\s+1\s+task "t1" exited with code 3: <img/);
});

Deno.test("an all-finished report says so; long tables stop at MAX_ROWS and count the rest", () => {
  const jobs = Array.from({ length: MAX_ROWS + 7 }, () => ({ state: "finished" as const }));
  const b = reportBundle({ ...report(jobs), ok: true });
  assert.match(b["text/plain"], /^Run r1: all 57 jobs finished \(57 tasks\)/);
  assert.equal(b["text/html"].match(/<tr>/g)?.length, MAX_ROWS + 1); // + the header row
  assert.ok(b["text/html"].includes("<p>… and 7 more</p>"));
  assert.ok(b["text/plain"].endsWith("… and 7 more"));
});

Deno.test("a plan: jobs, tasks and resources, escaped", () => {
  const plan = dispatch({ workBase: "w<b>" })
    .with({ groupSize: 2, cpuPerNode: 4, queueName: "gpu", walltime: "1h30m", memory: "4G" })
    .tasks([0, 1, 2].map((i) => task({ command: `echo "${i}" > <out>`, taskWorkPath: `t${i}` })))
    .toPlan();
  const b = planBundle(plan);
  const text = b["text/plain"].split("\n");
  assert.equal(
    text[0],
    `Plan ${plan.runId}: 3 tasks in 2 jobs on shell over lazyLocal, work base "w<b>"`,
  );
  assert.equal(
    text[1],
    'Resources: 2 per job, 1 at a time, 1 node × 4 CPUs, queue "gpu", walltime 1 h 30 min, memory 4096 MiB',
  );
  assert.ok(
    text.some((l) => /^dpd-\w{12}\s+2\s+t1, t2\s+echo "1" > <out> \| echo "2" > <out>$/.test(l)),
    b["text/plain"],
  );
  const html = b["text/html"];
  assert.ok(html.includes("work base &quot;w&lt;b&gt;&quot;"));
  assert.ok(html.includes("<td>echo &quot;0&quot; &gt; &lt;out&gt;</td>"));
  assert.ok(!html.includes("<out>") && !html.includes("<b>"));
});

Deno.test("a live run: counts so far, then the report once it ended", () => {
  const live = {
    runId: "r1",
    total: 4,
    started: true,
    resumed: true,
    counts: { queued: 1, running: 1, done: 1, failed: 0 },
    jobs: [
      { name: "dpd-a", state: "queued" as const, attempts: 0, reason: "waiting for <resources>" },
      { name: "dpd-b", state: "running" as const, attempts: 1 },
      { name: "dpd-c", state: "done" as const, attempts: 1, durationMs: 2000 },
    ],
  };
  const b = liveBundle(live);
  assert.equal(
    b["text/plain"].split("\n")[0],
    "Run r1 running: 1 queued, 1 running, 1 done, 0 failed, 1 not seen yet of 4 jobs",
  );
  assert.ok(b["text/html"].includes("waiting for &lt;resources&gt;"));
  assert.ok(b["text/html"].includes("Re-attached"));
  assert.match(
    liveBundle({ ...live, started: false, resumed: false, runId: undefined })["text/plain"],
    /^Run starting: 1 queued/,
  );
  const stopped = liveBundle({ ...live, error: "Cannot <x>" });
  assert.match(stopped["text/plain"], /^Run r1 stopped: .*\nRe-attached.*\nError: Cannot <x>/);
  const ended = report([{ state: "finished" }]);
  assert.deepEqual(liveBundle({ ...live, report: ended }), reportBundle(ended));
});
