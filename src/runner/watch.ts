import { FAILURE_WORDS } from "../executor/failure.ts";
import { type JobEnd, mergeEnds, parseEndFile } from "../shell/end_file.ts";
import type { SchedulerStatus } from "../executor/batch/scheduler.ts";
import type { JournalRecord } from "../state/run_state.ts";
import type { RunContext } from "./context.ts";

/** What one poll learned. */
export interface PollResult {
  /** Jobs that ended (journaled by the poll). */
  readonly ended: number;
  /** Jobs the scheduler reports as running. */
  readonly running: readonly string[];
  /** Jobs the scheduler keeps waiting, with the reason in words. */
  readonly pending: ReadonlyMap<string, string>;
  /** Whether the scheduler was asked this poll (else `running` and `pending` are empty). */
  readonly asked: boolean;
}

/** State carried from poll to poll. */
export interface WatchMemory {
  /** When each job was first seen gone without an end file. */
  readonly goneSince: Map<string, number>;
  /** How many polls an end file showing a killed task waited for the scheduler's verdict. */
  readonly deferred: Map<string, number>;
  /** When the scheduler was last asked (epoch ms). */
  statusAt: number;
}

/**
 * The scheduler is asked at most this often while nothing needs its verdict: end files tell of
 * jobs that end normally at every poll, and each status query is a controller RPC (a `squeue`
 * process of about 30 ms of CPU here, and the controller's own work), where a hand-written loop
 * asks once a second.
 */
export const STATUS_EVERY_MS = 2_000;

/** Why a job failed, in words, from its end file. */
export function failureReason(ctx: RunContext, job: string, end: JobEnd): string | undefined {
  if (end.ok) return undefined;
  const tasks = ctx.tasksOf(ctx.job(job));
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
 * One poll over the live jobs: read every live attempt's end file in one batch (the fast path),
 * then ask the scheduler once about the jobs without one (at most every `STATUS_EVERY_MS`
 * unless a verdict is awaited), and about jobs whose end file shows a killed task, since the
 * scheduler knows whether it was the memory or time limit; and re-read
 * the end files of jobs the scheduler no longer knows (a job may write its end file and exit
 * between the two reads). A job gone without an end file after the transport's grace period
 * ended abnormally; its tasks' exit-code files tell which tasks still finished.
 */
export async function poll(
  ctx: RunContext,
  live: readonly string[],
  memory: WatchMemory,
): Promise<PollResult> {
  const attempt = (job: string) => ctx.jobState(job)!.submitted!;
  const ends = new Map<string, JobEnd>();
  // One batched read of every end file; an array job has ended once all its elements have.
  const read = async (jobs: readonly string[]) => {
    const files = jobs.map((job) => ctx.endFiles(job, attempt(job).attempt));
    const texts = await ctx.conn.readFiles(files.flat().map((f) => f.path));
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
  await read(live);
  const ask = live.filter((j) => !ends.has(j) || killed(ends.get(j)!));
  const running: string[] = [];
  const pending = new Map<string, string>();
  const verdict = new Map<string, SchedulerStatus>();
  const records: JournalRecord[] = [];
  const now = Date.now();
  const needed = memory.goneSince.size > 0 || ask.some((j) => ends.has(j)) ||
    now - memory.statusAt >= STATUS_EVERY_MS;
  const asked = ask.length > 0 && needed;
  if (asked) {
    memory.statusAt = now;
    const jobs = ask.map((j) => ({ id: attempt(j).id, hash: j }));
    const result = await ctx.conn.exec(ctx.target.scheduler.statusArgv(jobs), {
      idempotent: true,
    });
    const status = ctx.target.scheduler.parseStatus(result, jobs);
    for (const j of ask) {
      const s = status.get(attempt(j).id) ?? { state: "gone" };
      verdict.set(j, s);
      if (s.state === "running") running.push(j);
      if (s.state === "pending") pending.set(j, s.reason ?? "pending");
    }
    // A killed task's end file waits (a few polls at most) for the scheduler to say why.
    for (const j of ask) {
      if (!ends.has(j)) continue;
      const s = verdict.get(j)!;
      const waited = memory.deferred.get(j) ?? 0;
      if (s.state !== "gone" && waited < 10) {
        memory.deferred.set(j, waited + 1);
        ends.delete(j);
      } else memory.deferred.delete(j);
    }
    const gone = ask.filter((j) =>
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
      const grace = killedBy && killedBy !== "exit"
        ? 0
        : ctx.target.transport.endFileGraceMs ?? ctx.target.scheduler.endFileGraceMs ?? 0;
      if (now - since < grace) continue;
      memory.goneSince.delete(j);
      dead.push(j);
    }
    const deadCodes = dead.length > 0 ? await ctx.readExitCodes(dead) : [];
    dead.forEach((j, k) => {
      const codes = deadCodes[k];
      const ok = Object.values(codes).every((c) => c === 0);
      const s = verdict.get(j)!;
      const failure = ok ? undefined : s.failure ?? "lost";
      records.push({
        t: "ended",
        job: j,
        attempt: attempt(j).attempt,
        ok,
        codes,
        failure,
        reason: failure
          ? `${FAILURE_WORDS[failure]}${s.reason ? ` (${s.reason})` : ""}`
          : undefined,
        at: now,
      });
    });
  }
  for (const [job, end] of ends) {
    const s = verdict.get(job);
    const scheduler = !end.ok && s?.failure && s.failure !== "exit" ? s.failure : undefined;
    const reason = failureReason(ctx, job, end);
    records.push({
      t: "ended",
      job,
      attempt: attempt(job).attempt,
      ok: end.ok,
      codes: end.codes,
      failure: end.ok ? undefined : scheduler ?? "exit",
      reason: scheduler ? `${FAILURE_WORDS[scheduler]}; ${reason}` : reason,
      stderrTail: end.stderrTail,
      start: end.start,
      end: end.end,
      at: now,
    });
  }
  // An attempt whose cancel was journaled ended by that request, even if the runner that sent
  // it died before journaling the end (cancelLive): resubmitted, not charged to the budget.
  for (const [k, r] of records.entries()) {
    if (r.t !== "ended" || r.ok) continue;
    const cancelling = ctx.jobState(r.job)!.cancelling;
    if (cancelling?.attempt !== r.attempt) continue;
    records[k] = { ...r, failure: undefined, reason: cancelling.reason, cancelled: true };
  }
  await ctx.record(records);
  for (const r of records) {
    if (r.t !== "ended") continue;
    ctx.emit({
      type: "job:ended",
      job: r.job,
      name: ctx.job(r.job).name,
      attempt: r.attempt,
      ok: r.ok,
      exitCodes: r.codes,
      failure: r.failure,
      reason: r.reason,
    });
  }
  return { ended: records.length, running, pending, asked };
}
