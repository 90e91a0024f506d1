import { resolve } from "node:path";
import { z } from "npm:zod@^4.1.0";
import { ConnectionError } from "../errors.ts";
import type { Target } from "../executor/executor.ts";
import type { Plan } from "../plan/plan.ts";
import type { JournalRecord } from "../state/run_state.ts";
import { parseWith } from "../plan/validate.ts";
import { cancelLive, dropIfEnough } from "./cancel.ts";
import { collectCommon } from "./collect.ts";
import type { RunEvent } from "./events.ts";
import { checkPermissions } from "./permission_check.ts";
import { permissions } from "./permissions.ts";
import { MIN_INTERVAL_MS, nextInterval } from "./policy/poll_interval.ts";
import {
  queueRoom,
  type QueueWindow,
  queueWindow,
  widenQueueWindow,
} from "./policy/queue_window.ts";
import { submitBackoffMs } from "./policy/retry.ts";
import { pollLive } from "./poll.ts";
import { preflight } from "./preflight.ts";
import { buildReport, type RunReport } from "./report.ts";
import { type Clock, RunSession } from "./session.ts";
import { settleEnded } from "./settle.ts";
import { type Submission, submit } from "./submit.ts";

/** Options of `run()`. */
export interface RunOptions {
  /** Stops the run; jobs keep running unless `onAbort: "cancel"`. */
  readonly signal?: AbortSignal;
  /** Called with every event, synchronously. */
  readonly onEvent?: (event: RunEvent) => void;
  /**
   * At most this many of the run's jobs wait in the scheduler's queue at once (Slurm); more are
   * submitted as those start or end. `Infinity` submits every job at once, like dpdispatcher.
   * Unset, it starts at 64 and doubles while the cluster starts every queued job. Shell and
   * `slurmJobArray` submit every job at once either way.
   * @default 64, adaptive
   */
  readonly maxQueued?: number;
  /** Fixed seconds between polls (dpdispatcher's `check_interval`); unset adapts from 0.25 s to 15 s. */
  readonly pollInterval?: number;
  /** Resubmissions of a failed job before it is reported failed; counted across restarts. @default 3 */
  readonly retryCount?: number;
  /** Seconds before the first resubmission; doubles each time, up to 5 minutes. @default 1 */
  readonly retryDelay?: number;
  /** Throw a `RunError` (after collecting every finished result) when a job failed. @default true */
  readonly throwOnFailure?: boolean;
  /** Remove the run's remote directory (or, in place, its scripts) once every job finished. @default false */
  readonly clean?: boolean;
  /** On abort: `"detach"` leaves jobs running for the next run to re-attach; `"cancel"` cancels them. @default "detach" */
  readonly onAbort?: "detach" | "cancel";
  /**
   * `"end"` runs until every job is done; `"submitted"` returns once every job is submitted
   * (dpdispatcher's `exit_on_submit`), queueing them all at once: the jobs keep running, and the
   * next `run()` re-attaches to collect them. @default "end"
   */
  readonly until?: "end" | "submitted";
}

const optionsSchema = z.object({
  signal: z.any().optional(),
  onEvent: z.any().optional(),
  pollInterval: z.number().positive("expected seconds > 0").optional(),
  // zod's number() refuses Infinity, the value that queues every job at once.
  maxQueued: z.custom<number>(
    (n) => n === Infinity || (Number.isInteger(n) && (n as number) >= 1),
    "expected an integer >= 1 or Infinity",
  ).optional(),
  retryCount: z.number().int("expected an integer").min(0, "expected an integer >= 0").default(3),
  retryDelay: z.number().min(0, "expected seconds >= 0").default(1),
  throwOnFailure: z.boolean().default(true),
  clean: z.boolean().default(false),
  onAbort: z.enum(["detach", "cancel"]).default("detach"),
  until: z.enum(["end", "submitted"]).default("end"),
}).strict();

/** Run options with defaults filled. */
export type ResolvedRunOptions = z.output<typeof optionsSchema>;

