import { posix } from "node:path";
import { mapLimit } from "../_map_limit.ts";
import type { Collected } from "../executor/executor.ts";
import type { Task } from "../plan/task.ts";
import type { JournalRecord } from "../state/run_state.ts";
import type { RunSession } from "./session.ts";

/** One job to collect: its tasks that exited 0 and were not collected yet, plus these logs. */
export interface CollectJob {
  /** The job's hash. */
  readonly job: string;
  /** Tasks whose `log` and `err` come home too (a job that failed for good). */
  readonly failedLogs?: readonly Task[];
}

/** Jobs per transfer: results come home in one stream per this many jobs, journaled after each. */
export const COLLECT_BATCH = 500;
/** Jobs collected side by side when the executor moves each job's results on its own. */
const COLLECT_AT_ONCE = 6;

interface Pending {
  readonly job: string;
  readonly tasks: readonly string[];
  readonly owners: ReadonlyMap<string, readonly string[]>;
  readonly patterns: readonly string[];
}

function pendingOf(s: RunSession, { job, failedLogs = [] }: CollectJob): Pending | undefined {
  const j = s.jobState(job)!;
  const done = s.tasksOf(job).filter((t) => j.succeeded.has(t.hash) && !j.collected.has(t.hash));
  const owners = new Map<string, string[]>();
  for (const t of done) {
    for (const b of t.backwardFiles) {
      const pattern = posix.join(t.taskWorkPath, b);
      owners.set(pattern, [...(owners.get(pattern) ?? []), t.hash]);
    }
  }
  const logs = failedLogs.flatMap((t) => [
    posix.join(t.taskWorkPath, t.outlog),
    posix.join(t.taskWorkPath, t.errlog),
  ]);
  if (done.length === 0 && logs.length === 0) return undefined;
  const tasks = [...done, ...failedLogs].map((t) => t.hash);
  return { job, tasks, owners, patterns: [...new Set([...owners.keys(), ...logs])] };
}

/**
 * Brings home the results of these jobs' tasks that exited 0 and were not collected yet, plus
 * the logs of their `failedLogs` tasks: one transfer per {@linkcode COLLECT_BATCH} jobs where the
 * executor batches (`collectMany`), else one per job. Each job gets its own journal record and
 * event; patterns that match nothing are recorded for their task and never stop the run.
 */
export async function collectJobs(s: RunSession, jobs: readonly CollectJob[]): Promise<void> {
  const pending = jobs.map((j) => pendingOf(s, j)).filter((p) => p !== undefined);
  const many = s.exec.collectMany?.bind(s.exec);
  if (many === undefined || pending.length === 1) {
    await mapLimit(pending, COLLECT_AT_ONCE, async (p) => {
      await journal(s, [p], [await s.exec.collect(p.job, p.patterns)]);
    });
    return;
  }
  for (let i = 0; i < pending.length; i += COLLECT_BATCH) {
    const chunk = pending.slice(i, i + COLLECT_BATCH);
    await journal(s, chunk, await many(chunk.map((p) => ({ job: p.job, patterns: p.patterns }))));
  }
}

async function journal(
  s: RunSession,
  chunk: readonly Pending[],
  results: readonly Collected[],
): Promise<void> {
  const at = s.clock.now();
  const records: JournalRecord[] = [];
  const missingOf: Record<string, string[]>[] = [];
  chunk.forEach((p, k) => {
    const missing: Record<string, string[]> = {};
    for (const pattern of results[k].missing) {
      for (const task of p.owners.get(pattern) ?? []) (missing[task] ??= []).push(pattern);
    }
    missingOf.push(missing);
    records.push({ t: "collected", job: p.job, tasks: p.tasks, missing, at });
  });
  await s.record(records);
  chunk.forEach((p, k) => {
    const name = s.job(p.job).name;
    s.emit({
      type: "job:collected",
      job: p.job,
      name,
      tasks: p.tasks.length,
      missing: missingOf[k],
    });
  });
}

/**
 * Brings home the results of a job's tasks that exited 0 and were not collected yet (one
 * transfer for the whole job), plus the logs of `failedLogs` tasks.
 */
export async function collect(
  s: RunSession,
  job: string,
  failedLogs: readonly Task[] = [],
): Promise<void> {
  await collectJobs(s, [{ job, failedLogs }]);
}

/** Brings home the common backward files once every job is done; journals what was missing. */
export async function collectCommon(s: RunSession): Promise<void> {
  if (s.state.commonCollected !== undefined) return;
  const result = await s.exec.collect(undefined, s.plan.backwardCommonFiles);
  await s.record([{ t: "common", missing: result.missing, at: s.clock.now() }], true);
}
