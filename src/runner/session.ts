import { resolve } from "node:path";
import type { Attempt, ExecutorSession, LiveAttempt, Target } from "../executor/executor.ts";
import { planFile, stateDirOf } from "../layout.ts";
import type { Plan, PlanJob } from "../plan/plan.ts";
import type { Task } from "../plan/task.ts";
import { Journal, writeAtomic } from "../state/journal.ts";
import {
  apply,
  fold,
  type JobState,
  type JournalRecord,
  type RunState,
} from "../state/run_state.ts";
import type { RunEvent } from "./events.ts";
import { type JobPhase, phaseOf } from "./phase.ts";

/** Time as the runner sees it: the system's, or a test's fake clock. */
export interface Clock {
  /** Milliseconds since the epoch. */
  now(): number;
  /** Resolves after `ms`, or at once when the signal aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * The system clock.
 *
 * @example
 * ```ts
 * import { systemClock } from "./session.ts";
 *
 * await systemClock.sleep(1);
 * console.log(systemClock.now() > 0); // true
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (ms <= 0 || signal?.aborted) return Promise.resolve();
    return new Promise<void>((done) => {
      const finish = () => {
        clearTimeout(timer);
        signal?.removeEventListener("abort", finish);
        done();
      };
      const timer = setTimeout(finish, ms);
      signal?.addEventListener("abort", finish, { once: true });
    });
  },
});

/** Options of {@linkcode RunSession.open}. */
export interface SessionOptions {
  /** Receives the run's events. */
  readonly emit?: (event: RunEvent) => void;
  /** The clock. @default systemClock */
  readonly clock?: Clock;
}

/**
 * One run's journal (locked), its state folded from it, and its executor opened: what every
 * step of a run, a cancel, a dry run and a post-mortem share. Closed with `await using`.
 */
export class RunSession implements AsyncDisposable {
  /** The plan. */
  readonly plan: Plan;
  /** Where it runs. */
  readonly target: Target;
  /** The backend, opened. */
  readonly exec: ExecutorSession;
  /** The locked journal. */
  readonly journal: Journal;
  /** The fold of the journal, kept current by {@linkcode RunSession.record}. */
  readonly state: RunState;
  /** The local work base, absolute. */
  readonly workBase: string;
  /** Where events go. */
  readonly emit: (event: RunEvent) => void;
  /** The clock. */
  readonly clock: Clock;
  /** True when the journal held records before this session: a resumed run. */
  readonly resumed: boolean;
  readonly #jobs: Map<string, PlanJob>;

  private constructor(init: {
    plan: Plan;
    target: Target;
    exec: ExecutorSession;
    journal: Journal;
    state: RunState;
    workBase: string;
    emit: (event: RunEvent) => void;
    clock: Clock;
  }) {
    this.plan = init.plan;
    this.target = init.target;
    this.exec = init.exec;
    this.journal = init.journal;
    this.state = init.state;
    this.workBase = init.workBase;
    this.emit = init.emit;
    this.clock = init.clock;
    this.resumed = init.journal.records.length > 0;
    this.#jobs = new Map(init.plan.jobs.map((j) => [j.hash, j]));
  }

  /** Locks and reads the run's journal, then opens the executor. */
  static async open(plan: Plan, target: Target, options: SessionOptions = {}): Promise<RunSession> {
    const workBase = resolve(plan.workBase);
    const emit = options.emit ?? (() => {});
    const journal = await Journal.open(stateDirOf(workBase), plan.runId);
    const clock = options.clock ?? systemClock;
    try {
      const exec = await target.executor.open(plan, {
        workBase,
        onWarning: (message, error) => emit({ type: "warning", message, error }),
        now: () => clock.now(),
      });
      return new RunSession({
        plan,
        target,
        exec,
        journal,
        state: fold(journal.records),
        workBase,
        emit,
        clock,
      });
    } catch (e) {
      await journal.close();
      throw e;
    }
  }

  /** Appends records to the journal (fsync with `sync`) and folds them into the state. */
  async record(records: readonly JournalRecord[], sync = false): Promise<void> {
    if (records.length === 0) return;
    await this.journal.append(records, sync);
    for (const r of records) apply(this.state, r);
  }

  /** A new run: writes its plan beside the journal and journals its start. */
  async recordStart(at: number): Promise<void> {
    const { plan } = this;
    await writeAtomic(planFile(stateDirOf(this.workBase), plan.runId), JSON.stringify(plan));
    await this.record(
      [{ t: "run", runId: plan.runId, jobs: plan.jobs.length, tasks: plan.tasks.length, at }],
      true,
    );
  }

  /** Journals a job's final state (no fsync: it is re-derived from the end file) and says so. */
  async finalize(
    job: string,
    state: "finished" | "failed" | "dropped",
    reason?: string,
  ): Promise<void> {
    await this.record([{ t: "final", job, state, reason, at: this.clock.now() }]);
    this.emit({ type: "job:final", job, name: this.job(job).name, state, reason });
  }

  /** The plan job with this hash. */
  job(hash: string): PlanJob {
    return this.#jobs.get(hash)!;
  }

  /** The journal state of a job (undefined before its first record). */
  jobState(hash: string): JobState | undefined {
    return this.state.jobs.get(hash);
  }

  /** Where a job stands. */
  phase(hash: string): JobPhase {
    return phaseOf(this.state.jobs.get(hash));
  }

  /** The tasks of a job. */
  tasksOf(hash: string): Task[] {
    return this.job(hash).tasks.map((i) => this.plan.tasks[i]);
  }

  /** Attempt `attempt` of a job, with the tasks it need not rerun. */
  attempt(job: string, attempt: number): Attempt {
    return { job, attempt, done: this.jobState(job)?.succeeded ?? new Set() };
  }

  /** Every live attempt, in plan order. */
  live(): LiveAttempt[] {
    const out: LiveAttempt[] = [];
    for (const pj of this.plan.jobs) {
      const p = this.phase(pj.hash);
      if (p.phase === "live") out.push({ ...this.attempt(pj.hash, p.attempt), id: p.id });
    }
    return out;
  }

  /** Closes the executor, then releases the journal's lock. */
  async [Symbol.asyncDispose](): Promise<void> {
    try {
      await this.exec.close();
    } finally {
      await this.journal.close();
    }
  }
}