/** Validates run options; a `TypeError` names the bad field. */
export function resolveRunOptions(options: RunOptions = {}): ResolvedRunOptions {
  return parseWith(optionsSchema, options, "run");
}

const MAX_STATUS_ERRORS = 20;

/**
 * Executes a plan on a target: permissions and preflight, lock and journal, stage, then a loop
 * that settles ended jobs, submits what is due and polls what is live, until every job is final
 * (or, with `until: "submitted"`, submitted). A fresh run and a recovery are the same loop over
 * the journal's state.
 */
export async function runPlan(
  plan: Plan,
  target: Target,
  options: ResolvedRunOptions,
  hooks: { readonly emit: (event: RunEvent) => void; readonly clock?: Clock },
): Promise<RunReport> {
  // Under Deno, every missing permission at once, before anything is touched.
  checkPermissions(plan.runId, permissions(plan, target));
  const notices = await preflight(plan, resolve(plan.workBase));
  await using s = await RunSession.open(plan, target, hooks);
  const begun = s.clock.now();
  if (!s.resumed) await s.recordStart(begun);
  s.emit({
    type: "run:start",
    runId: plan.runId,
    jobs: plan.jobs.length,
    tasks: plan.tasks.length,
    resumed: s.resumed,
    journal: s.journal.path,
  });
  if (!s.resumed) { for (const message of notices) s.emit({ type: "warning", message }); }
  if (s.state.stagedRoot !== undefined && s.state.stagedRoot !== s.exec.runRoot) {
    throw new TypeError(
      `Invalid target: run "${plan.runId}" was staged in "${s.state.stagedRoot}", not "${s.exec.runRoot}"; keep remoteRoot unchanged to resume it`,
    );
  }
  await stageOnce(s);
  const untilSubmitted = options.until === "submitted";
  await loop(s, { ...options, maxQueued: untilSubmitted ? Infinity : options.maxQueued });
  if (!untilSubmitted) await collectCommon(s);
  const report = buildReport(plan, s.state, {
    workBase: s.workBase,
    journal: s.journal.path,
    durationMs: s.clock.now() - begun,
  });
  if (options.clean && report.ok) await s.exec.clean();
  s.emit({ type: "run:end", report });
  return report;
}

/** Uploads inputs and writes scripts once per run; journals `staged` and says so. */
export async function stageOnce(s: RunSession): Promise<{ files: number; bytes: number }> {
  if (s.state.staged) return { files: 0, bytes: 0 };
  const staged = await s.exec.stage();
  await s.record([{
    t: "staged",
    files: staged.files,
    bytes: staged.bytes,
    root: s.exec.runRoot,
    at: s.clock.now(),
  }], true);
  s.emit({ type: "stage:done", ...staged });
  return staged;
}

/** What the loop carries from pass to pass. */
interface LoopState {
  /** Earliest time each job may be (re)submitted. */
  readonly notBefore: Map<string, number>;
  /** Refused submissions of each job in a row. */
  readonly submitErrors: Map<string, number>;
  /** Jobs held back by a full queue. */
  readonly limited: Set<string>;
  /** Attempts seen running (`<job>.<attempt>`): a resubmitted job is queued again. */
  readonly running: Set<string>;
  /** The last pending reason said of each job. */
  readonly pendingWhy: Map<string, string>;
  interval: number;
  statusErrors: number;
  window: QueueWindow;
}

