import type { FailureClass } from "../../failure.ts";
import { FATAL as SLURM_FATAL, QUEUE_LIMIT as SLURM_QUEUE_LIMIT } from "../slurm/codes.ts";

/**
 * What a `job_state` letter means here: live (pending or running) or gone, in words.
 *
 * @example
 * ```ts
 * import type { TorqueState } from "./codes.ts";
 *
 * const held: TorqueState = { state: "pending", words: "held: it waits until released (qrls)" };
 * ```
 */
export interface TorqueState {
  /** Pending or running while the server holds it; gone once it completed. */
  readonly state: "pending" | "running" | "gone";
  /** The letter in words (Torque's qstat(1)). */
  readonly words: string;
}

/**
 * Torque's `job_state` letters (qstat(1) of the Torque source, SCHEDULERS.md section 2.1), and
 * the Slurm wrappers' `U`.
 *
 * - `Q` queued, `H` held, `W` waiting for its start time (`qsub -a`), `T` moving to a new
 *   location: pending, the job has not started.
 * - `R` running, `E` exiting after having run, `S` suspended: running (it holds its node).
 * - `C` completed after having run: gone, `exit_status` says how (real Torque only).
 * - `U` is no Torque state: the `slurm-wlm-torque` wrappers print it for a Slurm state they do
 *   not map, and of Slurm's base states those are only OUT_OF_MEMORY and DEADLINE (`stateCode`
 *   in their qstat). No job here sets a deadline, so it reads as gone by its memory limit.
 *
 * @example
 * ```ts
 * import { TORQUE_STATES } from "./codes.ts";
 *
 * console.log(TORQUE_STATES.E); // { state: "running", words: "exiting after having run" }
 * ```
 */
export const TORQUE_STATES: Readonly<Record<string, TorqueState>> = {
  Q: { state: "pending", words: "queued: waiting for resources or its turn" },
  H: { state: "pending", words: "held: it waits until released (qrls)" },
  W: { state: "pending", words: "waiting for its execution time (qsub -a)" },
  T: { state: "pending", words: "being moved to a new location" },
  R: { state: "running", words: "running" },
  E: { state: "running", words: "exiting after having run" },
  S: { state: "running", words: "suspended" },
  C: { state: "gone", words: "completed" },
  U: { state: "gone", words: "state U (the Slurm wrappers' out-of-memory or deadline end)" },
};

/**
 * The negative `exit_status` values of Torque (`JOB_EXEC_*` in `src/include/pbs_job.h`), in
 * words, with their class: the MOM could not start the job (`node_fail`), or killed it over a
 * limit (Torque >= 4.2.2: -10 memory, -11 walltime, -12 cput; SCHEDULERS.md section 2.1).
 * The words of -1 to -9 follow the header's comments; other negative values (newer Torque
 * versions add some) are start failures too: {@linkcode torqueFailure} calls them `node_fail`.
 *
 * @example
 * ```ts
 * import { JOB_EXEC } from "./codes.ts";
 *
 * console.log(JOB_EXEC[-11]); // { words: "walltime limit exceeded", failure: "timeout" }
 * ```
 */
export const JOB_EXEC: Readonly<Record<number, { words: string; failure: FailureClass }>> = {
  [-1]: { words: "job exec failed, before files, no retry", failure: "node_fail" },
  [-2]: { words: "job exec failed, after files, no retry", failure: "node_fail" },
  [-3]: { words: "job exec failed, do retry", failure: "node_fail" },
  [-4]: { words: "job aborted on MOM initialization", failure: "node_fail" },
  [-5]: { words: "job aborted on MOM init, checkpoint, no migrate", failure: "node_fail" },
  [-6]: { words: "job aborted on MOM init, checkpoint, ok migrate", failure: "node_fail" },
  [-7]: { words: "job restart failed", failure: "node_fail" },
  [-8]: { words: "exec() of user command failed", failure: "node_fail" },
  [-9]: { words: "could not create/open stdout stderr files", failure: "node_fail" },
  [-10]: { words: "memory limit exceeded", failure: "oom" },
  [-11]: { words: "walltime limit exceeded", failure: "timeout" },
  // A CPU-time limit is a time limit the job ran into, not a failure of its node.
  [-12]: { words: "cput limit exceeded", failure: "timeout" },
};

