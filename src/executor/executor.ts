/**
 * The one seam between the runner and a backend. The runner decides (what to submit, when to
 * retry, what to journal); an executor does: it stages inputs, submits a batch of attempts,
 * polls live ones, collects results, cancels, and finds attempts by their stable names after a
 * crash. A batch system is one implementation (`batchExecutor(scheduler, transport)`: a pure
 * scheduler over a transport plus the job script's end files); a cloud API implements it
 * directly.
 *
 * @module
 */

import type { PermissionNeeds } from "../plan/permissions.ts";
import type { Plan, PlanTarget } from "../plan/plan.ts";
import type { FailureClass } from "./failure.ts";

/** One attempt of a job, as the runner names it to an executor. */
export interface Attempt {
  /** The job's hash. */
  readonly job: string;
  /** 0 for the first submission, then 1, 2, ... */
  readonly attempt: number;
  /** Hashes of the job's tasks that already exited 0 (their results are kept, not rerun). */
  readonly done: ReadonlySet<string>;
}

/** A submitted attempt: its executor id (a Slurm job id, a PID, a cloud job id). */
export interface LiveAttempt extends Attempt {
  /** The id the executor gave it. */
  readonly id: string;
}

/**
 * The answer for one attempt of a submitted batch. A failure says how to go on: `transient`
 * (controller busy or unreachable: retry with backoff), `limit` (the queue is full for this user:
 * keep the job and submit when room frees), `fatal` (it can never be accepted as written).
 */
export type Submitted =
  | { readonly ok: true; readonly id: string }
  | {
    readonly ok: false;
    readonly error: Error;
    readonly kind: "transient" | "limit" | "fatal";
  };

/** How an attempt ended, as the executor learnt it. */
export interface AttemptEnd {
  /** True when every task exited 0. */
  readonly ok: boolean;
  /** Exit code per task hash (`null`: the task left none). */
  readonly codes: Readonly<Record<string, number | null>>;
  /** How it failed: a task's exit, the time or memory limit, a cancel, a lost node, ... */
  readonly failure?: FailureClass;
  /** Why it failed, in words. */
  readonly reason?: string;
  /** The tail of the failing task's stderr. */
  readonly stderrTail?: string;
  /** Unix seconds when the job started and ended, when known. */
  readonly start?: number;
  /** Unix seconds when the job ended. */
  readonly end?: number;
}

/** What a poll says of one live attempt. An attempt absent from the answer has no news. */
export type AttemptStatus =
  | { readonly state: "pending"; readonly reason: string }
  | { readonly state: "running" }
  | { readonly state: "ended"; readonly end: AttemptEnd };

/** What one poll learnt. */
export interface PollAnswer {
  /** News per job hash. */
  readonly status: ReadonlyMap<string, AttemptStatus>;
  /** Whether the scheduler (not only the end files) was asked: only then are pending jobs known. */
  readonly asked: boolean;
}

/** What staging did. */
export interface Staged {
  /** Files copied (unchanged ones skipped are not counted). */
  readonly files: number;
  /** Bytes copied. */
  readonly bytes: number;
  /** Job scripts written. */
  readonly scripts: number;
}

/** What a collection brought home. */
export interface Collected {
  /** Files copied. */
  readonly files: number;
  /** Bytes copied. */
  readonly bytes: number;
  /** Patterns that matched nothing. */
  readonly missing: readonly string[];
}

/** One job's share of a batched collection. */
export interface CollectRequest {
  /** The job's hash. */
  readonly job: string;
  /** What to bring home, relative to the task directories' root. */
  readonly patterns: readonly string[];
}

/** A job script as `render()` returns it. */
export interface RenderedJob {
  /** The job's hash. */
  readonly job: string;
  /** The job's stable name. */
  readonly name: string;
  /** Where the script will be written on the execution side. */
  readonly path: string;
  /** The script's text. */
  readonly script: string;
}

