/**
 * When to try again: a refused submission backs off exponentially and never ends the run (a
 * full queue waits longer); a failed job is resubmitted after `retryDelay` seconds, doubling,
 * until its budget (`retryCount`, counted across restarts) is spent. A job cancelled by someone
 * else is a decision, not an accident: it is not retried.
 *
 * @module
 */

import type { FailureClass } from "../../executor/failure.ts";

/** Longest wait before resubmitting after a transient submit error, in milliseconds. */
export const SUBMIT_BACKOFF_MAX_MS = 60_000;
/** Longest wait before trying again when the queue was full, in milliseconds. */
export const LIMIT_BACKOFF_MAX_MS = 120_000;
/** Longest wait before resubmitting a failed job, in seconds. */
export const RETRY_DELAY_MAX_S = 300;

/**
 * Milliseconds to wait after the `count`-th refused submission of a job in a row.
 *
 * @example
 * ```ts
 * import { submitBackoffMs } from "./retry.ts";
 *
 * console.log(submitBackoffMs(1, "transient"), submitBackoffMs(3, "transient")); // 1000 4000
 * console.log(submitBackoffMs(10, "transient"), submitBackoffMs(10, "limit")); // 60000 120000
 * ```
 */
export function submitBackoffMs(count: number, kind: "transient" | "limit"): number {
  const cap = kind === "limit" ? LIMIT_BACKOFF_MAX_MS : SUBMIT_BACKOFF_MAX_MS;
  return Math.min(1000 * 2 ** (count - 1), cap);
}

/**
 * Whether a job whose attempt failed gets another one: `failures` (charged attempts so far,
 * this one included) within `retryCount`, unless someone else cancelled it.
 *
 * @example
 * ```ts
 * import { mayRetry } from "./retry.ts";
 *
 * console.log(mayRetry({ failures: 1, retryCount: 3, failure: "exit" })); // true
 * console.log(mayRetry({ failures: 4, retryCount: 3, failure: "exit" })); // false
 * console.log(mayRetry({ failures: 1, retryCount: 3, failure: "cancelled" })); // false
 * ```
 */
export function mayRetry(
  job: { readonly failures: number; readonly retryCount: number; readonly failure?: FailureClass },
): boolean {
  return job.failures <= job.retryCount && job.failure !== "cancelled";
}

/**
 * Seconds before resubmitting a failed job: `retryDelay`, doubling with each charged failure,
 * at most {@linkcode RETRY_DELAY_MAX_S}.
 *
 * @example
 * ```ts
 * import { retryDelaySeconds } from "./retry.ts";
 *
 * console.log(retryDelaySeconds(1, 1), retryDelaySeconds(3, 1), retryDelaySeconds(20, 1)); // 1 4 300
 * ```
 */
export function retryDelaySeconds(failures: number, retryDelay: number): number {
  return Math.min(retryDelay * 2 ** (failures - 1), RETRY_DELAY_MAX_S);
}
