import type { Plan, PlanJob } from "../plan/plan.ts";
import type { Task } from "../plan/task.ts";
import { attemptPrefix, scriptPath } from "../schedulers/_script.ts";
import type { Target } from "../schedulers/scheduler.ts";
import type { Journal } from "../state/journal.ts";
import { apply, type JobState, type JournalRecord, type RunState } from "../state/run_state.ts";
import type { Connection } from "../transports/transport.ts";
import type { RunEvent } from "./events.ts";

/** Options of a run, with defaults filled. */
export interface ResolvedRunOptions {
  readonly signal?: AbortSignal;
  readonly pollInterval?: number;
  readonly retryCount: number;
  readonly retryDelay: number;
  readonly onAbort: "detach" | "cancel";
}

/** What every phase of a run shares. Built once per run. */
export class RunContext {
  readonly plan: Plan;
  readonly target: Target;
  readonly conn: Connection;
  readonly journal: Journal;
  readonly state: RunState;
  readonly options: ResolvedRunOptions;
  readonly workBase: string;
  readonly runRoot: string;
  readonly jobsDir: string;
  readonly emit: (event: RunEvent) => void;
  readonly #jobs: Map<string, PlanJob>;

  constructor(init: {
    plan: Plan;
    target: Target;
    conn: Connection;
    journal: Journal;
    state: RunState;
    options: ResolvedRunOptions;
    workBase: string;
    runRoot: string;
    jobsDir: string;
    emit: (event: RunEvent) => void;
  }) {
    this.plan = init.plan;
    this.target = init.target;
    this.conn = init.conn;
    this.journal = init.journal;
    this.state = init.state;
    this.options = init.options;
    this.workBase = init.workBase;
    this.runRoot = init.runRoot;
    this.jobsDir = init.jobsDir;
    this.emit = init.emit;
    this.#jobs = new Map(init.plan.jobs.map((j) => [j.hash, j]));
  }

  /** Appends records to the journal (fsync with `sync`) and folds them into the state. */
  async record(records: readonly JournalRecord[], sync = false): Promise<void> {
    await this.journal.append(records, sync);
    for (const r of records) apply(this.state, r);
  }

  /** The plan job with this hash. */
  job(hash: string): PlanJob {
    return this.#jobs.get(hash)!;
  }

  /** The journal state of a job (undefined before its first record). */
  jobState(hash: string): JobState | undefined {
    return this.state.jobs.get(hash);
  }

  /** The tasks of a job. */
  tasksOf(job: PlanJob): Task[] {
    return job.tasks.map((i) => this.plan.tasks[i]);
  }

  /** The job's script path on the execution side. */
  script(hash: string): string {
    return scriptPath(this.jobsDir, hash);
  }

  /** Path prefix of one attempt's files on the execution side. */
  attemptPrefix(hash: string, attempt: number): string {
    return attemptPrefix(this.jobsDir, hash, attempt);
  }
}

/** Where a job stands according to its journal state. */
export type Phase = "new" | "recover" | "live" | "ended" | "final";

/** Derives a job's phase from its state. */
export function phaseOf(j: JobState | undefined): Phase {
  if (!j) return "new";
  if (j.final) return "final";
  if (j.intent !== undefined) return "recover";
  if (j.submitted && (!j.ended || j.ended.attempt < j.submitted.attempt)) return "live";
  if (j.ended) return "ended";
  return "new";
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0 || signal?.aborted) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}
