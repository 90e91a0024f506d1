/**
 * Time as the runner sees it: the current time and a cancellable sleep.
 *
 * @example
 * ```ts
 * import { type Clock, fakeClock } from "@deepmodeling/dpdispatcher/testing";
 *
 * const clock: Clock = fakeClock();
 * await clock.sleep(1000);
 * console.log(clock.now()); // 1000
 * ```
 */
export interface Clock {
  /** Milliseconds since some origin (`Date.now()` for a real clock). */
  now(): number;
  /** Waits `ms` milliseconds, or returns at once when the signal is (or becomes) aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * A {@linkcode Clock} that never waits: it also tells how much time was slept in total.
 *
 * @example
 * ```ts
 * import { fakeClock } from "@deepmodeling/dpdispatcher/testing";
 *
 * const clock = fakeClock(5);
 * await clock.sleep(10);
 * console.log(clock.now(), clock.slept); // 15 10
 * ```
 */
export interface FakeClock extends Clock {
  /** Milliseconds slept so far, over every `sleep` call. */
  readonly slept: number;
}

/**
 * A clock for tests: `sleep(ms)` moves `now()` forward by `ms` at once and resolves on a
 * microtask, without timers, so code that polls or backs off runs at full speed. A sleep whose
 * signal is already aborted returns at once and does not move the clock; negative or
 * non-finite waits count as 0.
 *
 * @param start The first value of `now()`.
 * @example
 * ```ts
 * import { fakeClock } from "@deepmodeling/dpdispatcher/testing";
 *
 * const clock = fakeClock(1_000);
 * await clock.sleep(250);
 * await clock.sleep(250, AbortSignal.abort()); // aborted: no time passes
 * console.log(clock.now(), clock.slept); // 1250 250
 * ```
 */
export function fakeClock(start = 0): FakeClock {
  let now = start;
  let slept = 0;
  return {
    now: () => now,
    sleep(ms: number, signal?: AbortSignal): Promise<void> {
      if (signal?.aborted) return Promise.resolve();
      const step = Number.isFinite(ms) && ms > 0 ? ms : 0;
      now += step;
      slept += step;
      return Promise.resolve();
    },
    get slept() {
      return slept;
    },
  };
}
