import type { Plan } from "../plan/plan.ts";
import type { Target } from "../executor/executor.ts";
import type { JournalRecord } from "../state/run_state.ts";
import { collect } from "./collect.ts";
import { dropReason, shouldDrop } from "./policy/drop.ts";
import { RunSession } from "./session.ts";

/**
 * Cancels every live job of a plan's run with one command and journals it, so the next `run()`
 * resubmits them (a cancel by request is not charged to the retry budget). Returns how many jobs
 * were cancelled (a job found finished is journaled as ended, not counted).
 */
export async function cancelPlan(plan: Plan, target: Target): Promise<number> {
  await using s = await RunSession.open(plan, target);
  return await cancelLive(s, "cancelled on request");
}

/**
 * Cancels every live attempt of a session's run: the `cancelling` record first (fsync), then one
 * cancel through the executor, then each job's end from its tasks' exit codes. Returns how many
 * jobs were cancelled.
 */
export async function cancelLive(s: RunSession, reason: string): Promise<number> {
  const live = s.live();
  if (live.length === 0) return 0;
  // Journaled first: a runner that dies after the cancel command leaves these attempts to be
  // ended by request (resubmitted, not charged) by the next run, not as someone else's cancel.
  const jobs = Object.fromEntries(live.map((a) => [a.job, a.attempt]));
  await s.record([{ t: "cancelling", jobs, reason, at: s.clock.now() }], true);
  await s.exec.cancel(live);
  // Tasks that finished before the cancel keep their results: their exit codes go on record,
  // and a job whose every task had finished simply ended well (nothing to resubmit).
  const codes = await s.exec.exitCodes(live.map((a) => a.job));
  const now = s.clock.now();
  const records = live.map((a, k): JournalRecord => {
    const { job, attempt } = a;
    return Object.values(codes[k]).every((c) => c === 0)
      ? { t: "ended", job, attempt, ok: true, codes: codes[k], at: now }
      : { t: "ended", job, attempt, ok: false, codes: codes[k], reason, cancelled: true, at: now };
  });
  await s.record(records, true);
  return records.filter((r) => r.t === "ended" && r.cancelled).length;
}

/** With `strategy.ratioUnfinished`, drops the open jobs once enough tasks finished. */
export async function dropIfEnough(s: RunSession): Promise<boolean> {
  const ratio = s.plan.resources.strategy.ratioUnfinished;
  if (ratio <= 0) return false;
  let finished = 0;
  for (const j of s.state.jobs.values()) finished += j.succeeded.size;
  const total = s.plan.tasks.length;
  const open = s.plan.jobs.filter((pj) => s.phase(pj.hash).phase !== "final");
  if (!shouldDrop({ ratio, finished, total, open: open.length })) return false;
  const reason = dropReason({ ratio, finished, total });
  await cancelLive(s, reason);
  for (const pj of open) {
    if (s.jobState(pj.hash)) await collect(s, pj.hash); // what finished is still brought home
    await s.finalize(pj.hash, "dropped", reason);
  }
  return true;
}