/** An executor opened for one run: the only object through which the runner reaches a backend. */
export interface ExecutorSession extends AsyncDisposable {
  /** Where the run's task directories live on the execution side (`~` expanded). */
  readonly runRoot: string;
  /** Sends every forward file and whatever each job needs to start (its script). */
  stage(): Promise<Staged>;
  /** Submits a batch of attempts; one answer per attempt, in order. Throws only for a lost link. */
  submit(attempts: readonly Attempt[]): Promise<readonly Submitted[]>;
  /**
   * Finds attempts an earlier runner submitted but did not journal (a crash in between), by their
   * stable names: their ids by job hash. Fails closed (throws) when the backend cannot be read.
   * Absent when submitting the same attempt twice is harmless (Shell's launch lock).
   */
  lookup?(attempts: readonly Attempt[]): Promise<ReadonlyMap<string, string>>;
  /** Asks about every live attempt at once: ended (with per-task exit codes), pending, running. */
  poll(live: readonly LiveAttempt[]): Promise<PollAnswer>;
  /** The exit code each task of these jobs left so far (`null`: none), one record per job. */
  exitCodes(jobs: readonly string[]): Promise<readonly Record<string, number | null>[]>;
  /** Brings home what the patterns (relative to the task directories' root) match. */
  collect(job: string | undefined, patterns: readonly string[]): Promise<Collected>;
  /**
   * Brings home several jobs' results in one transfer (every job that ended since the last
   * poll): one answer per request, in order. Absent when each job's results travel on their
   * own (a cloud's per-job archive); the runner then calls `collect()` per job.
   */
  collectMany?(requests: readonly CollectRequest[]): Promise<readonly Collected[]>;
  /**
   * Resolves when there may be news of live attempts (an end file arrived): the runner then
   * polls at once instead of at its next interval. Undefined when the executor learns nothing
   * between polls.
   */
  news?(): Promise<void> | undefined;
  /** Cancels every given attempt at once; an attempt that already ended is no failure. */
  cancel(live: readonly LiveAttempt[]): Promise<void>;
  /** Removes the run's staged copy (in place: its scripts); returns what was removed. */
  clean(): Promise<string>;
  /** The command that would submit these attempts, for a dry run (empty when there is none). */
  preview(attempts: readonly Attempt[]): readonly string[];
  /** Closes the link. */
  close(): Promise<void>;
}

/** Options of {@linkcode Executor.open}. */
export interface OpenOptions {
  /** The local work base, absolute. */
  readonly workBase: string;
  /** Receives notices in words (a dropped link, a reconnect). */
  readonly onWarning?: (message: string, error?: Error) => void;
  /** The runner's clock, for grace periods and how often the scheduler is asked. @default Date.now */
  readonly now?: () => number;
}

/**
 * A backend: what a plan records of it, what it needs, where runs live, and `open()`. Plain
 * data plus functions, as made by `batchExecutor(...)` or a cloud factory.
 */
export interface Executor {
  /** What a plan records of it: names and settings, never secrets. */
  readonly record: PlanTarget;
  /** Where jobs run (`"localhost"`, an SSH host, an API host), for messages. */
  readonly host: string;
  /**
   * True when submitted jobs wait in a queue the backend keeps: the runner then keeps at most
   * `run({ maxQueued })` of a run's jobs waiting there.
   */
  readonly queues: boolean;
  /** Attempts per `submit()` call; the runner polls between batches. */
  readonly submitBatch: number;
  /** The Deno permissions its work needs on this machine. */
  permissions(): PermissionNeeds;
  /** Where a run's task directories would live, before connecting (may start with `~/`). */
  runRoot(workBase: string, runId: string): string;
  /** Every job script as it would be written. Pure: no IO, no connection. */
  render(plan: Plan, workBase: string): RenderedJob[];
  /** Opens the backend for one run of a plan. */
  open(plan: Plan, options: OpenOptions): Promise<ExecutorSession>;
}

/**
 * Where jobs run, as `dispatch().on(...)` takes it: made by `shell(...)`, `slurm(...)`,
 * `slurmJobArray(...)` and, for clouds, their own factories. The runner uses its executor only.
 */
export interface Target {
  /** Always `"target"`. */
  readonly kind: "target";
  /** The backend the runner drives. */
  readonly executor: Executor;
}