async function loop(s: RunSession, options: ResolvedRunOptions): Promise<void> {
  const ls: LoopState = {
    notBefore: new Map(),
    submitErrors: new Map(),
    limited: new Set(),
    running: new Set(),
    pendingWhy: new Map(),
    interval: MIN_INTERVAL_MS,
    statusErrors: 0,
    window: queueWindow(options.maxQueued),
  };
  while (true) {
    if (options.signal?.aborted) await abort(s, options);
    let changed = await settleEnded(s, ls.notBefore, options);
    changed = (await dropIfEnough(s)) || changed;
    const sent = await submitDue(s, ls, options.signal);
    changed = sent.changed || changed;
    const live = s.live();
    const waiting = s.plan.jobs.filter((pj) =>
      ["ended", "recover", "new"].includes(s.phase(pj.hash).phase)
    );
    if (waiting.length === 0 && (live.length === 0 || options.until === "submitted")) return;
    await pause(s, ls, { live: live.length, waiting, held: sent.held, signal: options.signal });
    if (options.signal?.aborted) continue;
    if (live.length > 0) changed = (await pollStep(s, ls, sent.held)) || changed;
    ls.interval = nextInterval(ls.interval, { changed, fixedSeconds: options.pollInterval });
  }
}

/** New jobs, recovered intents, and retries whose backoff has passed. */
function dueSubmissions(s: RunSession, ls: LoopState): Submission[] {
  const now = s.clock.now();
  const due: Submission[] = [];
  for (const pj of s.plan.jobs) {
    if ((ls.notBefore.get(pj.hash) ?? 0) > now) continue;
    const p = s.phase(pj.hash);
    if (p.phase === "new") due.push({ job: pj.hash, attempt: p.attempt, recovered: false });
    else if (p.phase === "recover") due.push({ job: pj.hash, attempt: p.attempt, recovered: true });
    else if (p.phase === "ended" && ls.notBefore.has(pj.hash)) {
      due.push({ job: pj.hash, attempt: p.attempt, recovered: false });
    }
  }
  return due;
}

const runKey = (job: string, attempt: number) => `${job}.${attempt}`;

/**
 * Submits one batch of due attempts. With thousands of jobs, those that end meanwhile are
 * collected between batches. A queueing backend gets no more than the window lets wait in its
 * queue. Recovered intents all go at once, outside the window: they are looked up with one
 * command, and most were queued before the crash.
 */
async function submitDue(
  s: RunSession,
  ls: LoopState,
  signal?: AbortSignal,
): Promise<{ changed: boolean; held: boolean }> {
  const all = dueSubmissions(s, ls);
  const fresh = all.filter((b) => !b.recovered);
  const waitingInQueue = s.live().filter((a) => !ls.running.has(runKey(a.job, a.attempt))).length;
  const windowRoom = s.target.executor.queues ? queueRoom(ls.window, waitingInQueue) : Infinity;
  const batch = s.target.executor.submitBatch;
  const take = Math.min(batch, windowRoom);
  const held = fresh.length > take && windowRoom < batch;
  const due = [...all.filter((b) => b.recovered), ...fresh.slice(0, take)];
  if (due.length === 0) return { changed: false, held };
  for (const b of due) ls.notBefore.delete(b.job);
  const errors = await submit(s, due, signal);
  // Jobs refused alike (a link dropped under a whole batch) make one warning, not one each.
  const warn = new Map<string, { names: string[]; error: Error }>();
  for (const [job, { error, kind }] of errors) {
    if (kind === "fatal") {
      await s.finalize(job, "failed", `could not be submitted: ${error.message}`);
      continue;
    }
    // Transient errors back off exponentially and never end the run; a full queue keeps the job
    // here and tries again as other jobs end.
    const count = (ls.submitErrors.get(job) ?? 0) + 1;
    ls.submitErrors.set(job, count);
    if (kind === "limit") ls.limited.add(job);
    else ls.limited.delete(job);
    ls.notBefore.set(job, s.clock.now() + submitBackoffMs(count, kind));
    const what = kind === "limit"
      ? "queue limit reached; will submit when room frees"
      : `try ${count}`;
    const key = `(${what}): ${error.message}`;
    const entry = warn.get(key) ?? { names: [], error };
    entry.names.push(s.job(job).name);
    warn.set(key, entry);
  }
  for (const [key, { names, error }] of warn) {
    const which = names.length === 1
      ? `job "${names[0]}"`
      : `${names.length} jobs ("${names[0]}", ...)`;
    s.emit({ type: "warning", message: `Cannot submit ${which} ${key}`, error });
  }
  return { changed: errors.size < due.length, held };
}

