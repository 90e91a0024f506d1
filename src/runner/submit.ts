import { CommandError, ConnectionError } from "../errors.ts";
import type { SubmitRequest } from "../executor/batch/scheduler.ts";
import type { JournalRecord } from "../state/run_state.ts";
import { type RunContext, sleep } from "./context.ts";

/** A job to submit now: a new attempt, or an attempt whose intent was journaled but not its id. */
export interface Submission {
  readonly job: string;
  readonly attempt: number;
  /** True for an intent left by an earlier runner (crash between intent and id). */
  readonly recovered: boolean;
}

/**
 * Jobs per submit command; each batch is one exec (one SSH round trip later). The runner hands
 * `submit` at most this many per pass, so a poll (end files, downloads) runs between batches.
 */
export const SUBMIT_BATCH = 200;

/** Why a submission failed and how to go on (see `SubmitOutcome`). */
export interface SubmitError {
  readonly error: string;
  readonly kind: "transient" | "limit" | "fatal";
}

/**
 * Submits jobs exactly once: journal the intents (fsync), run one submit command per batch,
 * journal the ids (fsync). A crash in between leaves intents that the next run resubmits
 * through the scheduler's idempotent launch, which answers with the job already running.
 * Returns the jobs whose submission failed, with the error.
 */
export async function submit(
  ctx: RunContext,
  items: readonly Submission[],
): Promise<Map<string, SubmitError>> {
  const errors = new Map<string, SubmitError>();
  items = await adopt(ctx, items, errors);
  const { scheduler } = ctx.target;
  const wait = ctx.plan.resources.waitTime;
  const size = wait > 0 ? 1 : SUBMIT_BATCH;
  for (let i = 0; i < items.length; i += size) {
    if (ctx.options.signal?.aborted) break;
    const batch = items.slice(i, i + size);
    const now = Date.now();
    await ctx.record(
      batch.filter((s) => !s.recovered).map((s): JournalRecord => ({
        t: "intent",
        job: s.job,
        attempt: s.attempt,
        at: now,
      })),
      true,
    );
    const requests = batch.map((s) => requestOf(ctx, s));
    for (const r of requests) {
      ctx.emit({ type: "job:submitting", job: r.hash, name: r.name, attempt: r.attempt });
    }
    const argv = scheduler.submitArgv(requests);
    let outcomes;
    try {
      const started = Date.now();
      const result = await ctx.conn.exec(argv);
      outcomes = scheduler.parseSubmit(result, requests);
      if (result.exitCode !== 0 && outcomes.every((o) => !o.ok)) {
        const what = `Cannot submit ${requests.length} jobs to ${scheduler.name}`;
        const error = CommandError.of(what, argv, ctx.target.transport.host, result, started);
        outcomes = requests.map(() => ({
          ok: false as const,
          error: error.message,
          kind: "transient" as const,
        }));
      }
    } catch (e) {
      // A link that cannot be restored stops the run (a rerun resumes); a drop mid-submit is
      // transient: the intent stays, and the next try looks the job up before submitting.
      if (e instanceof ConnectionError && !e.retryable) throw e;
      outcomes = requests.map(() => ({
        ok: false as const,
        error: (e as Error).message,
        kind: "transient" as const,
      }));
    }
    const submitted: JournalRecord[] = [];
    outcomes.forEach((o, k) => {
      if (o.ok) {
        submitted.push({
          t: "submitted",
          job: requests[k].hash,
          attempt: requests[k].attempt,
          id: o.id,
          at: Date.now(),
        });
      } else errors.set(requests[k].hash, { error: o.error, kind: o.kind });
    });
    await ctx.record(submitted, true);
    for (const r of submitted) {
      if (r.t !== "submitted") continue;
      const recovered = batch.find((s) => s.job === r.job)!.recovered;
      ctx.emit({
        type: "job:submitted",
        job: r.job,
        name: ctx.job(r.job).name,
        attempt: r.attempt,
        id: r.id,
        recovered,
      });
    }
    if (wait > 0) await sleep(wait * 1000, ctx.options.signal);
  }
  return errors;
}

/**
 * For intents an earlier runner journaled without an id, asks the scheduler (one command) whether
 * those attempts were submitted after all, and journals the ids it finds. Returns what is left
 * to submit. Schedulers with idempotent submission (Shell) need no lookup.
 */
async function adopt(
  ctx: RunContext,
  items: readonly Submission[],
  errors: Map<string, SubmitError>,
): Promise<readonly Submission[]> {
  const { scheduler } = ctx.target;
  const recovered = items.filter((s) => s.recovered);
  if (recovered.length === 0 || !scheduler.lookupArgv || !scheduler.parseLookup) return items;
  const requests = recovered.map((s) => requestOf(ctx, s));
  let found: ReadonlyMap<string, string>;
  try {
    const lookup = scheduler.lookupArgv(requests);
    found = scheduler.parseLookup(await ctx.conn.exec(lookup, { idempotent: true }), requests);
  } catch (e) {
    if (e instanceof ConnectionError && !e.retryable) throw e;
    // The queue could not be read: never conclude "not submitted"; try again later.
    for (const s of recovered) {
      errors.set(s.job, { error: (e as Error).message, kind: "transient" });
    }
    return items.filter((s) => !s.recovered);
  }
  if (found.size === 0) return items;
  const at = Date.now();
  const records: JournalRecord[] = requests.filter((r) => found.has(r.hash)).map((r) => ({
    t: "submitted",
    job: r.hash,
    attempt: r.attempt,
    id: found.get(r.hash)!,
    at,
  }));
  await ctx.record(records, true);
  for (const r of requests) {
    const id = found.get(r.hash);
    if (id) {
      ctx.emit({
        type: "job:submitted",
        job: r.hash,
        name: r.name,
        attempt: r.attempt,
        id,
        recovered: true,
      });
    }
  }
  return items.filter((s) => !found.has(s.job));
}

/** What the scheduler needs to submit one attempt of a job. */
function requestOf(ctx: RunContext, s: Submission): SubmitRequest {
  return {
    hash: s.job,
    name: ctx.job(s.job).name,
    attempt: s.attempt,
    script: ctx.script(s.job),
    attemptPrefix: ctx.attemptPrefix(s.job, s.attempt),
    elements: ctx.elements(s.job),
  };
}
