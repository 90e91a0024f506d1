import type { FailureClass } from "../../failure.ts";

/**
 * What a `job_state` letter means here: live (pending or running) or gone, in words.
 *
 * @example
 * ```ts
 * import type { PbsState } from "./codes.ts";
 *
 * const queued: PbsState = { state: "pending", words: "queued, waiting to be scheduled" };
 * ```
 */
export interface PbsState {
  /** Pending or running while the server holds it; gone once it finished (history) or moved. */
  readonly state: "pending" | "running" | "gone";
  /** The letter in words (qstat(1B)). */
  readonly words: string;
}

/**
 * The `job_state` letters of OpenPBS / PBS Professional (SCHEDULERS.md section 1.3, from
 * `src/include/job.h` `JOB_STATE_LTR_*` and qstat(1B)), each as pending, running or gone.
 *
 * - `Q` queued, `H` held, `W` waiting for its start time (or a failed stage-in), `T` transiting:
 *   pending, the job has not started.
 * - `R` running, `E` exiting after having run, `B` array begun (a subjob runs), `S` suspended,
 *   `U` suspended while the workstation is busy: running, since the job started and holds (or
 *   will resume on) its node; like Slurm's SUSPENDED and COMPLETING.
 * - `F` finished and `X` subjob finished or expired: gone, `Exit_status` says how.
 * - `M` moved to another server (history): gone with no failure. The job runs on elsewhere
 *   under another id: its end file, or the grace period, decides.
 *
 * @example
 * ```ts
 * import { PBS_STATES } from "./codes.ts";
 *
 * console.log(PBS_STATES.H); // { state: "pending", words: "held: it waits until released (qrls)" }
 * ```
 */
export const PBS_STATES: Readonly<Record<string, PbsState>> = {
  Q: { state: "pending", words: "queued, waiting to be scheduled" },
  H: { state: "pending", words: "held: it waits until released (qrls)" },
  W: { state: "pending", words: "waiting for its start time, or to retry a failed file stage-in" },
  T: { state: "pending", words: "being moved to its execution queue or server" },
  R: { state: "running", words: "running" },
  E: { state: "running", words: "exiting after having run" },
  B: { state: "running", words: "array begun: at least one subjob started" },
  S: { state: "running", words: "suspended" },
  U: { state: "running", words: "suspended: the workstation is busy" },
  F: { state: "gone", words: "finished" },
  X: { state: "gone", words: "subjob finished or expired" },
  M: { state: "gone", words: "moved to another server" },
};

/**
 * The negative `Exit_status` values (`JOB_EXEC_*` of OpenPBS `src/include/job.h`, listed in
 * SCHEDULERS.md section 1.4), in words, with the failure class each one means here.
 *
 * - -29 walltime and -28 cput: `timeout`; -27 mem and -26 vmem: `oom` (OpenPBS 22.05 and
 *   later, SCHEDULERS.md 1.4 "Walltime/memory"; the memory kill needs `$enforce mem` on MOM).
 * - -25 and -24 (more CPUs used than requested, sum or burst): `exit`, the job's own doing: no
 *   node failed, and a retry on another node fails alike.
 * - -12 (checkpointed and killed, a preemption method): `preempted`.
 * - Every other code (the job could not start, or MOM or a hook failed it): `node_fail`.
 *
 * @example
 * ```ts
 * import { PBS_EXEC_CODES } from "./codes.ts";
 *
 * console.log(PBS_EXEC_CODES[-29]); // { name: "JOB_EXEC_KILL_WALLTIME", words: "killed for exceeding its walltime", failure: "timeout" }
 * ```
 */
export const PBS_EXEC_CODES: Readonly<
  Record<number, { name: string; words: string; failure: FailureClass }>
