import { ConnectionError } from "../errors.ts";
import type { Attempt } from "../executor/executor.ts";
import type { JournalRecord } from "../state/run_state.ts";
import type { RunSession } from "./session.ts";

/** A job to submit now: a new attempt, or an attempt whose intent was journaled but not its id. */
export interface Submission {
  /** The job's hash. */
  readonly job: string;
  /** The attempt's number. */
  readonly attempt: number;
  /** True for an intent left by an earlier runner (crash between intent and id). */
  readonly recovered: boolean;
}

/** Why a submission failed and how to go on. */
export interface SubmitError {
  /** What went wrong (the scheduler's words; the failed command in `cause`). */
  readonly error: Error;
  /** `transient`: back off and retry; `limit`: wait for room; `fatal`: report the job failed. */
  readonly kind: "transient" | "limit" | "fatal";
}

const asError = (e: unknown) => e instanceof Error ? e : new Error(String(e));

/**
 * Submits jobs exactly once: journal the intents (fsync), submit through the executor, journal
 * the ids (fsync). Recovered intents are first looked up by name (one command for all): an
 * attempt an earlier runner submitted is adopted, never submitted twice. Returns the jobs whose
 * submission failed. `resources.waitTime` > 0 submits one job at a time with that pause.
 */
export async function submit(
  s: RunSession,
  items: readonly Submission[],
  signal?: AbortSignal,
): Promise<Map<string, SubmitError>> {
  const errors = new Map<string, SubmitError>();
  items = await adopt(s, items, errors);
  const wait = s.plan.resources.waitTime;
  const size = wait > 0 ? 1 : s.target.executor.submitBatch;
  for (let i = 0; i < items.length; i += size) {
    if (i > 0 && wait > 0) await s.clock.sleep(wait * 1000, signal);
    if (signal?.aborted) break;
    const batch = items.slice(i, i + size);
    const now = s.clock.now();
    await s.record(
      batch.filter((b) => !b.recovered).map((b): JournalRecord => ({
        t: "intent",
        job: b.job,
        attempt: b.attempt,
        at: now,
      })),
      true,
    );
    for (const b of batch) {
      s.emit({ type: "job:submitting", job: b.job, name: s.job(b.job).name, attempt: b.attempt });
    }
    const answers = await s.exec.submit(batch.map((b) => s.attempt(b.job, b.attempt)));
    const submitted: (JournalRecord & { t: "submitted" })[] = [];
    answers.forEach((a, k) => {
      const b = batch[k];
      if (a.ok) {
        submitted.push({
          t: "submitted",
          job: b.job,
          attempt: b.attempt,
          id: a.id,
          at: s.clock.now(),
        });
      } else errors.set(b.job, { error: a.error, kind: a.kind });
    });
    await s.record(submitted, true);
    for (const r of submitted) {
      s.emit({
        type: "job:submitted",
        job: r.job,
        name: s.job(r.job).name,
        attempt: r.attempt,
        id: r.id,
        recovered: batch.find((b) => b.job === r.job)!.recovered,
      });
    }
  }
  return errors;
}

/**
 * For intents an earlier runner journaled without an id, asks the executor (one command) whether
 * those attempts were submitted after all, and journals the ids it finds. Returns what is left
 * to submit. Executors whose submission is idempotent (Shell) have no lookup.
 */
async function adopt(
  s: RunSession,
  items: readonly Submission[],
  errors: Map<string, SubmitError>,
): Promise<readonly Submission[]> {
  const recovered = items.filter((b) => b.recovered);
  const lookup = s.exec.lookup?.bind(s.exec);
  if (recovered.length === 0 || !lookup) return items;
  const attempts: Attempt[] = recovered.map((b) => s.attempt(b.job, b.attempt));
  let found: ReadonlyMap<string, string>;
  try {
    found = await lookup(attempts);
  } catch (e) {
    if (e instanceof ConnectionError && !e.retryable) throw e;
    // The queue could not be read: never conclude "not submitted"; try again later.
    for (const b of recovered) errors.set(b.job, { error: asError(e), kind: "transient" });
    return items.filter((b) => !b.recovered);
  }
  if (found.size === 0) return items;
  const at = s.clock.now();
  const adopted = recovered.filter((b) => found.has(b.job));
  await s.record(
    adopted.map((b) => ({
      t: "submitted" as const,
      job: b.job,
      attempt: b.attempt,
      id: found.get(b.job)!,
      at,
    })),
    true,
  );
  for (const b of adopted) {
    s.emit({
      type: "job:submitted",
      job: b.job,
      name: s.job(b.job).name,
      attempt: b.attempt,
      id: found.get(b.job)!,
      recovered: true,
    });
  }
  return items.filter((b) => !found.has(b.job));
}
