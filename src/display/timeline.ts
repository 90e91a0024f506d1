/**
 * A run's timeline from its journal: per job and attempt, when it was submitted, started, ended
 * and collected, what kept it waiting and why it failed. Pure: the records in, JSON-safe data
 * out, so a finished, crashed or running run all draw the same way.
 *
 * Where each segment comes from:
 *
 * | segment      | from                                   | to                                                 |
 * | ------------ | -------------------------------------- | -------------------------------------------------- |
 * | `queued`     | `submitted` (else `intent`)            | the start                                          |
 * | `running`    | the end file's `start`, else a `seen` running record | the end file's `end`, else the `ended` record |
 * | `unknown`    | `submitted`, when no start is recorded | the end (queued or running: nobody saw it start)   |
 * | `waiting`    | a failed or cancelled attempt's end    | the next attempt's `intent` (the retry delay)      |
 * | `collecting` | the last attempt's end                 | the last `collected` record (results are home)     |
 *
 * End files keep whole seconds: a time from them is drawn at the middle of what is possible
 * within that second and the journal's own times (not before the submission, not after the
 * runner learnt the end). An attempt that has not ended reaches `asOf` and is `open`.
 *
 * @module
 */
import type { FailureClass } from "../executor/failure.ts";
import type { JobReportState, RunReport } from "../runner/report.ts";
import type { JournalRecord } from "../state/run_state.ts";

/** What a stretch of a job's bar shows. */
export type SegmentKind = "queued" | "running" | "unknown" | "waiting" | "collecting";

/** How an attempt ended. */
export type AttemptOutcome = "ok" | "failed" | "cancelled";

/** One stretch of a job's bar; times in milliseconds since the timeline's start. */
export interface TimelineSegment {
  /** What it shows. */
  readonly kind: SegmentKind;
  /** The attempt it belongs to (0 = the first submission). */
  readonly attempt: number;
  /** Start, ms since {@linkcode Timeline.startedAt}. */
  readonly from: number;
  /** End, ms since {@linkcode Timeline.startedAt}. */
  readonly to: number;
  /** True when still going at {@linkcode Timeline.asOf}. */
  readonly open?: boolean;
  /** How its attempt ended (`running` and `unknown` segments of an ended attempt). */
  readonly outcome?: AttemptOutcome;
}

/** A pending reason a poll journaled, ms since the timeline's start. */
export interface PendingReason {
  /** The attempt it was said of. */
  readonly attempt: number;
  /** When it was first said. */
  readonly at: number;
  /** The reason, in words. */
  readonly reason: string;
}

/** What the journal says of one attempt; times in ms since the timeline's start. */
export interface TimelineAttempt {
  /** Its number (0 = the first submission). */
  readonly attempt: number;
  /** The scheduler's id. */
  readonly id?: string;
  /** When the runner submitted it (or meant to: the `intent`). */
  readonly submittedAt?: number;
  /** When it started, if known. */
  readonly startedAt?: number;
  /** Where the start comes from: the job's end file, or a poll that saw it running. */
  readonly startFrom?: "end file" | "poll";
  /** When it ended, if it did. */
  readonly endedAt?: number;
  /** How it ended; undefined while live. */
  readonly outcome?: AttemptOutcome;
  /** How it failed. */
  readonly failure?: FailureClass;
  /** Why it failed or was cancelled, in words. */
  readonly reason?: string;
}

/** One job's row. */
export interface TimelineJob {
  /** The job's hash. */
  readonly hash: string;
  /** Its scheduler name. */
  readonly name: string;
  /** Where it stands (the report's state). */
  readonly state: JobReportState;
  /** Its tasks' directories (`taskWorkPath`), in plan order. */
  readonly tasks: readonly string[];
  /** Its attempts, in order. */
  readonly attempts: readonly TimelineAttempt[];
  /** Its bar, left to right. */
  readonly segments: readonly TimelineSegment[];
  /** Reasons the scheduler gave for keeping it waiting, in order. */
  readonly pending: readonly PendingReason[];
  /** When its results were last collected. */
  readonly collectedAt?: number;
  /** Why it failed (or the final reason), in words. */
  readonly reason?: string;
  /** How its latest attempt failed. */
  readonly failure?: FailureClass;
}

/** A run's timeline. JSON-safe. */
export interface Timeline {
  /** Always `"timeline"`. */
  readonly kind: "timeline";
  /** The run's id. */
  readonly runId: string;
  /** Unix ms of the first journal record; undefined for an empty journal. */
  readonly startedAt?: number;
  /** Unix ms the picture is drawn as of: `now` while jobs are live, else the last record. */
  readonly asOf?: number;
  /** `asOf - startedAt`, in ms (0 for an empty journal). */
  readonly span: number;
  /** Jobs with an attempt that has not ended. */
  readonly live: number;
  /** Every job of the report, in its order. */
  readonly jobs: readonly TimelineJob[];
}