> = {
  [-1]: {
    name: "JOB_EXEC_FAIL1",
    words: "exec failed, before files, no retry",
    failure: "node_fail",
  },
  [-2]: {
    name: "JOB_EXEC_FAIL2",
    words: "exec failed, after files, no retry",
    failure: "node_fail",
  },
  [-3]: { name: "JOB_EXEC_RETRY", words: "execution failed, do retry", failure: "node_fail" },
  [-4]: { name: "JOB_EXEC_INITABT", words: "aborted on MOM initialization", failure: "node_fail" },
  [-5]: {
    name: "JOB_EXEC_INITRST",
    words: "aborted on MOM init, chkpt, no migrate",
    failure: "node_fail",
  },
  [-6]: {
    name: "JOB_EXEC_INITRMG",
    words: "aborted on MOM init, chkpt, ok migrate",
    failure: "node_fail",
  },
  [-7]: { name: "JOB_EXEC_BADRESRT", words: "restart failed", failure: "node_fail" },
  [-10]: { name: "JOB_EXEC_FAILUID", words: "invalid uid/gid for job", failure: "node_fail" },
  [-11]: { name: "JOB_EXEC_RERUN", words: "job rerun", failure: "node_fail" },
  [-12]: { name: "JOB_EXEC_CHKP", words: "checkpointed and killed", failure: "preempted" },
  [-13]: { name: "JOB_EXEC_FAIL_PASSWORD", words: "bad password", failure: "node_fail" },
  [-14]: {
    name: "JOB_EXEC_RERUN_SIS_FAIL",
    words: "mother superior lost a sister node",
    failure: "node_fail",
  },
  [-15]: { name: "JOB_EXEC_QUERST", words: "requeued for restart", failure: "node_fail" },
  [-16]: { name: "JOB_EXEC_FAILHOOK_RERUN", words: "rejected by a hook", failure: "node_fail" },
  [-17]: { name: "JOB_EXEC_FAILHOOK_DELETE", words: "rejected by a hook", failure: "node_fail" },
  [-18]: { name: "JOB_EXEC_HOOK_RERUN", words: "a hook requeued it", failure: "node_fail" },
  [-19]: { name: "JOB_EXEC_HOOK_DELETE", words: "a hook deleted it", failure: "node_fail" },
  [-20]: {
    name: "JOB_EXEC_RERUN_MS_FAIL",
    words: "mother superior connection failed",
    failure: "node_fail",
  },
  [-21]: {
    name: "JOB_EXEC_FAIL_SECURITY",
    words: "security breach in PBS directory",
    failure: "node_fail",
  },
  [-22]: { name: "JOB_EXEC_HOOKERROR", words: "a hook failed or timed out", failure: "node_fail" },
  [-23]: { name: "JOB_EXEC_FAIL_KRB5", words: "no kerberos credentials", failure: "node_fail" },
  [-24]: {
    name: "JOB_EXEC_KILL_NCPUS_BURST",
    words: "killed for exceeding ncpus (burst)",
    failure: "exit",
  },
  [-25]: {
    name: "JOB_EXEC_KILL_NCPUS_SUM",
    words: "killed for exceeding ncpus (sum)",
    failure: "exit",
  },
  [-26]: { name: "JOB_EXEC_KILL_VMEM", words: "killed for exceeding its vmem", failure: "oom" },
  [-27]: { name: "JOB_EXEC_KILL_MEM", words: "killed for exceeding its mem", failure: "oom" },
  [-28]: { name: "JOB_EXEC_KILL_CPUT", words: "killed for exceeding its cput", failure: "timeout" },
  [-29]: {
    name: "JOB_EXEC_KILL_WALLTIME",
    words: "killed for exceeding its walltime",
    failure: "timeout",
  },
  [-30]: { name: "JOB_EXEC_JOINJOB", words: "join job error", failure: "node_fail" },
};

/**
 * How a finished job ended by its `Exit_status` (and `comment`), as a failure class and words.
 *
 * - 0: a normal end: no failure, no words (the end file decides).
 * - 1 to 255: the job script's own exit status: `exit` (as Slurm's FAILED), kept only when the
 *   end file is missing: a complete end file names the failed task instead.
 * - 256+N, the top shell killed by signal N (SCHEDULERS.md 1.4, MOM's `WTERMSIG + 0x100`):
 *   N = 15 (271, what `qdel` sends) or 9 (265, `qdel` after `kill_delay`; psij-python counts it
 *   CANCELED): `cancelled`. OpenPBS 20.0 and older also end a job over its walltime this way,
 *   so a `comment` that says "exceeded resource walltime" (or mem, vmem, cput) wins over the
 *   signal. Other signals: undefined, the end file (or its absence: `lost`) decides.
 * - Negative: {@linkcode PBS_EXEC_CODES}; a code it does not list is `node_fail`.
 * - No `Exit_status`: a job deleted before it ran (substate 91, comment "... terminated"):
 *   `cancelled`; else undefined.
 *
 * @example
 * ```ts
 * import { pbsEnded } from "./codes.ts";
 *
 * console.log(pbsEnded(-29).failure, pbsEnded(271).failure, pbsEnded(3).failure); // "timeout" "cancelled" "exit"
 * ```
 */
