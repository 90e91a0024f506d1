import type { FailureClass } from "../../failure.ts";

/**
 * The `failed` codes of a Grid Engine accounting record (sge_status(5), and `execution_states.h`
 * of the Grid Engine source), in words, with the failure class each one means here. A class left
 * undefined means the job script ran to its end as far as Grid Engine knows: its end file decides.
 *
 * - 1-11 and 26-38 (but 30 and 37): the host could not start the job (prolog, PE start, output
 *   file, shell, working directory, passwords, groups): `node_fail`, since another host may.
 * - 12-16: the job ran, and the PE stop, epilog or processor set failed after it: undefined.
 * - 17-22: the shepherd (the job's parent on the host) died, or the execd lost the job: `node_fail`.
 * - 24, 25, 30: migrated or rescheduled (it comes back into the queue): `preempted`.
 * - 37: `timeout`. SGE 8.1.9 prints "qmaster enforced h_rt, h_cpu, or h_vmem limit": `h_vmem`
 *   is a per-process rlimit, so a program over it fails its allocation instead (SCHEDULERS.md
 *   section 3.4, job 6), and `h_cpu` is not requested here: in practice this is `h_rt`.
 * - 100 ("assumedly after job": killed by a signal, task or shepherd died) is decided with the
 *   exit status, by {@linkcode sgeFailure}.
 *
 * @example
 * ```ts
 * import { SGE_FAILED } from "./codes.ts";
 *
 * console.log(SGE_FAILED[37]); // { words: "qmaster enforced h_rt, h_cpu, or h_vmem limit", failure: "timeout" }
 * ```
 */
export const SGE_FAILED: Readonly<Record<number, { words: string; failure?: FailureClass }>> = {
  1: { words: "assumedly before job", failure: "node_fail" },
  2: { words: "on executing shepherd", failure: "node_fail" },
  3: { words: "before writing config", failure: "node_fail" },
  4: { words: "before writing pid", failure: "node_fail" },
  5: { words: "on reading config file", failure: "node_fail" },
  6: { words: "setting processor set", failure: "node_fail" },
  7: { words: "before prolog", failure: "node_fail" },
  8: { words: "in prolog", failure: "node_fail" },
  9: { words: "before pestart", failure: "node_fail" },
  10: { words: "in pestart", failure: "node_fail" },
  11: { words: "before job", failure: "node_fail" },
  12: { words: "before pestop" },
  13: { words: "in pestop" },
  14: { words: "before epilog" },
  15: { words: "in epilog" },
  16: { words: "releasing processor set" },
  17: { words: "through signal", failure: "node_fail" },
  18: { words: "shepherd returned error", failure: "node_fail" },
  19: { words: "before writing exit_status", failure: "node_fail" },
  20: { words: "found unexpected error file", failure: "node_fail" },
  21: { words: "in recognizing job", failure: "node_fail" },
  22: { words: "removed manually", failure: "node_fail" },
  24: { words: "migrating", failure: "preempted" },
  25: { words: "rescheduling", failure: "preempted" },
  26: { words: "opening input/output file", failure: "node_fail" },
  27: { words: "searching requested shell", failure: "node_fail" },
  28: { words: "changing into working directory", failure: "node_fail" },
  29: { words: "AFS setup", failure: "node_fail" },
  30: { words: "rescheduling on application error", failure: "preempted" },
  31: { words: "accessing sgepasswd file", failure: "node_fail" },
  32: { words: "entry is missing in password file", failure: "node_fail" },
  33: { words: "wrong password", failure: "node_fail" },
  34: { words: "communicating with Sun Grid Engine Helper Service", failure: "node_fail" },
  35: { words: "before job in Sun Grid Engine Helper Service", failure: "node_fail" },
  36: { words: "checking configured daemons", failure: "node_fail" },
  37: { words: "qmaster enforced h_rt, h_cpu, or h_vmem limit", failure: "timeout" },
  38: { words: "adding supplementary group", failure: "node_fail" },
  100: { words: "assumedly after job" },
};

/**
 * The failure class of an accounting record's `failed` code and `exit_status`.
 *
 * `failed 100` with exit status 137 (SIGKILL) is `cancelled`: SCHEDULERS.md section 3.4 shows
 * exactly that pair for `qdel` of a running job (jobs 5 and 14), while the time limit, the other
 * SIGKILL, comes as `failed 37`. Another kill by SIGKILL (a kernel OOM kill of the job's shell)
 * would read the same; nothing in the record tells them apart. Any other `failed 100` is the
 * rest of sge_status(5)'s description, "task died, shepherd died (e.g. node crash)": `node_fail`.
 * Codes not in {@linkcode SGE_FAILED} give undefined: the end file decides.
 *
 * @example
 * ```ts
 * import { sgeFailure } from "./codes.ts";
 *
 * console.log(sgeFailure(100, 137), sgeFailure(37, 137), sgeFailure(0, 3)); // "cancelled" "timeout" undefined
 * ```
 */
export function sgeFailure(
  failed: number,
  exitStatus: number | undefined,
): FailureClass | undefined {
  if (failed === 100) return exitStatus === 137 ? "cancelled" : "node_fail";
  return SGE_FAILED[failed]?.failure;
}

/**
 * Why a job waits, from its `qstat` state letters (sge_status(5)): an error state first (it never
 * runs until cleared), then a hold, a deletion under way, a requeue, else plain waiting.
 *
 * @example
 * ```ts
 * import { pendingWords } from "./codes.ts";
 *
 * console.log(pendingWords("hqw")); // "held: it waits until released (qrls)"
 * ```
 */
export function pendingWords(state: string): string {
  if (state.includes("E")) {
    return `in error state (${state}): Grid Engine will not start it until the error is cleared ` +
      "(qmod -cj <id>); qstat -j <id> shows the error reason";
  }
  if (state.includes("h")) return "held: it waits until released (qrls)";
  if (state.includes("d")) return "being deleted";
  if (state.includes("R")) return "rescheduled: waiting to run again";
  return "waiting in the queue for a free slot";
}

/** qsub errors that mean "the queue is full for you": keep the job and submit when room frees. */
export const QUEUE_LIMIT: readonly RegExp[] = [
  /jobs are allowed per user/i, // max_u_jobs: "job rejected: Only 5 jobs are allowed per user ..."
  /jobs are allowed per cluster/i, // max_jobs
];

/** qsub errors no retry can fix: the job as written is refused. */
export const FATAL: readonly RegExp[] = [
  /job requests unknown queue/i,
  /parallel environment .* does not exist/i,
  /unknown resource/i,
  /Unable to read script file/i,
  /no suitable queues/i,
  /is no submit host/i,
  /job rejected/i, // after QUEUE_LIMIT: unknown project, user id too low, no permission, ...
  /invalid option argument/i,
  /Unknown option/i,
];
