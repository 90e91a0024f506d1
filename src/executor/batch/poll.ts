import { type JobEnd, mergeEnds, parseEndFile } from "../../shell/end_file.ts";
import type { Task } from "../../plan/task.ts";
import type { Connection } from "../../transports/transport.ts";
import { ParseError } from "../../errors.ts";
import type { AttemptEnd, AttemptStatus, LiveAttempt, PollAnswer } from "../executor.ts";
import { FAILURE_WORDS } from "../failure.ts";
import type { AttemptFiles } from "./attempts.ts";
import type { Scheduler, SchedulerStatus } from "./scheduler.ts";

/**
 * The scheduler is asked at most this often while nothing needs its verdict: end files tell of
 * jobs that end normally at every poll, and each status query is a controller RPC (see
 * bench/README.md), where a hand-written loop asks once a second.
 */
export const STATUS_EVERY_MS = 2_000;

/** Polls an end file showing a killed task may wait for the scheduler to say why. */
const DEFER_POLLS = 10;

/** What a batch poll carries from one poll to the next. */
export interface PollMemory {
  /** When each job was first seen gone without an end file. */
  readonly goneSince: Map<string, number>;
  /** How many polls an end file showing a killed task waited for the scheduler's verdict. */
  readonly deferred: Map<string, number>;
  /** When the scheduler was last asked (epoch ms). */
  statusAt: number;
}

/** What a batch poll works with. */
export interface BatchPollContext {
  readonly conn: Connection;
  readonly scheduler: Scheduler;
  readonly files: AttemptFiles;
  /** Milliseconds to wait for the end file of a job the scheduler says ended normally. */
  readonly graceMs: number;
  readonly memory: PollMemory;
  readonly now: () => number;
  /** Each task's exit code left so far, job by job. */
  readonly exitCodes: (jobs: readonly string[]) => Promise<Record<string, number | null>[]>;
  /** End files as a watcher delivered them; undefined when none is up (read them instead). */
  readonly watched?: (paths: readonly string[]) => (string | undefined)[] | undefined;
}

/** Why a job failed, in words, from its end file. */
export function failureReason(tasks: readonly Task[], end: JobEnd): string | undefined {
  if (end.ok) return undefined;
  const failed = tasks.find((t) => t.hash === end.failedTask) ??
    tasks.find((t) => end.codes[t.hash] !== 0);
  if (!failed) return "failed";
  const code = end.codes[failed.hash];
  const last = end.stderrTail?.trim().split("\n").pop();
  const what = code === null || code === undefined
    ? "left no exit code"
    : code > 128
    ? `was killed by signal ${code - 128}`
    : `exited with code ${code}`;
  return `task "${failed.taskWorkPath}" ${what}${last ? `: ${last}` : ""}`;
}

/** A task killed by a signal usually means the scheduler killed it (memory, time, cancel). */
const killed = (end: JobEnd) =>
  !end.ok && Object.values(end.codes).some((c) => c !== null && c > 128);

/**
 * One poll over the live attempts of a batch run: read every end file in one batch (the fast
 * path), then ask the scheduler once about the jobs without one (at most every `STATUS_EVERY_MS`
 * unless a verdict is awaited) and about jobs whose end file shows a killed task, since the
 * scheduler knows whether it was the memory or time limit; and re-read the end files of jobs the
 * scheduler no longer knows (a job may write its end file and exit between the two reads). A job
 * gone without an end file after the grace period ended abnormally; its tasks' exit-code files
 * tell which tasks still finished.
 */
