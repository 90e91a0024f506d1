import { existsSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { journalFile, stateDirOf } from "../layout.ts";
import { buildReport } from "../runner/report.ts";
import { Journal } from "../state/journal.ts";
import { fold } from "../state/run_state.ts";
import { buildTimeline, type Timeline, type TimelineJob } from "../display/timeline.ts";
import { timelineHtml, timelineSummary } from "../display/timeline_html.ts";
import { grouped, plural, seconds, taskList } from "../display/timeline_text.ts";
import { type Command, type Io, parse } from "./_common.ts";
import { RUN_HELP, RUN_OPTIONS, runArgument } from "./_run_ref.ts";

const HELP = `dpdisp report: a picture of a run: every job's timeline, as text or one HTML file

Usage: dpdisp report RUN [--html FILE] [options]

Reads the run's journal (WORKBASE/.dpdispatcher/RUNID.jsonl) without locking or contacting
anything, so it works for a finished, a crashed and a running run. Without --html, prints a
short summary: jobs by state, queue and run times, every failed, retried or waiting job with
its reason. With --html FILE, writes one self-contained HTML page (inline SVG and CSS, no
script, no network): a bar per job, grouped by state, showing when each attempt was queued,
ran, waited to retry and had its results collected, with failure and pending reasons.

${RUN_HELP}

Options:
  --html FILE          write the HTML page to FILE ("-": print it)
  -w, --work-base DIR  where to look for a run id (default ".")
  --strict             with a submission file: unknown keys are errors
  --json               print the timeline as JSON (times in ms since its startedAt)
  -h, --help           print this help

Examples:
  dpdisp report work/
  dpdisp report submission.json --html report.html
  dpdisp report 3f2a9c -w work/ --json | jq '.jobs[] | select(.state == "failed")'`;

/** Jobs listed by name in the text summary; the rest are counted. */
const LISTED = 20;

function median(values: number[]): number | undefined {
  if (values.length === 0) return undefined;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.floor((s.length - 1) / 2)];
}

function spent(job: TimelineJob, kind: "queued" | "running"): number | undefined {
  const parts = job.segments.filter((s) => s.kind === kind);
  return parts.length === 0 ? undefined : parts.reduce((sum, s) => sum + s.to - s.from, 0);
}

function timesLine(t: Timeline): string | undefined {
  const part = (kind: "queued" | "running", word: string) => {
    const times = t.jobs.map((j) => [j, spent(j, kind)] as const)
      .filter((p): p is readonly [TimelineJob, number] => p[1] !== undefined);
    if (times.length === 0) return undefined;
    const [longest, ms] = times.reduce((a, b) => (b[1] > a[1] ? b : a));
    return `${word} median ${seconds(median(times.map((p) => p[1]))!)}, longest ${seconds(ms)} (${
      taskList(longest)
    })`;
  };
  const parts = [part("queued", "queued"), part("running", "ran")].filter(Boolean);
  return parts.length === 0 ? undefined : `  ${parts.join("; ")}`;
}

/** The lines of `dpdisp report RUN` without --html. */
function summaryLines(t: Timeline): string[] {
  const lines = [timelineSummary(t)];
  const times = timesLine(t);
  if (times) lines.push(times);
  const notable = grouped(t).flatMap((g) => g.jobs).filter((j) =>
    j.state !== "finished" || j.attempts.length > 1 || j.pending.length > 0
  );
  for (const j of notable.slice(0, LISTED)) {
    const failedBefore = j.attempts.filter((a) => a.outcome === "failed" && a.reason).at(-1);
    const why = j.state === "finished"
      ? failedBefore ? `retried after: ${failedBefore.reason}` : ""
      : j.reason ?? j.pending.at(-1)?.reason ?? "";
    const word = j.state === "finished" ? "retried" : j.state;
    lines.push(
      `  ${word.padEnd(9)} ${j.name} (${taskList(j)})  ${plural(j.attempts.length, "attempt")}${
        why ? `  ${why}` : ""
      }`,
    );
  }
  if (notable.length > LISTED) lines.push(`  … and ${notable.length - LISTED} more`);
  return lines;
}

async function run(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse("report", args, {
    ...RUN_OPTIONS,
    html: { type: "string" },
  });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const { plan } = runArgument("report", positionals, values, io);
  const workBase = resolve(plan.workBase);
  const stateDir = stateDirOf(workBase);
  const journal = journalFile(stateDir, plan.runId);
  const records = await Journal.read(journal);
  const report = buildReport(plan, fold(records), { workBase, journal, durationMs: 0 });
  // A runner holding the lock is driving the run now: its live jobs are drawn up to now.
  const attached = existsSync(join(stateDir, `${plan.runId}.lock`));
  const timeline = buildTimeline(report, records, attached ? { now: Date.now() } : {});
  if (values.json) {
    io.out(JSON.stringify(timeline, null, 2));
    return 0;
  }
  if (values.html !== undefined) {
    const page = timelineHtml(timeline, { journal, attached });
    if (values.html === "-") {
      io.out(page);
      return 0;
    }
    await writeFile(values.html, page);
    io.out(timelineSummary(timeline));
    io.out(`wrote ${values.html}: ${timeline.jobs.length} jobs`);
    return 0;
  }
  for (const line of summaryLines(timeline)) io.out(line);
  io.out(`the picture: dpdisp report ${plan.runId.slice(0, 8)} -w ${workBase} --html report.html`);
  return 0;
}

/** `dpdisp report RUN [--html FILE]`: a run's timeline, as text or as an HTML page. */
export const report: Command = {
  summary: "a picture of a run: every job's timeline, as text or one HTML file (--html)",
  help: HELP,
  run,
};
