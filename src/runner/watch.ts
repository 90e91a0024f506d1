import { exitCodePath } from "../schedulers/_script.ts";
import { type JobEnd, parseEndFile } from "../schedulers/end_file.ts";
import type { JournalRecord } from "../state/run_state.ts";
import type { RunContext } from "./_context.ts";

/** What one poll learned. */
export interface PollResult {
  /** Jobs that ended (journaled by the poll). */
  readonly ended: number;
  /** Jobs the scheduler newly reports as running. */
  readonly started: readonly string[];
}

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
    : `exited with code ${code}`;
  return `task "${failed.taskWorkPath}" ${what}${last ? `: ${last}` : ""}`;
}

/**
 * One poll over the live jobs: read every live attempt's end file in one batch (the fast path),
 * ask the scheduler once about the jobs without one, and re-read the end files of jobs the
 * scheduler no longer knows (a job may write its end file and exit between the two reads).
 * A job gone without an end file after the transport's grace period ended abnormally; its
 * tasks' exit-code files tell which tasks still finished.
 */
export async function poll(
  ctx: RunContext,
  live: readonly string[],
  goneSince: Map<string, number>,
): Promise<PollResult> {
  const attempt = (job: string) => ctx.jobState(job)!.submitted!;
  const endPath = (job: string) => `${ctx.attemptPrefix(job, attempt(job).attempt)}.end`;
  const ends = new Map<string, JobEnd>();
  const read = async (jobs: readonly string[]) => {
    const texts = await ctx.conn.readFiles(jobs.map(endPath));
    jobs.forEach((job, i) => {
      const end = texts[i] === undefined ? undefined : parseEndFile(texts[i]!);
      if (end) ends.set(job, end);
    });
  };
  await read(live);
  const unknown = live.filter((j) => !ends.has(j));
  const started: string[] = [];
  const records: JournalRecord[] = [];
  if (unknown.length > 0) {
    const jobs = unknown.map((j) => ({ id: attempt(j).id, hash: j }));
    const result = await ctx.conn.exec(ctx.target.scheduler.statusArgv(jobs));
    const status = ctx.target.scheduler.parseStatus(result, jobs);
    const gone = unknown.filter((j) => status.get(attempt(j).id)?.state === "gone");
    for (const j of unknown) if (status.get(attempt(j).id)?.state === "running") started.push(j);
    if (gone.length > 0) await read(gone);
    const dead: string[] = [];
    const now = Date.now();
    for (const j of gone) {
      if (ends.has(j)) continue;
      const since = goneSince.get(j) ?? now;
      goneSince.set(j, since);
      if (now - since >= (ctx.target.transport.endFileGraceMs ?? 0)) dead.push(j);
    }
    for (const j of dead) {
      goneSince.delete(j);
      const tasks = ctx.tasksOf(ctx.job(j));
      const texts = await ctx.conn.readFiles(tasks.map((t) => `${ctx.runRoot}/${exitCodePath(t)}`));
      const codes = Object.fromEntries(tasks.map((t, i) => {
        const text = texts[i]?.trim();
        return [t.hash, text && /^\d+$/.test(text) ? Number(text) : null];
      }));
      const ok = Object.values(codes).every((c) => c === 0);
      records.push({
        t: "ended",
        job: j,
        attempt: attempt(j).attempt,
        ok,
        codes,
        reason: ok
          ? undefined
          : "stopped without writing its end file (killed, or its node was lost)",
        at: now,
      });
    }
  }
  for (const [job, end] of ends) {
    records.push({
      t: "ended",
      job,
      attempt: attempt(job).attempt,
      ok: end.ok,
      codes: end.codes,
      reason: failureReason(ctx, job, end),
      stderrTail: end.stderrTail,
      start: end.start,
      end: end.end,
      at: Date.now(),
    });
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
      reason: r.reason,
    });
  }
  return { ended: records.length, started };
}
