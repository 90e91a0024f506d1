import type { FailureClass } from "../../failure.ts";

/**
 * What each PJM job state (`ST` of `pjstat`) means here: queued (`pending`), started (`running`)
 * or ended (`gone`), with words for the states that need them. The state list is Fujitsu's
 * (`pjstat` man page, as Open OnDemand's and RIKEN Open Composer's Fujitsu TCS adapters quote
 * it); which state counts as what follows dpdispatcher's `Fugaku.check_status` (`QUE`, `HLD`,
 * `RNA`, `SPD` waiting; `RUN`, `RNE` running; `EXT`, `CCL`, `ERR` ended). The states it leaves
 * "unknown" get the closest meaning: `ACC` and `SPP` wait, `RNP`, `RNO` and `RSM` run, `RJT`
 * ended. A state this version does not know counts as running, so no second copy starts.
 *
 * @example
 * ```ts
 * import { PJM_STATES } from "./codes.ts";
 *
 * console.log(PJM_STATES.HLD); // { state: "pending", words: "held by a user (pjrls releases it)" }
 * ```
 */
export const PJM_STATES: Readonly<
  Record<string, { readonly state: "pending" | "running" | "gone"; readonly words?: string }>
> = {
  ACC: { state: "pending", words: "submission accepted, not queued yet" },
  QUE: { state: "pending" },
  RNA: { state: "pending", words: "acquiring the resources to run" },
  HLD: { state: "pending", words: "held by a user (pjrls releases it)" },
  SPP: { state: "pending", words: "being suspended" },
  SPD: { state: "pending", words: "suspended (pjresume resumes it)" },
  RSM: { state: "running", words: "resuming after a suspension" },
  RNP: { state: "running", words: "running its prologue" },
  RUN: { state: "running" },
  RNE: { state: "running", words: "running its epilogue" },
  RNO: { state: "running", words: "ending: waiting for its termination processing" },
  EXT: { state: "gone" },
  CCL: { state: "gone", words: "cancelled" },
  ERR: { state: "gone", words: "fixed in the ERR state by an error" },
  RJT: { state: "gone", words: "its submission was rejected" },
};

/**
 * The job manager's exit codes (`PC` of `pjstat`, "PJM CODE") in RIKEN's words (Fugaku user
 * guide 1.49, "Checking when a job ends abnormally"), with the failure class each one means
 * here; undefined leaves it to the job's end file and exit code. Code 28 and above are cut off in
 * the copy found: they get "PJM code <n>" only.
 *
 * @example
 * ```ts
 * import { PJM_CODES } from "./codes.ts";
 *
 * console.log(PJM_CODES[11].failure); // "timeout"
 * ```
 */
export const PJM_CODES: Readonly<
  Record<number, { readonly words: string; readonly failure?: FailureClass }>
> = {
  1: { words: "CANCEL by pjdel command that the user controled", failure: "cancelled" },
  2: { words: "REJECT based on job acceptance judgment" },
  3: { words: "Execution rejected by the job manager exit function" },
  4: { words: "HOLD by pjhold command that the user controled" },
  6: { words: "CANCEL by step job dependency expression" },
  7: { words: "CANCEL by deadline forced specification", failure: "timeout" },
  8: { words: "CANCEL by job manager exit function" },
  9: { words: "EXIT during job reconstruction because re-execution is not allowed" },
  11: { words: "Job execution timeout due to violation of elapsed time limit", failure: "timeout" },
  12: { words: "Forced termination due to excessive memory usage", failure: "oom" },
  13: { words: "Forced termination due to excessive disk usage" },
  16: {
    words:
      "Termination due to inaccessibility of current directory or standard input / standard output / standard error output file",
    failure: "node_fail",
  },
  18: {
    words: "Terminated by executing a subsequent job or starting a deadline schedule",
    failure: "preempted",
  },
  20: { words: "Node down", failure: "node_fail" },
  21: { words: "Shell execution failure", failure: "node_fail" },
  22: { words: "ICC error", failure: "node_fail" },
  23: { words: "Termination by OOM Killer operation", failure: "oom" },
  25: { words: "HA failure", failure: "node_fail" },
  26: { words: "Error in prologue and epilogue processing", failure: "node_fail" },
  27: { words: "Job resource management exit processing error", failure: "node_fail" },
};

/**
 * pjsub errors that mean "the limit of jobs is reached for you": keep the job and submit when
 * room frees. No such message was found verbatim; these are guesses at Fujitsu's wording.
 */
export const QUEUE_LIMIT: readonly RegExp[] = [
  /number of (?:submitted |accepted )?jobs.*(?:limit|exceed)/i,
  /exceeds? the (?:job )?(?:submission )?limit/i,
];

/**
 * pjsub errors no retry can fix (`[ERR.] PJM <code> pjsub <reason>`): reasons found in captures
 * (limits, group, permission, an unreadable script, staging) and in other tools' tests.
 */
export const FATAL: readonly RegExp[] = [
  /is greater than the upper limit/i,
  /is less than the lower limit/i,
  /Group not authorized/i,
  /No execute permission/i,
  /Cannot open the file/i,
  /Staging option error/i,
  /Resource group does not exist/i,
  /Resource group stop/i,
  /is not a data area/i,
  /Invalid (?:resource|option|job name|elapse)/i,
  /No such file or directory/i,
  /Permission denied/i,
  /illegal option|unknown option|unrecognized option/i,
];