/**
 * A completed job's class and words by its `exit_status`: 0 is a normal end; a positive status
 * is the script's own (its end file decides: class undefined); `256 + N` means the shell was
 * killed by signal N: SIGTERM (15) and SIGKILL (9) are what `qdel` sends (`cancelled`; Torque
 * before 4.2.2 killed over a limit the same way, which then reads as cancelled too), any other
 * signal is left to the end file; negative values are {@linkcode JOB_EXEC} codes.
 *
 * @example
 * ```ts
 * import { torqueFailure } from "./codes.ts";
 *
 * console.log(torqueFailure(271)); // { failure: "cancelled", words: "killed by signal 15 (exit_status 271)" }
 * console.log(torqueFailure(3)); // { words: "exit_status 3" }
 * ```
 */
export function torqueFailure(exitStatus: number): { failure?: FailureClass; words?: string } {
  if (exitStatus === 0) return {};
  if (exitStatus < 0) {
    const known = JOB_EXEC[exitStatus];
    return {
      failure: known?.failure ?? "node_fail",
      words: `exit_status ${exitStatus}: ${known?.words ?? "the MOM could not run the job"}`,
    };
  }
  if (exitStatus > 256) {
    const signal = exitStatus - 256;
    const words = `killed by signal ${signal} (exit_status ${exitStatus})`;
    return signal === 9 || signal === 15 ? { failure: "cancelled", words } : { words };
  }
  return { words: `exit_status ${exitStatus}` };
}

/**
 * qsub errors that mean "the queue is full for you": keep the job and submit when room frees.
 * Torque's server texts (`pbs_error_db.h`), then sbatch's as the Slurm wrappers pass them on.
 *
 * @example
 * ```ts
 * import { QUEUE_LIMIT } from "./codes.ts";
 *
 * console.log(QUEUE_LIMIT.some((re) => re.test("qsub: submit error (Maximum number of jobs already in queue)"))); // true
 * ```
 */
export const QUEUE_LIMIT: readonly RegExp[] = [
  /Maximum number of jobs already in queue/i, // PBSE_MAXQUED
  /would exceed .*limit/i,
  ...SLURM_QUEUE_LIMIT,
];

/**
 * qsub errors no retry can fix: the job as written is refused. Torque's texts, the wrappers'
 * own option errors, and sbatch's as the wrappers print them (an unreachable controller is not
 * here: it is transient).
 *
 * @example
 * ```ts
 * import { FATAL } from "./codes.ts";
 *
 * console.log(FATAL.some((re) => re.test("sbatch: error: invalid partition specified: nosuch"))); // true
 * ```
 */
export const FATAL: readonly RegExp[] = [
  /Unknown queue/i, // PBSE_UNKQUE
  /Unknown resource/i, // PBSE_UNKRESC
  /exceeds queue resource limits/i, // PBSE_EXCQRESC
  /Illegal attribute or resource value/i, // PBSE_BADATVAL
  /Bad UID for job execution/i,
  /Unauthorized Request/i,
  /Access from host not allowed/i,
  /script file/i, // qsub cannot read the script
  /Unable to open file/i, // sbatch, through the wrappers
  /invalid partition/i,
  /Unknown option/i, // the wrappers' GetOptions
  /^Usage:/im,
  ...SLURM_FATAL,
];

/**
 * Why a job waits, by its state letter (pending letters only; others give plain words).
 *
 * @example
 * ```ts
 * import { pendingWords } from "./codes.ts";
 *
 * console.log(pendingWords("H")); // "held: it waits until released (qrls)"
 * ```
 */
export function pendingWords(letter: string): string {
  return TORQUE_STATES[letter]?.words ?? `in state ${letter}`;
}
