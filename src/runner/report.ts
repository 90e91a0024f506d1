import { join } from "node:path";
import type { Plan } from "../plan/plan.ts";
import type { FailureClass } from "../executor/failure.ts";
import type { RunState } from "../state/run_state.ts";
import { phaseOf } from "./phase.ts";

/**
 * A job's state in a report. `pending`: not submitted yet (or waiting to be resubmitted);
 * `queued`: submitted, not seen running; `running`: a poll saw it running (journals written
 * before polls journaled what they saw say `running` for every submitted job); `cancelled`: its
 * latest attempt was cancelled on request and no runner resubmitted it yet (the next run does).
 */
export type JobReportState =
  | "pending"
  | "queued"
  | "running"
  | "cancelled"
  | "finished"
  | "failed"
  | "dropped";

/** One job of a report. */
export interface JobReport {
  /** The job's hash. */
  readonly hash: string;
  /** Its stable scheduler name. */
  readonly name: string;
  /** The scheduler's id of its latest attempt (a PID for Shell). */
  readonly id?: string;
  /** Where it stands. */
  readonly state: JobReportState;
  /** Attempts made (1 = submitted once). */
  readonly attempts: number;
  /** Last exit code per task hash (`null`: none recorded). */
  readonly exitCodes: Readonly<Record<string, number | null>>;
  /** Wall time of its latest attempt, in milliseconds. */
  readonly durationMs?: number;
  /** When its latest attempt was submitted (Unix ms). */
  readonly submittedAt?: number;
  /** When its latest attempt started (Unix ms): its end file's start, or when a poll saw it run. */
  readonly startedAt?: number;
  /** Why the scheduler keeps its latest attempt waiting, as a poll last heard. */
  readonly pendingReason?: string;
  /** Why it failed, in words. */
  readonly reason?: string;
  /** How its latest attempt failed: task exit, time limit, memory limit, cancel, node failure, ... */
  readonly failure?: FailureClass;
  /** The tail of the failing task's stderr. */
  readonly stderrTail?: string;
  /** Indices into `plan.tasks`. */
  readonly tasks: readonly number[];
}

/** One task of a report. */
export interface TaskReport {
  /** Index in `plan.tasks`. */
  readonly index: number;
  /** The task's hash. */
  readonly hash: string;
  /** Its directory relative to the work base. */
  readonly taskWorkPath: string;
  /** The job it belongs to. */
  readonly job: string;
  /** `finished` once it exited 0. */
  readonly state: JobReportState;
  /** Its last exit code, if any. */
  readonly exitCode?: number | null;
  /** Local directory that holds its results. */
  readonly resultsDir: string;
  /** Backward files or patterns that matched nothing. */
  readonly missing: readonly string[];
}

/** What a run did, per job and per task. JSON-safe. */
export interface RunReport {
  /** Always `"report"`. */
  readonly kind: "report";
  /** The run's id. */
  readonly runId: string;
  /** True when every job finished (or was dropped by `ratioUnfinished`). */
  readonly ok: boolean;
  /** Every job. */
  readonly jobs: readonly JobReport[];
  /** Every task. */
  readonly tasks: readonly TaskReport[];
  /** Common backward files that matched nothing. */
  readonly missingCommon: readonly string[];
  /** The journal file. */
  readonly journal: string;
  /** This runner's wall time, in milliseconds. */
  readonly durationMs: number;
}

/** Builds the report of a plan from its journal state. Pure. */
export function buildReport(
  plan: Plan,
  state: RunState,
  info: { workBase: string; journal: string; durationMs: number },
): RunReport {
  const taskJob = new Array<string>(plan.tasks.length);
  const jobs = plan.jobs.map((pj): JobReport => {
    for (const i of pj.tasks) taskJob[i] = pj.hash;
    const j = state.jobs.get(pj.hash);
    const phase = phaseOf(j).phase;
    const live = phase === "live";
    const ended = j?.ended;
    const attempt = j?.submitted?.attempt;
    const seen = j?.seen?.attempt === attempt ? j?.seen : undefined;
    // Old journals have no "seen" records: a live job there is reported running, as before.
    const queued = live && j?.seen !== undefined && seen?.runningAt === undefined;
    const endedThis = ended?.attempt === attempt ? ended : undefined;
    const startedAt = endedThis?.start !== undefined ? endedThis.start * 1000 : seen?.runningAt;
    return {
      hash: pj.hash,
      name: pj.name,
      id: j?.submitted?.id,
      state: j?.final?.state ??
        (live ? (queued ? "queued" : "running") : ended?.cancelled ? "cancelled" : "pending"),
      attempts: j?.attempts ?? 0,
      exitCodes: Object.fromEntries(j?.codes ?? []),
      durationMs: ended?.start && ended.end ? (ended.end - ended.start) * 1000 : undefined,
      submittedAt: j?.submitted?.at,
      startedAt,
      pendingReason: live && queued ? seen?.pendingReason : undefined,
      reason: j?.final?.reason ?? ended?.reason,
      failure: ended?.ok ? undefined : ended?.failure,
      stderrTail: ended?.ok ? undefined : ended?.stderrTail,
      tasks: pj.tasks,
    };
  });
  const byHash = new Map(jobs.map((j) => [j.hash, j]));
  const tasks = plan.tasks.map((t, index): TaskReport => {
    const job = byHash.get(taskJob[index])!;
    const j = state.jobs.get(job.hash);
    const done = j?.succeeded.has(t.hash) ?? false;
    return {
      index,
      hash: t.hash,
      taskWorkPath: t.taskWorkPath,
      job: job.hash,
      state: done ? "finished" : job.state === "finished" ? "failed" : job.state,
      exitCode: j?.codes.get(t.hash),
      resultsDir: join(info.workBase, t.taskWorkPath),
      missing: j?.missing.get(t.hash) ?? [],
    };
  });
  const report: RunReport = {
    kind: "report",
    runId: plan.runId,
    ok: jobs.every((j) => j.state === "finished" || j.state === "dropped"),
    jobs,
    tasks,
    missingCommon: state.commonCollected ?? [],
    journal: info.journal,
    durationMs: info.durationMs,
  };
  return report;
}
