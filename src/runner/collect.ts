import { posix } from "node:path";
import type { Task } from "../plan/task.ts";
import type { RunContext } from "./context.ts";

/**
 * Downloads the results of a job's tasks that exited 0 and were not collected yet (one
 * transfer for the whole job), plus the logs of `failedLogs` tasks. Patterns that match nothing
 * are recorded for their task; they never stop the run.
 */
export async function collect(
  ctx: RunContext,
  job: string,
  failedLogs: readonly Task[] = [],
): Promise<void> {
  const j = ctx.jobState(job)!;
  const done = ctx.tasksOf(ctx.job(job)).filter((t) =>
    j.succeeded.has(t.hash) && !j.collected.has(t.hash)
  );
  const owners = new Map<string, string[]>();
  for (const t of done) {
    for (const b of t.backwardFiles) {
      const pattern = posix.join(t.taskWorkPath, b);
      owners.set(pattern, [...(owners.get(pattern) ?? []), t.hash]);
    }
  }
  const logs = failedLogs.flatMap((
    t,
  ) => [posix.join(t.taskWorkPath, t.outlog), posix.join(t.taskWorkPath, t.errlog)]);
  if (done.length === 0 && logs.length === 0) return;
  const patterns = [...owners.keys(), ...logs];
  const result = patterns.length > 0
    ? await ctx.conn.download(ctx.runRoot, ctx.workBase, patterns)
    : { files: 0, bytes: 0, missing: [] };
  const missing: Record<string, string[]> = {};
  for (const pattern of result.missing) {
    for (const task of owners.get(pattern) ?? []) (missing[task] ??= []).push(pattern);
  }
  const tasks = [...done, ...failedLogs].map((t) => t.hash);
  await ctx.record([{ t: "collected", job, tasks, missing, at: Date.now() }]);
  ctx.emit({ type: "job:collected", job, name: ctx.job(job).name, tasks: tasks.length, missing });
}

/** Downloads the common backward files once every job is done; journals what was missing. */
export async function collectCommon(ctx: RunContext): Promise<void> {
  if (ctx.state.commonCollected !== undefined) return;
  const patterns = ctx.plan.backwardCommonFiles;
  const result = patterns.length > 0
    ? await ctx.conn.download(ctx.runRoot, ctx.workBase, patterns)
    : { files: 0, bytes: 0, missing: [] };
  await ctx.record([{ t: "common", missing: result.missing, at: Date.now() }], true);
}
