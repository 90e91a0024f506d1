import { join, resolve } from "node:path";
import { z } from "zod";
import { mapLimit } from "../_map_limit.ts";
import { ConnectionError } from "../errors.ts";
import type { Plan } from "../plan/plan.ts";
import { parseWith } from "../plan/validate.ts";
import { permissions } from "../plan/permissions.ts";
import { STATE_DIR } from "../shell/job_script.ts";
import type { Target } from "../executor/batch/scheduler.ts";
import { Journal } from "../state/journal.ts";
import { phaseOf, type ResolvedRunOptions, RunContext, sleep } from "./context.ts";
import { cancelLive, dropIfEnough } from "./cancel.ts";
import { collect, collectCommon } from "./collect.ts";
import type { RunEvent } from "./events.ts";
import { checkPermissions } from "./permission_check.ts";
import { buildReport, type RunReport } from "./report.ts";
import { preflight, stage } from "./stage.ts";
import { type Submission, submit, SUBMIT_BATCH } from "./submit.ts";
import { queueRoom, queueWindow, widenQueueWindow } from "./queue_window.ts";
import { poll } from "./watch.ts";

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
}).strict();

/** Validates run options; a `TypeError` names the bad field. */
export function resolveRunOptions(
  options: RunOptions = {},
): ResolvedRunOptions & z.output<typeof optionsSchema> {
  return parseWith(optionsSchema, options, "run");
}

const MIN_INTERVAL = 250;
const MAX_INTERVAL = 15_000;
const MAX_STATUS_ERRORS = 20;
const SETTLE_AT_ONCE = 6;

/**
 * Executes a plan on a target: preflight, lock and journal, stage, then a loop that settles
 * ended jobs, submits what is due and polls what is live, until every job is final.
 * A fresh run and a recovery are the same loop over the journal's state.
 */
export async function runPlan(
  plan: Plan,
  target: Target,
  options: ResolvedRunOptions & { clean: boolean },
  emit: (event: RunEvent) => void,
): Promise<RunReport> {
  const begun = Date.now();
  // Under Deno, every missing permission at once, before anything is touched.
  checkPermissions(plan.runId, permissions(plan, target));
  const workBase = resolve(plan.workBase);
  await preflight(plan, workBase);
  const stateDir = join(workBase, STATE_DIR);
  await using journal = await Journal.open(stateDir, plan.runId);
  const resumed = journal.records.length > 0;
  const conn = await target.transport.connect({
    onWarning: (message) => emit({ type: "warning", message }),
  });
  try {
    const ctx = RunContext.open({ plan, target, conn, journal, options, workBase, emit });
    if (!resumed) await ctx.recordStart(begun);
    emit({
      type: "run:start",
      runId: plan.runId,
      jobs: plan.jobs.length,
      tasks: plan.tasks.length,
      resumed,
      journal: journal.path,
    });
    if (ctx.state.stagedRoot !== undefined && ctx.state.stagedRoot !== ctx.runRoot) {
      throw new TypeError(
        `Invalid target: run "${plan.runId}" was staged in "${ctx.state.stagedRoot}", not "${ctx.runRoot}"; keep remoteRoot unchanged to resume it`,
      );
    }
    if (!ctx.state.staged) await stage(ctx);
    await loop(ctx);
    await collectCommon(ctx);
    const report = buildReport(plan, ctx.state, {
      workBase,
      journal: journal.path,
      durationMs: Date.now() - begun,
    });
    if (options.clean && report.ok) {
      await conn.remove(target.transport.inPlace ? ctx.jobsDir : ctx.runRoot);
    }
    emit({ type: "run:end", report });
    return report;
  } finally {
    await conn.close();
  }
}

