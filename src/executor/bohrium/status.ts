/**
 * Bohrium's job status codes, in words, and what each means to the runner. Names are the `lbg`
 * CLI's; dpdispatcher maps -1..6 and 9 and crashes on 7 and 8 ("unknown"): here every code has a
 * meaning, and a code no source names waits with its number in words instead of ending the run.
 *
 * @module
 */

/** What a status code says of a job. */
export type StatusMeaning =
  | { readonly state: "pending"; readonly reason: string }
  | { readonly state: "running" }
  | { readonly state: "ended"; readonly how: "finished" | "failed" | "stopped" };

/**
 * Every documented status code and its name (lbgcli `job_status_to_str`).
 *
 * @example
 * ```ts
 * import { STATUS_NAMES } from "./status.ts";
 *
 * console.log(STATUS_NAMES[7], STATUS_NAMES[8]); // "Killing" "Uploading"
 * ```
 */
export const STATUS_NAMES: Readonly<Record<number, string>> = Object.freeze({
  [-1]: "Failed",
  0: "Pending",
  1: "Running",
  2: "Finished",
  3: "Scheduling",
  4: "Stopping",
  5: "Stopped",
  6: "Terminating",
  7: "Killing",
  8: "Uploading",
  9: "Wait",
});

/**
 * The code in words: `"status 3 (Scheduling)"`.
 *
 * @example
 * ```ts
 * import { statusWords } from "./status.ts";
 *
 * console.log(statusWords(3), statusWords(42)); // "status 3 (Scheduling)" "status 42 (unknown)"
 * ```
 */
export function statusWords(code: number): string {
  return `status ${code} (${STATUS_NAMES[code] ?? "unknown"})`;
}

/**
 * What a status code means: waiting (0 Pending, 3 Scheduling, 9 Wait, and any code no source
 * names), running (1 Running; 4 Stopping, 6 Terminating and 7 Killing, still alive until they
 * reach 5; 8 Uploading, its results on their way), or ended (2 Finished, -1 Failed, 5 Stopped).
 *
 * @example
 * ```ts
 * import { statusMeaning } from "./status.ts";
 *
 * console.log(statusMeaning(2)); // { state: "ended", how: "finished" }
 * console.log(statusMeaning(8)); // { state: "running" }
 * console.log(statusMeaning(0)); // { state: "pending", reason: "waiting on Bohrium: status 0 (Pending)" }
 * ```
 */
export function statusMeaning(code: number): StatusMeaning {
  switch (code) {
    case 2:
      return { state: "ended", how: "finished" };
    case -1:
      return { state: "ended", how: "failed" };
    case 5:
      return { state: "ended", how: "stopped" };
    case 1:
    case 4:
    case 6:
    case 7:
    case 8:
      return { state: "running" };
    case 0:
    case 3:
    case 9:
      return { state: "pending", reason: `waiting on Bohrium: ${statusWords(code)}` };
    default:
      return {
        state: "pending",
        reason: `Bohrium reports ${statusWords(code)}, which this version does not know`,
      };
  }
}
