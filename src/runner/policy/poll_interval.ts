/**
 * How long the runner sleeps between polls: short right after something changed (a submission,
 * an ending), growing by half each quiet poll up to a cap, or the user's fixed interval
 * (dpdispatcher's `check_interval`).
 *
 * @module
 */

/** The shortest pause between polls, in milliseconds. */
export const MIN_INTERVAL_MS = 250;
/** The longest pause between polls while nothing changes, in milliseconds. */
export const MAX_INTERVAL_MS = 15_000;

/**
 * The next pause between polls, in milliseconds.
 *
 * @example
 * ```ts
 * import { nextInterval } from "./poll_interval.ts";
 *
 * console.log(nextInterval(1000, { changed: true })); // 250
 * console.log(nextInterval(1000, { changed: false })); // 1500
 * console.log(nextInterval(14000, { changed: false })); // 15000
 * console.log(nextInterval(250, { changed: true, fixedSeconds: 5 })); // 5000
 * ```
 */
export function nextInterval(
  previous: number,
  poll: { readonly changed: boolean; readonly fixedSeconds?: number },
): number {
  if (poll.fixedSeconds) return poll.fixedSeconds * 1000;
  return poll.changed ? MIN_INTERVAL_MS : Math.min(previous * 1.5, MAX_INTERVAL_MS);
}
