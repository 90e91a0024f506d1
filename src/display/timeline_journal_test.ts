import assert from "node:assert/strict";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { RunReport } from "../runner/report.ts";
import type { JournalRecord } from "../state/run_state.ts";
import { reportBundle } from "./html.ts";
import { readJournalSync, reportTimeline } from "./timeline_journal.ts";

const records: JournalRecord[] = [
  { t: "run", runId: "r1", jobs: 2, tasks: 2, at: 1_000 },
  { t: "submitted", job: "a", attempt: 0, id: "1", at: 1_100 },
  { t: "submitted", job: "b", attempt: 0, id: "2", at: 1_100 },
  { t: "ended", job: "a", attempt: 0, ok: false, codes: {}, reason: "boom", at: 2_000 },
  { t: "final", job: "a", state: "failed", reason: "boom", at: 2_100 },
];

function report(journal: string): RunReport {
  const job = (hash: string, state: "failed" | "running", i: number) => ({
    hash,
    name: `dpd-${hash}`,
    state,
    reason: state === "failed" ? "boom" : undefined,
    attempts: 1,
    exitCodes: {},
    tasks: [i],
  });
  return {
    kind: "report",
    runId: "r1",
    ok: false,
    jobs: [job("a", "failed", 0), job("b", "running", 1)],
    tasks: ["a", "b"].map((hash, index) => ({
      index,
      hash: `t${index}`,
      taskWorkPath: `t-${hash}`,
      job: hash,
      state: "pending",
      resultsDir: `/w/t-${hash}`,
      missing: [],
    })),
    missingCommon: [],
    journal,
    durationMs: 0,
  };
}

Deno.test("a journal read synchronously, its torn last line left out", async () => {
  const dir = await mkdtemp(join(tmpdir(), "dpd-timeline-"));
  const path = join(dir, "r1.jsonl");
  await writeFile(path, records.map((r) => JSON.stringify(r) + "\n").join("") + '{"t":"fin');
  assert.deepEqual(readJournalSync(path), records);
  assert.equal(readJournalSync(join(dir, "none.jsonl")), undefined);
  const t = reportTimeline(report(path))!;
  assert.deepEqual(t.jobs.map((j) => [j.hash, j.segments.map((s) => s.kind)]), [
    ["a", ["unknown"]],
    ["b", ["queued"]],
  ]);
});

Deno.test("a report's notebook display draws its timeline from the journal it names", async () => {
  const dir = await mkdtemp(join(tmpdir(), "dpd-timeline-"));
  const path = join(dir, "r1.jsonl");
  await writeFile(path, records.map((r) => JSON.stringify(r) + "\n").join(""));
  const html = reportBundle(report(path))["text/html"];
  assert.equal(html.match(/<g class="job"/g)?.length, 2);
  assert.ok(html.indexOf("<figure") < html.indexOf("<table"), "the picture before the table");
  assert.match(html, /<title>dpd-a \(t-a\): failed: boom\n/);
  assert.match(html, /<title>dpd-b \(t-b\): running\n/);
  // No journal (moved, or another machine): the table alone, and no error.
  const without = reportBundle(report(join(dir, "gone.jsonl")))["text/html"];
  assert.ok(!without.includes("<figure") && without.includes("<table"));
});