export function pbsEnded(
  exit: number | undefined,
  comment = "",
  substate?: number,
): { failure?: FailureClass; words?: string } {
  const over = /exceeded resource (walltime|cput|mem|vmem)\b/.exec(comment)?.[1];
  const limit: FailureClass | undefined = over
    ? (over === "mem" || over === "vmem" ? "oom" : "timeout")
    : undefined;
  if (exit === undefined || !Number.isInteger(exit)) {
    const deleted = substate === 91 || /\band terminated\b/.test(comment);
    return deleted ? { failure: "cancelled", words: "deleted" } : { failure: limit };
  }
  if (exit === 0) return {};
  if (exit > 0 && exit < 256) return { failure: limit ?? "exit", words: `Exit_status ${exit}` };
  if (exit >= 256) {
    const signal = exit - 256;
    const byQdel = signal === 15 || signal === 9;
    return {
      failure: limit ?? (byQdel ? "cancelled" : undefined),
      words: `Exit_status ${exit}: killed by signal ${signal}`,
    };
  }
  const code = PBS_EXEC_CODES[exit];
  return {
    failure: limit ?? code?.failure ?? "node_fail",
    words: `Exit_status ${exit}: ${
      code ? `${code.words} (${code.name})` : "a JOB_EXEC code job.h does not list"
    }`,
  };
}

/**
 * What qstat and qselect print, on a server without job history, when asked with `-x`.
 *
 * @example
 * ```ts
 * import { HISTORY_OFF } from "./codes.ts";
 *
 * console.log("qstat: PBS is not configured to maintain job history 7.s".includes(HISTORY_OFF)); // true
 * ```
 */
export const HISTORY_OFF = "PBS is not configured to maintain job history";

/**
 * qsub errors that mean "the queue is full for you": keep the job and submit when room frees.
 *
 * @example
 * ```ts
 * import { QUEUE_LIMIT } from "./codes.ts";
 *
 * console.log(QUEUE_LIMIT.some((re) => re.test("qsub: Maximum number of jobs already in queue"))); // true
 * ```
 */
export const QUEUE_LIMIT: readonly RegExp[] = [
  /Maximum number of jobs already in queue/i, // PBSE_MAXQUED (pbs_messages.c msg_maxqueued)
  /would exceed .*limit/i, // entity limits: max_queued, queued_jobs_threshold
];

/**
 * qsub errors no retry can fix: the job as written is refused (SCHEDULERS.md 1.1).
 *
 * @example
 * ```ts
 * import { FATAL } from "./codes.ts";
 *
 * console.log(FATAL.some((re) => re.test("qsub: Unknown queue"))); // true
 * ```
 */
export const FATAL: readonly RegExp[] = [
  /Unknown queue/i, // PBSE_UNKQUE
  /Unknown resource/i, // PBSE_UNKRESC
  /Job violates queue and\/or server resource limits/i, // PBSE_EXCQRESC: over resources_max
  /Illegal attribute or resource value/i, // PBSE_BADATVAL
  /illegal -\w value/i, // qsub's own option checks
  /script not a file/i,
  /directive error/i,
  /cannot be used with/i, // "-lresource=" cannot be used with "select" or "place"
  /Resource invalid in "select" specification/i,
  /Access to queue is denied/i,
  /Unauthorized Request/i,
  /Bad UID for job execution/i,
  /Invalid Account/i,
  /Job rejected by all possible destinations/i,
  /Array job exceeds server or queue size limit/i,
  /name is too long/i,
  /invalid option|usage:/i,
];
