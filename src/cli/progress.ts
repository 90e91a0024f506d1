// @ts-types="npm:@types/cli-progress@^3.11.6"
import cliProgress from "npm:cli-progress@^3.12.0";
import process from "node:process";
import type { RunEvent } from "../runner/events.ts";
import type { RunReport } from "../runner/report.ts";
import type { RunView } from "../runner/run_view.ts";
import { duration, type Io } from "./_common.ts";

/** The CLI draws the runner's one event fold, as the notebook does. */
export { RunView as ProgressTracker } from "../runner/run_view.ts";
export type { RunCounts as ProgressCounts } from "../runner/run_view.ts";

/** How `submit` reports progress: a live bar, event lines, JSON lines, or nothing. */
export type ProgressMode = "live" | "plain" | "json" | "quiet";

/** Picks the mode from the flags and the terminal. */
export function progressMode(flags: { json?: boolean; quiet?: boolean }, io: Io): ProgressMode {
  return flags.json ? "json" : flags.quiet ? "quiet" : io.tty ? "live" : "plain";
}

/** One event as a plain line, or undefined for events not worth a line. */
export function eventLine(e: RunEvent): string | undefined {
  switch (e.type) {
    case "run:start":
      return `run ${e.runId}: ${e.tasks} tasks in ${e.jobs} jobs${
        e.resumed ? " (re-attached)" : ""
      }`;
    case "stage:done":
      return `  staged ${e.files} files (${e.bytes} bytes) and ${e.scripts} job scripts`;
    case "job:submitted":
      return `  ${e.name} submitted as ${e.id}${e.recovered ? " (found already submitted)" : ""}`;
    case "job:running":
      return `  ${e.name} running`;
    case "job:pending":
      // Slurm says "None" for a job that merely waits its turn.
      return e.reason && e.reason !== "None"
        ? `  ${e.name} pending: ${e.reason}`
        : `  ${e.name} pending in the queue`;
    case "job:retry":
      return `  ${e.name} failed${e.reason ? ` (${e.reason})` : ""}; retry ${e.attempt} in ${
        Math.round(e.delay * 10) / 10
      } s`;
    case "job:collected": {
      const missing = Object.values(e.missing).flat();
      return missing.length > 0
        ? `  ${e.name}: no match for ${missing.map((m) => `"${m}"`).join(", ")}`
        : undefined;
    }
    case "job:final":
      return `  ${e.name} ${e.state}${e.reason ? `: ${e.reason}` : ""}`;
    default:
      return undefined;
  }
}

/** Re-keys a record by task hash to task paths (the hash is kept where a path is unknown). */
function byPath<T>(
  record: Readonly<Record<string, T>>,
  paths: ReadonlyMap<string, string>,
): Record<string, T> {
  return Object.fromEntries(
    Object.entries(record).map(([hash, v]) => [paths.get(hash) ?? hash, v]),
  );
}

/**
 * A JSON line for an event; the end of a run is summed up instead of carrying its report. With
 * `paths` (task hash to `task_work_path`), per-task exit codes and missing files are keyed by
 * the task's path, as a person wrote it.
 */
export function eventJson(e: RunEvent, paths: ReadonlyMap<string, string> = new Map()): string {
  if (e.type === "job:ended") {
    return JSON.stringify({ ...e, exitCodes: byPath(e.exitCodes, paths) });
  }
  if (e.type === "job:collected") {
    return JSON.stringify({ ...e, missing: byPath(e.missing, paths) });
  }
  if (e.type !== "run:end") return JSON.stringify(e);
  const jobs: Record<string, number> = {};
  for (const job of e.report.jobs) jobs[job.state] = (jobs[job.state] ?? 0) + 1;
  return JSON.stringify({
    type: e.type,
    runId: e.report.runId,
    ok: e.report.ok,
    jobs,
    tasksFinished: e.report.tasks.filter((t) => t.state === "finished").length,
    tasks: e.report.tasks.length,
    durationMs: e.report.durationMs,
    journal: e.report.journal,
  });
}

/** Draws progress for one run in the chosen mode; `stop()` before printing the summary. */
export interface ProgressView {
  /** Feeds one event. */
  onEvent(e: RunEvent): void;
  /** Ends the live display (no-op in other modes). */
  stop(): void;
}

// Fits 80 columns for small runs; cli-progress cuts what does not fit the terminal.
const LIVE_FORMAT =
  "{bar} {done}/{jobs} jobs done | {running} running | {queued} queued{why} | {waiting} waiting | {failed} failed | tasks {tasksDone}/{tasks} | {elapsed}{ids}";

/** Creates the view for a mode; the live bar writes to `stream` (stdout). */
export function progressView(
  mode: ProgressMode,
  io: Io,
  tracker: RunView,
  stream: NodeJS.WritableStream = process.stdout,
  paths: ReadonlyMap<string, string> = new Map(),
): ProgressView {
  if (mode === "json") return { onEvent: (e) => io.out(eventJson(e, paths)), stop: () => {} };
  if (mode === "quiet") {
    return {
      onEvent: (e) => e.type === "warning" && io.err(`warning: ${e.message}`),
      stop: () => {},
    };
  }
  if (mode === "plain") {
    return {
      onEvent: (e) => {
        if (e.type === "warning") return io.err(`warning: ${e.message}`);
        const line = eventLine(e);
        if (line !== undefined) io.out(line);
      },
      stop: () => {},
    };
  }
  const started = Date.now();
  const multi = new cliProgress.MultiBar({
    stream,
    format: LIVE_FORMAT,
    hideCursor: true,
    clearOnComplete: false,
    stopOnComplete: false,
    fps: 4,
    barsize: 10,
  }, cliProgress.Presets.shades_classic);
  let bar: cliProgress.SingleBar | undefined;
  const draw = () => {
    const c = tracker.counts();
    const why = tracker.pendingReason();
    const ids = tracker.liveIds();
    const payload = {
      ...c,
      why: why === undefined ? "" : ` (${why})`,
      ids: ids === undefined ? "" : ` | ids ${ids}`,
      elapsed: duration(Date.now() - started),
    };
    if (!bar) bar = multi.create(Math.max(c.jobs, 1), c.done + c.failed, payload);
    else {
      bar.setTotal(Math.max(c.jobs, 1));
      bar.update(c.done + c.failed, payload);
    }
  };
  // The elapsed time moves on between events.
  const timer = setInterval(() => bar && draw(), 1000);
  return {
    onEvent: (e) => {
      if (e.type === "warning") multi.log(`warning: ${e.message}\n`);
      else if (e.type === "run:start" || e.type === "job:retry" || e.type === "job:final") {
        const line = eventLine(e);
        if (line && (e.type !== "job:final" || e.state === "failed")) multi.log(`${line}\n`);
      }
      if (e.type !== "poll") draw();
    },
    stop: () => {
      clearInterval(timer);
      if (bar) draw();
      multi.update(); // flushes lines logged since the last frame
      multi.stop();
    },
  };
}

/** The last lines of a run, in every mode but JSON. */
export function summary(report: RunReport, resumedFrom: number): string {
  const failed = report.jobs.filter((j) => j.state === "failed").length;
  const finished = report.tasks.filter((t) => t.state === "finished").length;
  const head = failed === 0
    ? `run ${report.runId}: all ${report.jobs.length} jobs finished`
    : `run ${report.runId}: ${failed} of ${report.jobs.length} jobs failed`;
  return `${head}, ${finished}/${report.tasks.length} tasks done in ${
    duration(Date.now() - resumedFrom)
  }; journal: ${report.journal}`;
}
