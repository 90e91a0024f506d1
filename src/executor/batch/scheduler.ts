import type { PermissionNeeds } from "../../plan/permissions.ts";
import type { Resources } from "../../plan/resources.ts";
import type { FailureClass } from "../failure.ts";
import type { Task } from "../../plan/task.ts";
import type { ExecResult, Transport } from "../../transports/transport.ts";

/** Everything a scheduler needs to write one job's script. Pure data. */
export interface ScriptJob {
  /** The job's stable hash. */
  readonly hash: string;
  /** The job's stable scheduler name, `dpd-<12 hex>`. */
  readonly name: string;
  /** The run this job belongs to. */
  readonly runId: string;
  /** The job's tasks, in run order. */
  readonly tasks: readonly Task[];
  /** The resources shared by every job of the run. */
  readonly resources: Resources;
  /** Absolute directory (on the execution side) holding the task directories. */
  readonly runRoot: string;
  /** Absolute directory (on the execution side) holding scripts and per-attempt state. */
  readonly jobsDir: string;
  /** For job-array schedulers: tasks per array element (element k runs tasks k*n .. k*n+n-1). */
  readonly arrayChunk?: number;
}

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
   * For job-array schedulers: how many tasks each array element runs, from the resources
   * (`kwargs.slurmJobSize`). Undefined for schedulers that submit one job per job.
   */
  arrayChunk?(resources: Resources): number;
  /** The script's first lines: shebang and directives (`#SBATCH ...`). */
  header(job: ScriptJob): string;
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
 * Where jobs run: a scheduler over a transport, as made by `shell(lazyLocal())`,
 * `shell(local({ remoteRoot }))` and, later, `slurm(ssh({...}))`.
 */
export interface Target {
  /** Always `"target"`. */
  readonly kind: "target";
  /** The scheduler that turns jobs into scripts and commands. */
  readonly scheduler: Scheduler;
  /** The transport that moves files and runs commands. */
  readonly transport: Transport;
}