/** Sleeps until the next poll, or until the next due submission when nothing is live. */
async function pause(
  s: RunSession,
  ls: LoopState,
  at: {
    live: number;
    waiting: readonly { hash: string }[];
    held: boolean;
    signal?: AbortSignal;
  },
): Promise<void> {
  const now = s.clock.now();
  const nextDue = Math.min(...at.waiting.map((pj) => ls.notBefore.get(pj.hash) ?? now));
  // Jobs held back by the window wait for the next poll to make room, not for a due time.
  const delay = at.live > 0
    ? at.held ? ls.interval : Math.min(ls.interval, nextDue - now)
    : nextDue - now;
  s.emit({ type: "poll", live: at.live, interval: Math.max(delay, 0) / 1000 });
  // An executor that hears of job ends as they happen cuts the wait short, though never below
  // the shortest interval: what ends meanwhile is collected together.
  const news = at.live > 0 && delay > MIN_INTERVAL_MS ? s.exec.news?.() : undefined;
  if (!news) return await s.clock.sleep(delay, at.signal);
  const started = s.clock.now();
  await s.clock.sleep(MIN_INTERVAL_MS, at.signal);
  if (at.signal?.aborted) return;
  const woken = new AbortController();
  const wake = () => woken.abort();
  at.signal?.addEventListener("abort", wake, { once: true });
  news.then(wake);
  try {
    await s.clock.sleep(delay - (s.clock.now() - started), woken.signal);
  } finally {
    at.signal?.removeEventListener("abort", wake);
  }
}

/** Polls the live jobs; says which started and why others wait; frees room a limit held. */
async function pollStep(s: RunSession, ls: LoopState, held: boolean): Promise<boolean> {
  let changed = false;
  try {
    const result = await pollLive(s);
    ls.statusErrors = 0;
    if (result.asked) {
      ls.window = widenQueueWindow(ls.window, { held, pending: result.pending.size });
    }
    if (result.ended > 0) {
      changed = true;
      // Room may have freed for jobs held back by a queue limit: one per job that ended.
      let room = result.ended;
      for (const job of ls.limited) {
        if (room-- <= 0) break;
        if (ls.notBefore.has(job)) ls.notBefore.set(job, 0);
      }
    }
    // What the polls saw, journaled (no fsync) for the report's timeline.
    const seen: JournalRecord[] = [];
    const at = s.clock.now();
    for (const job of result.running) {
      const p = s.phase(job);
      if (p.phase !== "live" || ls.running.has(runKey(job, p.attempt))) continue;
      ls.running.add(runKey(job, p.attempt));
      seen.push({ t: "seen", job, attempt: p.attempt, state: "running", at });
      // A job that left the queue made room for one held back: poll again soon.
      if (held) changed = true;
      s.emit({ type: "job:running", job, name: s.job(job).name, id: p.id });
    }
    for (const [job, reason] of result.pending) {
      if (ls.pendingWhy.get(job) === reason) continue;
      ls.pendingWhy.set(job, reason);
      const p = s.phase(job);
      if (p.phase === "live") {
        seen.push({ t: "seen", job, attempt: p.attempt, state: "pending", reason, at });
      }
      s.emit({ type: "job:pending", job, name: s.job(job).name, reason });
    }
    await s.record(seen);
  } catch (e) {
    const lost = e instanceof ConnectionError && !e.retryable;
    if (lost || ++ls.statusErrors >= MAX_STATUS_ERRORS) throw e;
    const error = e instanceof Error ? e : new Error(String(e));
    s.emit({
      type: "warning",
      message: `Cannot check job status (try ${ls.statusErrors}): ${error.message}`,
      error,
    });
  }
  return changed;
}

async function abort(s: RunSession, options: ResolvedRunOptions): Promise<never> {
  if (options.onAbort === "cancel") await cancelLive(s, "cancelled on abort");
  const reason = options.signal?.reason;
  throw reason ?? new DOMException("The run was aborted", "AbortError");
}