/** Options of {@linkcode buildTimeline}. */
export interface TimelineOptions {
  /**
   * Unix ms to draw live attempts up to (a runner still drives the run). Without it, they
   * reach the journal's last record.
   * @default undefined
   */
  readonly now?: number;
}

interface MutableAttempt {
  attempt: number;
  id?: string;
  intentAt?: number;
  submittedAt?: number;
  seenRunningAt?: number;
  ended?: Extract<JournalRecord, { t: "ended" }>;
}

interface MutableJob {
  attempts: Map<number, MutableAttempt>;
  pending: PendingReason[];
  collectedAt?: number;
  finalAt?: number;
}

/**
 * The middle of what is possible for a time an end file gives as the whole second starting at
 * `second` (Unix ms), known to lie between `lo` and `hi`.
 */
function within(second: number, lo: number, hi: number): number {
  const from = Math.max(second, lo);
  const to = Math.max(Math.min(second + 1000, hi), from);
  return from > hi ? Math.max(hi, lo) : (from + to) / 2;
}

function collect(records: readonly JournalRecord[], hashes: ReadonlySet<string>) {
  const jobs = new Map<string, MutableJob>();
  let first: number | undefined;
  let last: number | undefined;
  const job = (hash: string) => {
    let j = jobs.get(hash);
    if (!j) jobs.set(hash, j = { attempts: new Map(), pending: [] });
    return j;
  };
  const attempt = (hash: string, n: number) => {
    const attempts = job(hash).attempts;
    let a = attempts.get(n);
    if (!a) attempts.set(n, a = { attempt: n });
    return a;
  };
  for (const r of records) {
    if (typeof r.at === "number" && Number.isFinite(r.at)) {
      first = Math.min(first ?? r.at, r.at);
      last = Math.max(last ?? r.at, r.at);
    }
    if (!("job" in r) || !hashes.has(r.job)) continue;
    switch (r.t) {
      case "intent":
        attempt(r.job, r.attempt).intentAt ??= r.at;
        break;
      case "submitted": {
        const a = attempt(r.job, r.attempt);
        a.submittedAt ??= r.at;
        a.id = r.id;
        break;
      }
      case "seen":
        if (r.state === "running") attempt(r.job, r.attempt).seenRunningAt ??= r.at;
        else if (r.reason) {
          job(r.job).pending.push({ attempt: r.attempt, at: r.at, reason: r.reason });
        }
        break;
      case "ended":
        attempt(r.job, r.attempt).ended = r;
        break;
      case "collected":
        job(r.job).collectedAt = r.at;
        break;
      case "final":
        job(r.job).finalAt = r.at;
        break;
    }
  }
  return { jobs, first, last };
}

function outcomeOf(e: Extract<JournalRecord, { t: "ended" }>): AttemptOutcome {
  return e.ok ? "ok" : e.cancelled ? "cancelled" : "failed";
}

/** One job's attempts and bar, in ms since `o`. */
function jobLine(j: MutableJob | undefined, o: number, asOf: number, settled: boolean) {
  const attempts: TimelineAttempt[] = [];
  const segments: TimelineSegment[] = [];
  const push = (kind: SegmentKind, from: number, to: number, rest: { attempt: number }) =>
    segments.push({ kind, from: from - o, to: to - o, ...rest });
  const list = [...(j?.attempts.values() ?? [])].sort((a, b) => a.attempt - b.attempt);
  let prevEnd: number | undefined;
  let lastOk = false;
  list.forEach((a, i) => {
    const next = list[i + 1];
    const queuedAt = a.submittedAt ?? a.intentAt;
    const e = a.ended;
    if (queuedAt === undefined) return;
    if (prevEnd !== undefined && prevEnd < queuedAt) {
      push("waiting", prevEnd, queuedAt, { attempt: a.attempt });
    }
    // The latest the attempt can have lasted: until the runner learnt its end, the next
    // attempt, the job's final record, or the picture's edge.
    const bound = e?.at ?? next?.intentAt ?? (settled ? j?.finalAt : undefined) ?? asOf;
    const open = e === undefined && next === undefined && !settled;
    const byPoll = a.seenRunningAt !== undefined ? Math.min(a.seenRunningAt, bound) : undefined;
    // End files keep whole seconds: the start lies in its second, after the submission and
    // before a poll saw it running; the end in its second, after the start and before the
    // runner learnt it. Each is drawn at the middle of what is possible.
    const fromEnd = e?.start ? e.start * 1000 : undefined;
    const start = fromEnd !== undefined
      ? within(fromEnd, queuedAt, byPoll ?? bound)
      : byPoll !== undefined
      ? Math.max(byPoll, queuedAt)
      : undefined;
    const end = e?.end ? within(e.end * 1000, start ?? queuedAt, bound) : bound;
    const outcome = e ? outcomeOf(e) : undefined;
    const tail = { attempt: a.attempt, ...(outcome ? { outcome } : {}), ...(open ? { open } : {}) };
    if (start !== undefined) {
      push("queued", queuedAt, start, { attempt: a.attempt });
      push("running", start, end, tail);
    } else push(e ? "unknown" : "queued", queuedAt, end, tail);
    attempts.push({
      attempt: a.attempt,
      id: a.id,
      submittedAt: queuedAt - o,
      startedAt: start === undefined ? undefined : start - o,
      startFrom: start === undefined ? undefined : fromEnd !== undefined ? "end file" : "poll",
      endedAt: e ? end - o : undefined,
      outcome,
      failure: e && !e.ok ? e.failure : undefined,
      reason: e && !e.ok ? e.reason : undefined,
    });
    prevEnd = e ? end : undefined;
    lastOk = e?.ok ?? false;
  });
  const collectedAt = j?.collectedAt;
  if (lastOk && prevEnd !== undefined && collectedAt !== undefined && collectedAt > prevEnd) {
    push("collecting", prevEnd, collectedAt, { attempt: list.at(-1)!.attempt });
  }
  return { attempts: attempts.map(dropUndefined), segments, open: segments.some((s) => s.open) };
}

