import type { FailureClass } from "../../failure.ts";

/**
 * What each LSF job state (`STAT` of `bjobs`) means here: queued (`pending`), started
 * (`running`) or ended (`gone`), with words for the states that need them (SCHEDULERS.md
 * section 4.3: psij-python's state comments quoting IBM's bjobs page, OpenLava's `JOB_STAT_*`).
 *
 * Suspended jobs (`USUSP`, `SSUSP`) still hold their slots and count as running, as Slurm's
 * `SUSPENDED` does. `UNKWN` (LSF lost contact with the host) and `ZOMBI` (killed while its host
 * was unreachable, not yet confirmed) count as running too: the job may still be alive on that
 * host, and calling it gone would start a second copy beside it. Both end as `EXIT` with
 * `TERM_ZOMBIE` once LSF knows.
 *
 * @example
 * ```ts
 * import { LSF_STATES } from "./codes.ts";
 *
 * console.log(LSF_STATES.PSUSP); // { state: "pending", words: "held: suspended while pending (bresume releases it)" }
 * ```
 */
export const LSF_STATES: Readonly<
  Record<string, { readonly state: "pending" | "running" | "gone"; readonly words?: string }>
> = {
  PEND: { state: "pending" },
  PSUSP: { state: "pending", words: "held: suspended while pending (bresume releases it)" },
  WAIT: { state: "pending", words: "a chunk job member waiting for its chunk to run" },
  PROV: { state: "running", words: "dispatched, waiting for its host to be provisioned" },
  RUN: { state: "running" },
  USUSP: { state: "running", words: "suspended by the user while running (bresume resumes it)" },
  SSUSP: { state: "running", words: "suspended by LSF (host load or run window closed)" },
  UNKWN: {
    state: "running",
    words: "LSF lost contact with its execution host: it may still be running there",
  },
  ZOMBI: {
    state: "running",
    words: "killed while its host was unreachable: LSF has not confirmed its end yet",
  },
  DONE: { state: "gone" },
  EXIT: { state: "gone" },
};

/**
 * LSF's termination reasons (the `EXIT_REASON` keyword of an `EXIT` job) in words, with the
 * failure class each one means here; undefined leaves it to the job's end file and exit code.
 * Words are IBM's ("Termination reasons displayed by bacct, bhist, and bjobs", LSF 10.1).
 *
 * - limits: `TERM_RUNLIMIT`, `TERM_DEADLINE`, `TERM_CPULIMIT` are `timeout`; `TERM_MEMLIMIT` and
 *   `TERM_SWAP` are `oom`; the process and thread limits get words only.
 * - `bkill` by the owner or an administrator (with or without cleanup time, `bkill -b`, and
 *   kill-and-requeue) is `cancelled`.
 * - preemption, a run window or load threshold, checkpoint migration, multicluster recall and a
 *   reclaimed cloud host are `preempted`: the job can run again elsewhere.
 * - a host that crashed or cannot run it (`TERM_ZOMBIE`, `TERM_CWD_NOTEXIST`, pre-exec retries,
 *   a hung job removed, ...) is `node_fail`. `TERM_HOST` is in no IBM list; it is kept for
 *   emulators that print it.
 * - `TERM_EXTERNAL_SIGNAL` (a signal from outside LSF: perhaps the kernel OOM killer, perhaps a
 *   person), `TERM_OTHER`, `TERM_ORPHAN_SYSTEM`, `TERM_DATA` and `TERM_UNKNOWN` get words only.
 *
 * @example
 * ```ts
 * import { TERM_REASONS } from "./codes.ts";
 *
 * console.log(TERM_REASONS.TERM_RUNLIMIT.failure); // "timeout"
 * ```
 */
export const TERM_REASONS: Readonly<
  Record<string, { readonly words: string; readonly failure?: FailureClass }>