async function loop(ctx: RunContext): Promise<void> {
  const { plan, options } = ctx;
  const notBefore = new Map<string, number>();
  const submitErrors = new Map<string, number>();
  const limited = new Set<string>(); // jobs held back by a queue limit
  const memory = {
    goneSince: new Map<string, number>(),
    deferred: new Map<string, number>(),
    statusAt: 0,
  };
  const running = new Set<string>();
  const pendingWhy = new Map<string, string>();
  let interval = MIN_INTERVAL;
  let statusErrors = 0;
  let window = queueWindow(options.maxQueued);
  // Jobs seen running, by attempt (`<job>.<attempt>`): a resubmitted job is queued again.
  const runKey = (job: string) => `${job}.${ctx.jobState(job)!.submitted!.attempt}`;
  while (true) {
    if (options.signal?.aborted) await abort(ctx);
    let changed = false;
    // Ended jobs download side by side: over SSH each download is a round trip.
    const ended = plan.jobs.filter((pj) => phaseOf(ctx.jobState(pj.hash)) === "ended");
    const settled = await mapLimit(ended, SETTLE_AT_ONCE, (pj) => settle(ctx, pj.hash, notBefore));
    changed = settled.some(Boolean) || changed;
    changed = (await dropIfEnough(ctx)) || changed;

    // One batch of new attempts per pass: with thousands of jobs, those that end meanwhile are
    // collected between batches, not only once the last sbatch returned (a minute later at
    // N = 1,000). A queueing scheduler gets no more than the window lets wait in its queue.
    // Recovered intents all go at once, outside the window: they are looked up with one
    // command, and most were queued before the crash.
    const all = dueSubmissions(ctx, notBefore);
    const fresh = all.filter((s) => !s.recovered);
    const windowRoom = ctx.target.scheduler.queues
      ? queueRoom(window, liveJobs(ctx).filter((job) => !running.has(runKey(job))).length)
      : Infinity;
    const take = Math.min(SUBMIT_BATCH, windowRoom);
    const held = fresh.length > take && windowRoom < SUBMIT_BATCH;
    const due = [...all.filter((s) => s.recovered), ...fresh.slice(0, take)];
    if (due.length > 0) {
      for (const s of due) notBefore.delete(s.job);
      const errors = await submit(ctx, due);
      if (errors.size < due.length) changed = true;
      // Jobs refused alike (a link dropped under a whole batch) make one warning, not one each.
      const warn = new Map<string, string[]>();
      for (const [job, { error, kind }] of errors) {
        if (kind === "fatal") {
          await ctx.finalize(job, "failed", `could not be submitted: ${error}`);
          continue;
        }
        // Transient errors back off exponentially (up to a minute) and never end the run; a full
        // queue keeps the job here and tries again as other jobs end.
        const count = (submitErrors.get(job) ?? 0) + 1;
        submitErrors.set(job, count);
        if (kind === "limit") limited.add(job);
        else limited.delete(job);
        notBefore.set(
          job,
          Date.now() + Math.min(1000 * 2 ** (count - 1), kind === "limit" ? 120_000 : 60_000),
        );
        const what = kind === "limit"
          ? "queue limit reached; will submit when room frees"
          : `try ${count}`;
        const key = `(${what}): ${error}`;
        warn.set(key, [...warn.get(key) ?? [], ctx.job(job).name]);
      }
      for (const [key, names] of warn) {
        const which = names.length === 1
          ? `job "${names[0]}"`
          : `${names.length} jobs ("${names[0]}", ...)`;
        ctx.emit({ type: "warning", message: `Cannot submit ${which} ${key}` });
      }
    }

    const live = liveJobs(ctx);
    const waiting = plan.jobs.filter((pj) =>
      ["ended", "recover", "new"].includes(phaseOf(ctx.jobState(pj.hash)))
    );
    if (live.length === 0 && waiting.length === 0) return;
    const nextDue = Math.min(...waiting.map((pj) => notBefore.get(pj.hash) ?? Date.now()));
    // Jobs held back by the window wait for the next poll to make room, not for a due time.
    const delay = live.length > 0
      ? held ? interval : Math.min(interval, nextDue - Date.now())
      : nextDue - Date.now();
    ctx.emit({ type: "poll", live: live.length, interval: Math.max(delay, 0) / 1000 });
    await sleep(delay, options.signal);
    if (options.signal?.aborted) continue;
    if (live.length > 0) {
      try {
        const result = await poll(ctx, live, memory);
        statusErrors = 0;
        if (result.asked) window = widenQueueWindow(window, { held, pending: result.pending.size });
        if (result.ended > 0) {
          changed = true;
          // Room may have freed for jobs held back by a queue limit.
          // One held job per job that ended, so a full queue is not hammered.
          let room = result.ended;
          for (const job of limited) {
            if (room-- <= 0) break;
            if (notBefore.has(job)) notBefore.set(job, 0);
          }
        }
        for (const job of result.running) {
          if (running.has(runKey(job))) continue;
          running.add(runKey(job));
          // A job that left the queue made room for one held back: poll again soon.
          if (held) changed = true;
          ctx.emit({
            type: "job:running",
            job,
            name: ctx.job(job).name,
            id: ctx.jobState(job)!.submitted!.id,
          });
        }
        for (const [job, reason] of result.pending) {
          if (pendingWhy.get(job) === reason) continue;
          pendingWhy.set(job, reason);
          ctx.emit({ type: "job:pending", job, name: ctx.job(job).name, reason });
        }
      } catch (e) {
        const lost = e instanceof ConnectionError && !e.retryable;
        if (lost || ++statusErrors >= MAX_STATUS_ERRORS) throw e;
        ctx.emit({
          type: "warning",
          message: `Cannot check job status (try ${statusErrors}): ${(e as Error).message}`,
        });
      }
    }
    interval = options.pollInterval
      ? options.pollInterval * 1000
      : changed
      ? MIN_INTERVAL
      : Math.min(interval * 1.5, MAX_INTERVAL);
  }
}