/** The same object without its undefined fields (so JSON and deep equality agree). */
function dropUndefined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

/**
 * Builds a run's timeline from its report (job names, states, reasons, task directories) and its
 * journal records.
 * Pure; records of jobs the report does not hold are ignored.
 *
 * @example
 * ```ts
 * import { buildTimeline } from "./timeline.ts";
 * import type { RunReport } from "../runner/report.ts";
 *
 * const report = {
 *   runId: "r1",
 *   jobs: [{ hash: "a", name: "dpd-a", state: "finished", tasks: [0], attempts: 1 }],
 *   tasks: [{ index: 0, taskWorkPath: "t0" }],
 * } as unknown as RunReport;
 * const t = buildTimeline(report, [
 *   { t: "intent", job: "a", attempt: 0, at: 1_000 },
 *   { t: "submitted", job: "a", attempt: 0, id: "7", at: 1_100 },
 *   { t: "ended", job: "a", attempt: 0, ok: true, codes: {}, start: 2, end: 4, at: 5_000 },
 *   { t: "collected", job: "a", tasks: [], missing: {}, at: 5_200 },
 * ]);
 * console.log(t.jobs[0].segments.map((s) => `${s.kind} ${s.from}-${s.to}`));
 * // [ "queued 100-1500", "running 1500-3500", "collecting 3500-4200" ]
 * ```
 */
export function buildTimeline(
  report: Pick<RunReport, "runId" | "jobs" | "tasks">,
  records: readonly JournalRecord[],
  options: TimelineOptions = {},
): Timeline {
  const hashes = new Set(report.jobs.map((j) => j.hash));
  const paths = new Map(report.tasks.map((t) => [t.index, t.taskWorkPath]));
  const { jobs, first, last } = collect(records, hashes);
  const finals = new Set(report.jobs.filter((j) => isSettled(j.state)).map((j) => j.hash));
  const lastAt = last ?? first;
  const anyLive = report.jobs.some((j) =>
    !finals.has(j.hash) && (j.state === "running" || j.state === "queued")
  );
  const asOf = lastAt === undefined
    ? undefined
    : anyLive && options.now !== undefined
    ? Math.max(options.now, lastAt)
    : lastAt;
  const origin = first ?? 0;
  let live = 0;
  const out = report.jobs.map((rj): TimelineJob => {
    const j = jobs.get(rj.hash);
    const line = jobLine(j, origin, asOf ?? origin, finals.has(rj.hash));
    if (line.open) live++;
    return dropUndefined({
      hash: rj.hash,
      name: rj.name,
      state: rj.state,
      tasks: rj.tasks.map((i) => paths.get(i) ?? `#${i}`),
      attempts: line.attempts,
      segments: line.segments,
      pending: (j?.pending ?? []).map((p) => ({ ...p, at: p.at - origin })),
      collectedAt: j?.collectedAt === undefined ? undefined : j.collectedAt - origin,
      reason: rj.reason,
      failure: rj.failure,
    });
  });
  return {
    kind: "timeline",
    runId: report.runId,
    ...(first !== undefined ? { startedAt: first, asOf } : {}),
    span: asOf !== undefined ? asOf - origin : 0,
    live,
    jobs: out,
  };
}

/** Whether a report state means the job is done with for now (nothing of it is live). */
function isSettled(state: JobReportState): boolean {
  return state !== "running";
}