> = {
  TERM_RUNLIMIT: { words: "Job killed after reaching LSF run time limit", failure: "timeout" },
  TERM_DEADLINE: { words: "Job killed after deadline expires", failure: "timeout" },
  TERM_CPULIMIT: { words: "Job killed after reaching LSF CPU usage limit", failure: "timeout" },
  TERM_MEMLIMIT: { words: "Job killed after reaching LSF memory usage limit", failure: "oom" },
  TERM_SWAP: { words: "Job killed after reaching LSF swap usage limit", failure: "oom" },
  TERM_PROCESSLIMIT: { words: "Job killed after reaching LSF process limit" },
  TERM_THREADLIMIT: { words: "Job killed after reaching LSF thread limit" },
  TERM_OWNER: { words: "Job killed by owner", failure: "cancelled" },
  TERM_ADMIN: { words: "Job killed by root or LSF administrator", failure: "cancelled" },
  TERM_FORCE_OWNER: {
    words: "Job killed by owner without time for cleanup",
    failure: "cancelled",
  },
  TERM_FORCE_ADMIN: {
    words: "Job killed by root or LSF administrator without time for cleanup",
    failure: "cancelled",
  },
  TERM_BUCKET_KILL: { words: "Job killed with bkill -b", failure: "cancelled" },
  TERM_REQUEUE_OWNER: { words: "Job killed and requeued by owner", failure: "cancelled" },
  TERM_REQUEUE_ADMIN: {
    words: "Job killed and requeued by root or LSF administrator",
    failure: "cancelled",
  },
  TERM_PREEMPT: { words: "Job killed after preemption", failure: "preempted" },
  TERM_WINDOW: { words: "Job killed after queue run window closed", failure: "preempted" },
  TERM_LOAD: { words: "Job killed after load exceeds threshold", failure: "preempted" },
  TERM_CHKPNT: { words: "Job killed after checkpointing", failure: "preempted" },
  TERM_MC_RECALL: { words: "Job killed due to multicluster job recall", failure: "preempted" },
  TERM_RC: { words: "Job killed when its cloud host was reclaimed", failure: "preempted" },
  TERM_RC_RECLAIM: {
    words: "Job killed when its cloud host was reclaimed",
    failure: "preempted",
  },
  TERM_REQUEUE_RC: {
    words: "Job killed and requeued when its cloud host was reclaimed",
    failure: "preempted",
  },
  TERM_ZOMBIE: { words: "Job exited while LSF is not available", failure: "node_fail" },
  TERM_HOST: { words: "Job killed after its execution host failed", failure: "node_fail" },
  TERM_CWD_NOTEXIST: {
    words: "Current working directory is not accessible or does not exist on the execution host",
    failure: "node_fail",
  },
  TERM_PRE_EXEC_FAIL: {
    words: "Job killed after reaching pre-execution retry limit",
    failure: "node_fail",
  },
  TERM_REMOVE_HUNG_JOB: { words: "Job removed from LSF", failure: "node_fail" },
  TERM_CTRL_PID: { words: "Job terminated after its control PID died", failure: "node_fail" },
  TERM_RMS: { words: "Job exited from an RMS system error", failure: "node_fail" },
  TERM_SLURM: { words: "Job terminated abnormally in SLURM (node failure)", failure: "node_fail" },
  TERM_CSM_ALLOC: { words: "Job killed due to CSM allocation API error", failure: "node_fail" },
  TERM_KUBE: { words: "Job killed due to Kubernetes integration", failure: "node_fail" },
  TERM_EXTERNAL_SIGNAL: { words: "Job killed by a signal external to LSF" },
  TERM_OTHER: { words: "Member of a chunk job in WAIT state killed and requeued" },
  TERM_ORPHAN_SYSTEM: { words: "The orphan job was automatically terminated by LSF" },
  TERM_DATA: { words: "Job killed due to failed data staging" },
  TERM_UNKNOWN: { words: "LSF cannot determine a termination reason" },
};

/**
 * Lines of an LSF command that mean the master batch daemon did not answer (SCHEDULERS.md
 * section 4.6): LSF retries and prints these; IBM's and OpenLava's texts, any site wording of
 * "Please wait".
 */
export const DAEMON_DOWN: readonly RegExp[] = [
  /LSF is down/i,
  /Cannot connect to LSF/i,
  /LSF is processing your request/i,
  /daemon (\(LIM\) )?not responding/i,
  /Please wait/i,
  /still trying/i,
  /Contacting batch daemon/i,
  /Connection refused by server/i,
  /Timeout on connect call to server/i,
  /Master batch daemon internal error/i,
];

/**
 * bsub errors that mean "the queue is full for you": keep the job and submit when room frees
 * (OpenLava's `lsb.err.c` texts).
 */
export const QUEUE_LIMIT: readonly RegExp[] = [
  /Queue does not have enough per-user job slots/i,
  /The destination queue has reached its job limit/i,
  /does not have enough job slots/i,
  /pending job threshold/i,
  /job limit/i,
];

/**
 * bsub errors no retry can fix: the job as written is refused (`<reason>. Job not submitted.`,
 * reasons from OpenLava's `lsb.err.c`; a script the shell cannot read; a usage error).
 */
export const FATAL: readonly RegExp[] = [
  /No such queue/i,
  /Queue name must be specified/i,
  /User cannot use the queue/i,
  /Unknown user/i,
  /User permission denied/i,
  /Too many processors requested/i,
  /Too few processors requested/i,
  /Bad argument/i,
  /Bad time specification/i,
  /Bad CPU limit specification/i,
  /Cannot exceed queue's hard limit/i,
  /Bad job name/i,
  /Bad resource requirement syntax/i,
  /Bad resource name/i,
  /No resource defined/i,
  /Bad host name/i,
  /Bad host specification/i,
  /Queue only accepts interactive jobs/i,
  /Request aborted by esub/i,
  /Job array index (error|too large)/i,
  /Invoker is not in specified project group/i,
  /No such file or directory/i,
  /Permission denied/i,
  /illegal option|unknown option|Usage: bsub/i,
];