/** The jobs with an attempt submitted and not yet ended. */
function liveJobs(ctx: RunContext): string[] {
  return ctx.plan.jobs.filter((pj) => phaseOf(ctx.jobState(pj.hash)) === "live").map((pj) =>
    pj.hash
  );
}

/** New jobs, recovered intents, and retries whose backoff has passed. */
function dueSubmissions(ctx: RunContext, notBefore: Map<string, number>): Submission[] {
  const now = Date.now();
  const due: Submission[] = [];
  for (const pj of ctx.plan.jobs) {
    const j = ctx.jobState(pj.hash);
    const phase = phaseOf(j);
    if ((notBefore.get(pj.hash) ?? 0) > now) continue;
    if (phase === "new") due.push({ job: pj.hash, attempt: j?.attempts ?? 0, recovered: false });
    else if (phase === "recover") due.push({ job: pj.hash, attempt: j!.intent!, recovered: true });
    else if (phase === "ended" && notBefore.has(pj.hash)) {
      due.push({ job: pj.hash, attempt: j!.attempts, recovered: false });
    }
  }
  return due;
}

/** Collects an ended job's finished tasks, then finishes it, schedules a retry, or fails it. */
async function settle(
  ctx: RunContext,
  job: string,
  notBefore: Map<string, number>,
): Promise<boolean> {
  const j = ctx.jobState(job)!;
  const ended = j.ended!;
  await collect(ctx, job);
  if (ended.ok) {
    await ctx.finalize(job, "finished");
    return true;
  }
  if (notBefore.has(job)) return false;
  if (ended.cancelled) {
    notBefore.set(job, 0);
    return false;
  }
  // Someone else cancelled it: that is a decision, not an accident to retry.
  if (j.failures <= ctx.options.retryCount && ended.failure !== "cancelled") {
    const delay = Math.min(ctx.options.retryDelay * 2 ** (j.failures - 1), 300);
    notBefore.set(job, ended.at + delay * 1000);
    ctx.emit({
      type: "job:retry",
      job,
      name: ctx.job(job).name,
      attempt: j.attempts,
      delay,
      reason: ended.reason,
    });
    return false;
  }
  const failed = ctx.tasksOf(ctx.job(job)).filter((t) => !j.succeeded.has(t.hash));
  await collect(ctx, job, failed);
  await ctx.finalize(job, "failed", `${ended.reason ?? "failed"} (after ${j.attempts} attempts)`);
  return true;
}

async function abort(ctx: RunContext): Promise<never> {
  if (ctx.options.onAbort === "cancel") await cancelLive(ctx, "cancelled on abort");
  const reason = ctx.options.signal?.reason;
  throw reason ?? new DOMException("The run was aborted", "AbortError");
}
