import type { Plan, PlanJob } from "../plan/plan.ts";
import type { Task } from "../plan/task.ts";
import { attemptPrefix, exitCodePath, jobsDirOf, scriptPath } from "../shell/job_script.ts";
import type { Target } from "../executor/batch/scheduler.ts";
import { dirname, join } from "node:path";
import { type Journal, writeAtomic } from "../state/journal.ts";
import {
  apply,
  fold,
  type JobState,
  type JournalRecord,
  type RunState,
} from "../state/run_state.ts";
import type { Connection } from "../transports/transport.ts";
import type { RunEvent } from "./events.ts";

/** Options of a run, with defaults filled. */
export interface ResolvedRunOptions {
  readonly signal?: AbortSignal;
  readonly pollInterval?: number;
  readonly maxQueued?: number;
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

  /** Builds a run's context: its state folded from the journal, its run root and jobs directory. */
  static open(init: {
    plan: Plan;
    target: Target;
    conn: Connection;
    journal: Journal;
    options: ResolvedRunOptions;
    workBase: string;
    emit: (event: RunEvent) => void;
  }): RunContext {
    const raw = init.target.transport.runRoot(init.workBase, init.plan.runId);
    // A remote root written as "~/..." (dpdispatcher's examples do) lives in the login's home.
    const home = init.conn.home;
    const runRoot = home && /^~(\/|$)/.test(raw) ? `${home}${raw.slice(1)}` : raw;
    return new RunContext({
      ...init,
      state: fold(init.journal.records),
      runRoot,
      jobsDir: jobsDirOf(runRoot, init.plan.runId),
    });
  }

  /** Journals a job's final state (no fsync: it is re-derived from the end file) and says so. */
  async finalize(
    job: string,
    state: "finished" | "failed" | "dropped",
    reason?: string,
  ): Promise<void> {
    await this.record([{ t: "final", job, state, reason, at: Date.now() }]);
    this.emit({ type: "job:final", job, name: this.job(job).name, state, reason });
  }

  /** Appends records to the journal (fsync with `sync`) and folds them into the state. */
  async record(records: readonly JournalRecord[], sync = false): Promise<void> {
    await this.journal.append(records, sync);
    for (const r of records) apply(this.state, r);
  }

  /** A new run: writes its plan beside the journal and journals its start. */
  async recordStart(at: number): Promise<void> {
    const { plan } = this;
    const stateDir = dirname(this.journal.path);
    await writeAtomic(join(stateDir, `${plan.runId}.plan.json`), JSON.stringify(plan));
    await this.record(
      [{ t: "run", runId: plan.runId, jobs: plan.jobs.length, tasks: plan.tasks.length, at }],
      true,
    );
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

  /**
   * For job-array schedulers, the array elements of a job that still have unfinished tasks
   * (all of them before the first attempt); undefined for other schedulers.
   */
  elements(hash: string): number[] | undefined {
    const chunk = this.target.scheduler.arrayChunk?.(this.plan.resources);
    if (!chunk) return undefined;
    const tasks = this.tasksOf(this.job(hash));
    const done = this.jobState(hash)?.succeeded;
    const out: number[] = [];
    for (let k = 0; k * chunk < tasks.length; k++) {
      if (tasks.slice(k * chunk, (k + 1) * chunk).some((t) => !done?.has(t.hash))) out.push(k);
    }
    return out;
  }

  /** The end files an attempt writes (one, or one per submitted array element) and their tasks. */
  endFiles(hash: string, attempt: number): { path: string; tasks: Task[] }[] {
    const prefix = this.attemptPrefix(hash, attempt);
    const tasks = this.tasksOf(this.job(hash));
    const elements = this.elements(hash);
    if (!elements) return [{ path: `${prefix}.end`, tasks }];
    const chunk = this.target.scheduler.arrayChunk!(this.plan.resources);
    return elements.map((k) => ({
      path: `${prefix}.${k}.end`,
      tasks: tasks.slice(k * chunk, (k + 1) * chunk),
    }));
  }

  /**
   * The exit code each task of the given jobs left in its exit-code file (`null`: none), read
   * in one batch for all jobs: for jobs that stopped without an end file, or were cancelled.
   */
  async readExitCodes(jobs: readonly string[]): Promise<Record<string, number | null>[]> {
    const tasks = jobs.map((job) => this.tasksOf(this.job(job)));
    const texts = await this.conn.readFiles(
      tasks.flat().map((t) => `${this.runRoot}/${exitCodePath(t)}`),
    );
    let at = 0;
    return tasks.map((list) =>
      Object.fromEntries(list.map((t) => {
        const text = texts[at++]?.trim();
        return [t.hash, text && /^\d+$/.test(text) ? Number(text) : null];
      }))
    );
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