export async function pollBatch(
  ctx: BatchPollContext,
  live: readonly LiveAttempt[],
): Promise<PollAnswer> {
  const { memory, scheduler } = ctx;
  const byJob = new Map(live.map((a) => [a.job, a]));
  const ends = new Map<string, JobEnd>();
  // One batched read of every end file; an array job has ended once all its elements have.
  const read = async (jobs: readonly string[], watched = false) => {
    const files = jobs.map((job) => ctx.files.endFiles(byJob.get(job)!));
    const paths = files.flat().map((f) => f.path);
    const texts = (watched ? ctx.watched?.(paths) : undefined) ?? await ctx.conn.readFiles(paths);
    let at = 0;
    jobs.forEach((job, i) => {
      const parsed = files[i].map((file) => {
        const text = texts[at++];
        const end = text === undefined ? undefined : parseEndFile(text);
        // Complete only with an exit code line for every task it ran.
        return end && file.tasks.every((t) => t.hash in end.codes) ? end : undefined;
      });
      if (parsed.every((e) => e !== undefined)) ends.set(job, mergeEnds(parsed as JobEnd[]));
    });
  };
  // The watcher's news when it runs (no command at all); the jobs the scheduler says are gone
  // are read for real below, since their end file may have landed after its last scan.
  await read(live.map((a) => a.job), true);
  const ask = live.filter((a) => !ends.has(a.job) || killed(ends.get(a.job)!));
  const status = new Map<string, AttemptStatus>();
  const verdict = new Map<string, SchedulerStatus>();
  const now = ctx.now();
  const needed = memory.goneSince.size > 0 || ask.some((a) => ends.has(a.job)) ||
    now - memory.statusAt >= STATUS_EVERY_MS;
  const asked = ask.length > 0 && needed;
  if (asked) {
    memory.statusAt = now;
    const jobs = ask.map((a) => ({ id: a.id, hash: a.job }));
    const result = await ctx.conn.exec(scheduler.statusArgv(jobs), { idempotent: true });
    let answer;
    try {
      answer = scheduler.parseStatus(result, jobs);
    } catch (e) {
      throw new ParseError(`Cannot read ${scheduler.name}'s job status`, result, { cause: e });
    }
    for (const a of ask) {
      const s = answer.get(a.id) ?? { state: "gone" };
      verdict.set(a.job, s);
      if (s.state === "running") status.set(a.job, { state: "running" });
      if (s.state === "pending") {
        status.set(a.job, { state: "pending", reason: s.reason ?? "pending" });
      }
    }
    // A killed task's end file waits (a few polls at most) for the scheduler to say why.
    for (const a of ask) {
      if (!ends.has(a.job)) continue;
      const waited = memory.deferred.get(a.job) ?? 0;
      if (verdict.get(a.job)!.state !== "gone" && waited < DEFER_POLLS) {
        memory.deferred.set(a.job, waited + 1);
        ends.delete(a.job);
      } else memory.deferred.delete(a.job);
    }
    const gone = ask.map((a) => a.job).filter((j) =>
      !ends.has(j) && verdict.get(j)!.state === "gone" && !memory.deferred.has(j)
    );
    if (gone.length > 0) await read(gone);
    const dead: string[] = [];
    for (const j of gone) {
      if (ends.has(j)) continue;
      const since = memory.goneSince.get(j) ?? now;
      memory.goneSince.set(j, since);
      // A job the scheduler saw killed (time, memory, cancel) writes no end file: no wait. One that
      // ended normally did write it, and a shared filesystem may show it late.
      const killedBy = verdict.get(j)!.failure;
      const grace = killedBy && killedBy !== "exit" ? 0 : ctx.graceMs;
      if (now - since < grace) continue;
      memory.goneSince.delete(j);
      dead.push(j);
    }
    const deadCodes = dead.length > 0 ? await ctx.exitCodes(dead) : [];
    dead.forEach((j, k) => {
      const codes = deadCodes[k];
      const ok = Object.values(codes).every((c) => c === 0);
      const s = verdict.get(j)!;
      const failure = ok ? undefined : s.failure ?? "lost";
      const reason = failure
        ? `${FAILURE_WORDS[failure]}${s.reason ? ` (${s.reason})` : ""}`
        : undefined;
      status.set(j, { state: "ended", end: { ok, codes, failure, reason } });
    });
  }
  for (const [job, end] of ends) {
    const s = verdict.get(job);
    const by = !end.ok && s?.failure && s.failure !== "exit" ? s.failure : undefined;
    const reason = failureReason(ctx.files.tasksOf(job), end);
    const ending: AttemptEnd = {
      ok: end.ok,
      codes: end.codes,
      failure: end.ok ? undefined : by ?? "exit",
      reason: by ? `${FAILURE_WORDS[by]}; ${reason}` : reason,
      stderrTail: end.stderrTail,
      start: end.start,
      end: end.end,
    };
    status.set(job, { state: "ended", end: ending });
  }
  return { status, asked };
}
