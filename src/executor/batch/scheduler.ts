import type { PermissionNeeds } from "../../plan/permissions.ts";
import type { Resources } from "../../plan/resources.ts";
import type { SchedulerEnv, ScriptJob } from "../../shell/job_script.ts";
import type { ExecResult, Transport } from "../../transports/transport.ts";
import type { Executor, Target } from "../executor.ts";
import type { FailureClass } from "../failure.ts";

export type { SchedulerEnv, ScriptJob };

/** One job to submit: its script, attempt number and attempt directory. */
export interface SubmitRequest {
  /** The job's hash. */
  readonly hash: string;
  /** The job's stable name. */
  readonly name: string;
  /** 0 for the first submission, then 1, 2, ... */
  readonly attempt: number;
  /** Absolute path of the job script. */
  readonly script: string;
  /** Absolute path prefix of this attempt's files (`.pid`, `.out`, `.err`, `.end`). */
  readonly attemptPrefix: string;
  /** For job-array schedulers: the array elements to run (only those with unfinished tasks). */
  readonly elements?: readonly number[];
}

/**
 * The answer for one job of a submission batch. A failed submission says how to go on:
 * `transient` (controller busy or unreachable: retry with backoff), `limit` (the queue is full
 * for this user: keep the job and submit when room frees), `fatal` (the job can never be
 * accepted as written: report it failed).
 */
export type SubmitOutcome =
  | { readonly ok: true; readonly id: string }
  | { readonly ok: false; readonly error: string; readonly kind: "transient" | "limit" | "fatal" };

/** What the scheduler says of one job id. */
export interface SchedulerStatus {
  /** `gone` means the scheduler no longer runs or queues it (ended, killed or unknown). */
  readonly state: "pending" | "running" | "gone";
  /** Why it waits or how it ended, in words. */
  readonly reason?: string;
  /** For a gone job, how it ended when the scheduler knows: `undefined` means normally or unknown. */
  readonly failure?: FailureClass;
}

/**
 * A scheduler only translates: it renders headers and builds argv arrays, and parses what
 * those commands print. The runner runs them through a transport. No IO here.
 */
export interface Scheduler {
  /** Short name: `"shell"`, `"slurm"`, ... */
  readonly name: string;
  /**
   * For job-array schedulers: how many tasks each array element runs, from the resources (its
   * own `kwargs` key). Undefined for schedulers that submit one job per job.
   */
  arrayChunk?(resources: Resources): number;
  /** The script's first lines: shebang and directives (`#SBATCH ...`). */
  header(job: ScriptJob): string;
  /**
   * For job-array schedulers: the directive that makes the script an array of all its elements
   * by itself (`#SBATCH --array=0-4`), written after the header or the header template. The
   * submit command's own array option overrides it, so a retry runs only unfinished elements.
   */
  arrayHeader?(job: ScriptJob): string;
  /**
   * The variables the scheduler sets in a running job: its id, and for arrays the element's
   * index and the index of the first element. @default {} (the job's shell PID names it)
   */
  readonly env?: SchedulerEnv;
  /**
   * Milliseconds to wait for a job's end file after the scheduler says it ended normally, before
   * calling the job lost. Jobs on other nodes write through a shared filesystem (NFS caches
   * listings); Shell jobs run beside the reader and need none. @default 0
   */
  readonly endFileGraceMs?: number;
  /**
   * True when submitted jobs wait in a queue the scheduler keeps (`slurm()`): the runner then keeps
   * at most `run({ maxQueued })` of a run's jobs waiting there and submits more as they start or
   * end. Shell starts every job at once. @default false
   */
  readonly queues?: boolean;
  /** One argv that submits every request of a batch. */
  submitArgv(requests: readonly SubmitRequest[]): readonly string[];
  /** The job id (or an error) for every request, in order. */
  parseSubmit(result: ExecResult, requests: readonly SubmitRequest[]): readonly SubmitOutcome[];
  /** One argv that asks about every given job at once. */
  statusArgv(jobs: readonly { id: string; hash: string }[]): readonly string[];
  /** The status of every given job; throws when the output cannot be trusted. */
  parseStatus(
    result: ExecResult,
    jobs: readonly { id: string; hash: string }[],
  ): ReadonlyMap<string, SchedulerStatus>;
  /** One argv that cancels every given job id. */
  cancelArgv(ids: readonly string[]): readonly string[];
  /**
   * Whether the cancel command did its work: a job that had already ended is no failure, an
   * unreachable controller is (a rerun would otherwise start a second copy beside a live job).
   * @default exit code 0
   */
  parseCancel?(result: ExecResult, ids: readonly string[]): boolean;
  /**
   * One argv that finds already-submitted attempts by their names, for recovery after a crash
   * between submitting and journaling the id. Schedulers whose submission is idempotent (Shell)
   * leave it out: resubmitting answers with the running job.
   */
  lookupArgv?(requests: readonly SubmitRequest[]): readonly string[];
  /** The job id of every request found by `lookupArgv`, by job hash. */
  parseLookup?(result: ExecResult, requests: readonly SubmitRequest[]): ReadonlyMap<string, string>;
  /**
   * What its commands need where they run: `run` names every program an argv of it starts
   * with (`bash`, `ps`; not the programs those start). The transport decides whether that is here.
   */
  permissions?(): PermissionNeeds;
}

/**
 * Where jobs run on a batch system: a pure scheduler over a transport, as made by
 * `shell(lazyLocal())`, `slurm(ssh({...}))`. Its executor is `batchExecutor(scheduler, transport)`.
 */
export interface BatchTarget extends Target {
  /** The scheduler that turns jobs into scripts and commands. */
  readonly scheduler: Scheduler;
  /** The transport that moves files and runs commands. */
  readonly transport: Transport;
  /** The batch executor over both. */
  readonly executor: Executor;
}
