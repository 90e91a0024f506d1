import type { JournalRecord } from "../state/run_state.ts";
import type { RunSession } from "./session.ts";

/** What one poll learnt, after journaling it. */
export interface PollResult {
  /** Jobs that ended (journaled). */
  readonly ended: number;
  /** Jobs the backend reports as running. */
  readonly running: readonly string[];
  /** Jobs the backend keeps waiting, with the reason in words. */
  readonly pending: ReadonlyMap<string, string>;
  /** Whether the scheduler was asked this poll (else `running` and `pending` are empty). */
  readonly asked: boolean;
}

/**
 * Polls every live attempt through the executor, journals the attempts that ended and says so.
 * An attempt whose cancel was journaled ended by that request, even if the runner that sent it
 * died before journaling the end: resubmitted, not charged to the retry budget.
 */
export async function pollLive(s: RunSession): Promise<PollResult> {
  const live = s.live();
  const answer = await s.exec.poll(live);
  const now = s.clock.now();
  const running: string[] = [];
  const pending = new Map<string, string>();
  const records: (JournalRecord & { t: "ended" })[] = [];
  for (const a of live) {
    const st = answer.status.get(a.job);
    if (st?.state === "running") running.push(a.job);
    else if (st?.state === "pending") pending.set(a.job, st.reason);
    else if (st?.state === "ended") {
      const e = st.end;
      const cancelling = s.jobState(a.job)?.cancelling;
      const byRequest = !e.ok && cancelling?.attempt === a.attempt;
      records.push({
        t: "ended",
        job: a.job,
        attempt: a.attempt,
        ok: e.ok,
        codes: e.codes,
        failure: byRequest ? undefined : e.failure,
        reason: byRequest ? cancelling.reason : e.reason,
        ...(byRequest ? { cancelled: true } : {}),
        stderrTail: e.stderrTail,
        start: e.start,
        end: e.end,
        at: now,
      });
    }
  }
  await s.record(records);
  for (const r of records) {
    s.emit({
      type: "job:ended",
      job: r.job,
      name: s.job(r.job).name,
      attempt: r.attempt,
      ok: r.ok,
      exitCodes: r.codes,
      failure: r.failure,
      reason: r.reason,
    });
  }
  return { ended: records.length, running, pending, asked: answer.asked };
}
