import { join, posix } from "node:path";
import { StateError } from "../errors.ts";
import type { Target } from "../executor/executor.ts";
import type { Plan } from "../plan/plan.ts";
import type { JournalRecord } from "../state/run_state.ts";
import { RunSession } from "./session.ts";
/** What {@linkcode postMortem} should do; dpdispatcher's `dpdisp submission` flags. */
export interface PostMortemOptions {
  /** Bring home the outlog and errlog of every task that exited non-zero. @default false */
  readonly downloadTerminatedLog?: boolean;
  /** Bring home the backward files of every task that exited 0. @default false */
  readonly downloadFinishedTask?: boolean;
  /** Remove the run's staged copy (in place: its scripts); refused while jobs are live. @default false */
  readonly clean?: boolean;
  /** Give every failed job its full retry budget again, so the next run retries it. @default false */
  readonly resetFailCount?: boolean;
}

/** What {@linkcode postMortem} did. */
export interface PostMortemReport {
  /** The run's id. */
  readonly runId: string;
  /** Every task's exit code as left on the execution side (`null`: none yet). */
  readonly exitCodes: readonly (number | null)[];
  /** Names of the jobs whose fail count was reset. */
  readonly reset: readonly string[];
  /** Local paths of the logs brought home. */
  readonly logs: readonly string[];
  /** Finished tasks whose results were brought home, and the patterns that matched nothing. */
  readonly finished: {
    readonly tasks: number;
    readonly files: number;
    readonly missing: readonly string[];
  };
  /** The directory removed by `clean`. */
  readonly cleaned?: string;
}

/**
 * Post-mortem of a run, as dpdispatcher's `dpdisp submission`: reads every task's exit code
 * from the execution side, then (as asked) resets fail counts, downloads the logs of failed
 * tasks and the results of finished ones, and cleans the staged copy. Holds the run's lock,
 * so it is refused while a runner drives the run. Every change is journaled.
 */
export async function postMortem(
  plan: Plan,
  target: Target,
  options: PostMortemOptions = {},
): Promise<PostMortemReport> {
  await using s = await RunSession.open(plan, target);
  const hashes = plan.jobs.map((pj) => pj.hash);
  const perJob = s.state.staged ? await s.exec.exitCodes(hashes) : [];
  const codeOf = new Map(perJob.flatMap((codes) => Object.entries(codes)));
  const exitCodes = plan.tasks.map((t) => codeOf.get(t.hash) ?? null);

  let reset: string[] = [];
  if (options.resetFailCount) {
    const jobs = hashes.filter((h) => {
      const j = s.jobState(h);
      return j !== undefined && (j.failures > 0 || j.final?.state === "failed");
    });
    if (jobs.length > 0) await s.record([{ t: "reset", jobs, at: s.clock.now() }], true);
    reset = jobs.map((h) => s.job(h).name);
  }

  const logs: string[] = [];
  if (options.downloadTerminatedLog) {
    const failed = plan.tasks.filter((_, i) => exitCodes[i] !== null && exitCodes[i] !== 0);
    const patterns = failed.flatMap((t) => [
      posix.join(t.taskWorkPath, t.outlog),
      posix.join(t.taskWorkPath, t.errlog),
    ]);
    if (patterns.length > 0) {
      const got = await s.exec.collect(undefined, patterns);
      const missing = new Set(got.missing);
      for (const p of patterns) if (!missing.has(p)) logs.push(join(s.workBase, p));
    }
  }

  let finished = { tasks: 0, files: 0, missing: [] as string[] };
  if (options.downloadFinishedTask) {
    const done = exitCodes.flatMap((code, i) => code === 0 ? [i] : []);
    const patterns = done.flatMap((i) =>
      plan.tasks[i].backwardFiles.map((b) => posix.join(plan.tasks[i].taskWorkPath, b))
    );
    const got = await s.exec.collect(undefined, [...new Set(patterns)]);
    finished = { tasks: done.length, files: got.files, missing: [...got.missing] };
    const records: JournalRecord[] = [];
    for (const pj of plan.jobs) {
      const fresh = pj.tasks.filter((i) =>
        exitCodes[i] === 0 && !s.jobState(pj.hash)?.collected.has(plan.tasks[i].hash)
      ).map((i) => plan.tasks[i]);
      if (fresh.length === 0) continue;
      const missing: Record<string, string[]> = {};
      for (const t of fresh) {
        const lost = t.backwardFiles.map((b) => posix.join(t.taskWorkPath, b))
          .filter((p) => got.missing.includes(p));
        if (lost.length > 0) missing[t.hash] = lost;
      }
      records.push({
        t: "collected",
        job: pj.hash,
        tasks: fresh.map((t) => t.hash),
        missing,
        at: s.clock.now(),
      });
    }
    await s.record(records);
  }

  let cleaned: string | undefined;
  if (options.clean) {
    const live = hashes.filter((h) => ["live", "recover"].includes(s.phase(h).phase));
    if (live.length > 0) {
      throw new StateError(
        `Cannot clean run "${plan.runId}": ${live.length} jobs may still be queued or running; cancel them first`,
        s.journal.path,
      );
    }
    cleaned = await s.exec.clean();
    await s.record([{ t: "cleaned", at: s.clock.now() }], true);
  }
  return { runId: plan.runId, exitCodes, reset, logs, finished, cleaned };
}
