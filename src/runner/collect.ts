import { posix } from "node:path";
import type { Task } from "../plan/task.ts";
import type { RunSession } from "./session.ts";

/**
 * Brings home the results of a job's tasks that exited 0 and were not collected yet (one
 * transfer for the whole job), plus the logs of `failedLogs` tasks. Patterns that match nothing
 * are recorded for their task; they never stop the run.
 */
export async function collect(
  s: RunSession,
  job: string,
  failedLogs: readonly Task[] = [],
): Promise<void> {
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
  if (done.length === 0 && logs.length === 0) return;
  const result = await s.exec.collect(job, [...owners.keys(), ...logs]);
  const missing: Record<string, string[]> = {};
  for (const pattern of result.missing) {
    for (const task of owners.get(pattern) ?? []) (missing[task] ??= []).push(pattern);
  }
  const tasks = [...done, ...failedLogs].map((t) => t.hash);
  await s.record([{ t: "collected", job, tasks, missing, at: s.clock.now() }]);
  s.emit({ type: "job:collected", job, name: s.job(job).name, tasks: tasks.length, missing });
}

/** Brings home the common backward files once every job is done; journals what was missing. */
export async function collectCommon(s: RunSession): Promise<void> {
  if (s.state.commonCollected !== undefined) return;
  const result = await s.exec.collect(undefined, s.plan.backwardCommonFiles);
  await s.record([{ t: "common", missing: result.missing, at: s.clock.now() }], true);
}
