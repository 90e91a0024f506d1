/**
 * How many of a run's jobs may wait in the scheduler's queue at once, unless `run({ maxQueued })`
 * fixes it. Slurm starts queued jobs only in its scheduling passes (about one a second here,
 * each filling the free CPUs), and each pass walks every pending job: a run that queues all its
 * jobs at once waits on those passes, while one that keeps a short queue and submits as jobs
 * start or end keeps the controller's main scheduler running at every tick, as a hand-written
 * `sbatch` loop does. On the 16-CPU test node (bench/README.md) 64 beat both 32 and queueing
 * every job at once.
 */
export const QUEUE_WINDOW = 64;

/** The adaptive window never grows past this many queued jobs. */
export const QUEUE_WINDOW_MAX = 4_096;

/** The submit window of one run: frozen data, replaced by {@linkcode widenQueueWindow}. */
export interface QueueWindow {
  /** At most this many of the run's jobs wait in the queue (submitted, not seen running). */
  readonly size: number;
  /** True when the user chose the size (`maxQueued`): it never grows. */
  readonly fixed: boolean;
}

/**
 * The window a run starts with: `maxQueued` when given (`Infinity` queues every job at once,
 * like dpdispatcher), else {@linkcode QUEUE_WINDOW}, doubling while the cluster keeps up.
 *
 * @example
 * ```ts
 * import { queueWindow } from "./queue_window.ts";
 *
 * console.log(queueWindow()); // { size: 64, fixed: false }
 * console.log(queueWindow(10)); // { size: 10, fixed: true }
 * ```
 */
export function queueWindow(maxQueued?: number): QueueWindow {
  return Object.freeze(
    maxQueued === undefined
      ? { size: QUEUE_WINDOW, fixed: false }
      : { size: maxQueued, fixed: true },
  );
}

/**
 * How many new attempts may be submitted now, with `queued` of the run's jobs submitted and
 * neither seen running nor ended.
 *
 * @example
 * ```ts
 * import { queueRoom, queueWindow } from "./queue_window.ts";
 *
 * console.log(queueRoom(queueWindow(10), 7)); // 3
 * ```
 */
export function queueRoom(window: QueueWindow, queued: number): number {
  return Math.max(0, window.size - queued);
}

/**
 * The window after the scheduler answered a status query: it doubles (up to
 * {@linkcode QUEUE_WINDOW_MAX}) when jobs were held back and none of the run's jobs was left
 * pending, since then the cluster starts jobs faster than the window lets them in.
 *
 * @example
 * ```ts
 * import { queueWindow, widenQueueWindow } from "./queue_window.ts";
 *
 * const w = widenQueueWindow(queueWindow(), { held: true, pending: 0 });
 * console.log(w.size); // 128
 * ```
 */
export function widenQueueWindow(
  window: QueueWindow,
  seen: { readonly held: boolean; readonly pending: number },
): QueueWindow {
  if (window.fixed || !seen.held || seen.pending > 0 || window.size >= QUEUE_WINDOW_MAX) {
    return window;
  }
  return Object.freeze({ size: Math.min(window.size * 2, QUEUE_WINDOW_MAX), fixed: false });
}
