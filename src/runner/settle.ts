import type { ResolvedRunOptions } from "./runner.ts";
import { type CollectJob, collectJobs } from "./collect.ts";
import { mayRetry, retryDelaySeconds } from "./policy/retry.ts";
import type { RunSession } from "./session.ts";

/** What becomes of an ended job: it finished, fails for good, retries later, or waits. */
type Fate = "finished" | "failed" | "later";

/**
 * Settles every ended job: first decides each one's fate (finished, retried later, failed for
 * good), then brings home in one transfer what they left (results of tasks that exited 0, and
 * the logs of a job that failed for good), then journals each outcome. Returns true when some
 * job became final.
 *
 * `notBefore` holds, per job, the earliest time it may be resubmitted: a retry's backoff.
 */
export async function settleEnded(
  s: RunSession,
  notBefore: Map<string, number>,
  options: Pick<ResolvedRunOptions, "retryCount" | "retryDelay">,
): Promise<boolean> {
  const ended = s.plan.jobs.filter((pj) => s.phase(pj.hash).phase === "ended");
  if (ended.length === 0) return false;
  const fates = new Map<string, Fate>();
  const requests: CollectJob[] = [];
  for (const pj of ended) {
    const fate = decide(s, pj.hash, notBefore, options);
    fates.set(pj.hash, fate);
    const done = s.jobState(pj.hash)!.succeeded;
    const failedLogs = fate === "failed" ? s.tasksOf(pj.hash).filter((t) => !done.has(t.hash)) : [];
    requests.push({ job: pj.hash, failedLogs });
  }
  await collectJobs(s, requests);
  let changed = false;
  for (const [job, fate] of fates) {
    const p = s.phase(job);
    if (p.phase !== "ended" || fate === "later") continue;
    if (fate === "finished") await s.finalize(job, "finished");
    else {
      await s.finalize(
        job,
        "failed",
        `${p.ended.reason ?? "failed"} (after ${p.attempt} attempts)`,
      );
    }
    changed = true;
  }
  return changed;
}

/** One ended job's fate; schedules (and announces) a retry, or a cancelled job's resubmission. */
function decide(
  s: RunSession,
  job: string,
  notBefore: Map<string, number>,
  options: Pick<ResolvedRunOptions, "retryCount" | "retryDelay">,
): Fate {
  const p = s.phase(job);
  if (p.phase !== "ended") return "later";
  const { ended } = p;
  if (ended.ok) return "finished";
  if (notBefore.has(job)) return "later";
  if (ended.cancelled) {
    notBefore.set(job, 0);
    return "later";
  }
  const failures = s.jobState(job)!.failures;
  if (mayRetry({ failures, retryCount: options.retryCount, failure: ended.failure })) {
    const delay = retryDelaySeconds(failures, options.retryDelay);
    notBefore.set(job, ended.at + delay * 1000);
    s.emit({
      type: "job:retry",
      job,
      name: s.job(job).name,
      attempt: p.attempt,
      delay,
      reason: ended.reason,
    });
    return "later";
  }
  return "failed";
}
