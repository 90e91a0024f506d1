import { join, resolve } from "node:path";
import { CommandError } from "../errors.ts";
import type { Plan } from "../plan/plan.ts";
import { STATE_DIR } from "../shell/job_script.ts";
import type { Target } from "../executor/batch/scheduler.ts";
import { Journal } from "../state/journal.ts";
import type { JournalRecord } from "../state/run_state.ts";
import { phaseOf, RunContext } from "./context.ts";
import { collect } from "./collect.ts";

/**
 * Cancels every live job of a plan's run with one scheduler command and journals it, so the
 * next `run()` resubmits them (a cancel by request is not charged to the retry budget).
 * Returns how many jobs were cancelled (a job found finished is journaled as ended, not counted).
 */
export async function cancelPlan(plan: Plan, target: Target): Promise<number> {
  const workBase = resolve(plan.workBase);
  await using journal = await Journal.open(join(workBase, STATE_DIR), plan.runId);
  const conn = await target.transport.connect();
  try {
    const options = { retryCount: 0, retryDelay: 0, onAbort: "cancel" as const };
    const ctx = RunContext.open({ plan, target, conn, journal, options, workBase, emit: () => {} });
    return await cancelLive(ctx, "cancelled on request");
  } finally {
    await conn.close();
  }
}

export async function cancelLive(ctx: RunContext, reason: string): Promise<number> {
  const live = ctx.plan.jobs.filter((pj) => phaseOf(ctx.jobState(pj.hash)) === "live").map((pj) =>
    pj.hash
  );
  if (live.length === 0) return 0;
  const ids = live.map((job) => ctx.jobState(job)!.submitted!.id);
  // Journaled first: a runner that dies after the cancel command leaves these attempts to be
  // ended by request (resubmitted, not charged) by the next run, not as someone else's cancel.
  const jobs = Object.fromEntries(live.map((job) => [job, ctx.jobState(job)!.submitted!.attempt]));
  await ctx.record([{ t: "cancelling", jobs, reason, at: Date.now() }], true);
  const argv = ctx.target.scheduler.cancelArgv(ids);
  const started = Date.now();
  const result = await ctx.conn.exec(argv, { idempotent: true });
  // A job that ended meanwhile is no failure to cancel; anything else (controller unreachable)
  // is: journaling "cancelled" then would let the next run start a second copy beside it.
  if (
    result.exitCode !== 0 &&
    !/invalid job id|already complet|job\/step already/i.test(result.stderr)
  ) {
    throw CommandError.of(
      `Cannot cancel ${ids.length} jobs on ${ctx.target.scheduler.name}`,
      argv,
      ctx.target.transport.host,
      result,
      started,
    );
  }
  // Tasks that finished before the cancel keep their results: their exit codes go on record,
  // and a job whose every task had finished simply ended well (nothing to resubmit).
  const codes = await ctx.readExitCodes(live);
  const now = Date.now();
  const records = live.map((job, k): JournalRecord => {
    const attempt = ctx.jobState(job)!.submitted!.attempt;
    return Object.values(codes[k]).every((c) => c === 0)
      ? { t: "ended", job, attempt, ok: true, codes: codes[k], at: now }
      : { t: "ended", job, attempt, ok: false, codes: codes[k], reason, cancelled: true, at: now };
  });
  await ctx.record(records, true);
  return records.filter((r) => r.t === "ended" && r.cancelled).length;
}

/** With `strategy.ratioUnfinished`, drops the remaining jobs once enough tasks finished. */
export async function dropIfEnough(ctx: RunContext): Promise<boolean> {
  const ratio = ctx.plan.resources.strategy.ratioUnfinished;
  if (ratio <= 0) return false;
  let done = 0;
  for (const j of ctx.state.jobs.values()) done += j.succeeded.size;
  const total = ctx.plan.tasks.length;
  const open = ctx.plan.jobs.filter((pj) => phaseOf(ctx.jobState(pj.hash)) !== "final");
  if (open.length === 0 || done < Math.ceil((1 - ratio) * total)) return false;
  const reason = `dropped: ${done} of ${total} tasks finished (ratioUnfinished ${ratio})`;
  await cancelLive(ctx, reason);
  for (const pj of open) {
    if (ctx.jobState(pj.hash)) await collect(ctx, pj.hash); // what finished is still brought home
    await ctx.finalize(pj.hash, "dropped", reason);
  }
  return true;
}
