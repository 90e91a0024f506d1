/**
 * dpdispatcher's `strategy.ratioUnfinished`: once enough of a run's tasks finished, the jobs
 * still open are dropped (cancelled, what finished still collected) instead of waited for.
 *
 * @module
 */

/**
 * Whether the open jobs should be dropped: `ratio` > 0, some job still open, and at least
 * `(1 - ratio) * total` tasks finished.
 *
 * @example
 * ```ts
 * import { shouldDrop } from "./drop.ts";
 *
 * console.log(shouldDrop({ ratio: 0.2, finished: 8, total: 10, open: 1 })); // true
 * console.log(shouldDrop({ ratio: 0.2, finished: 7, total: 10, open: 1 })); // false
 * console.log(shouldDrop({ ratio: 0, finished: 10, total: 10, open: 1 })); // false
 * ```
 */
export function shouldDrop(
  run: {
    readonly ratio: number;
    readonly finished: number;
    readonly total: number;
    readonly open: number;
  },
): boolean {
  if (run.ratio <= 0 || run.open === 0) return false;
  return run.finished >= Math.ceil((1 - run.ratio) * run.total);
}

/**
 * The reason a dropped job carries.
 *
 * @example
 * ```ts
 * import { dropReason } from "./drop.ts";
 *
 * console.log(dropReason({ ratio: 0.2, finished: 8, total: 10 }));
 * // "dropped: 8 of 10 tasks finished (ratioUnfinished 0.2)"
 * ```
 */
export function dropReason(
  run: { readonly ratio: number; readonly finished: number; readonly total: number },
): string {
  return `dropped: ${run.finished} of ${run.total} tasks finished (ratioUnfinished ${run.ratio})`;
}
