/**
 * What every batch scheduler's factory shares: its target (the scheduler over a transport, with
 * their batch executor), the stable name of one attempt, and the checks of its array options.
 *
 * @module
 */

import type { Resources } from "../../plan/resources.ts";
import type { Transport } from "../../transports/transport.ts";
import { batchExecutor } from "./batch_executor.ts";
import type { BatchTarget, Scheduler } from "./scheduler.ts";

/**
 * A scheduler over a transport, with their batch executor: what `slurm(t)`, `sge(t)`, ... return.
 *
 * @example
 * ```ts
 * import { lazyLocal, shellScheduler } from "@deepmodeling/dpdispatcher";
 * import { batchTarget } from "./target.ts";
 *
 * console.log(batchTarget(shellScheduler, lazyLocal()).executor.record.scheduler); // "shell"
 * ```
 */
export function batchTarget(scheduler: Scheduler, transport: Transport): BatchTarget {
  return Object.freeze({
    kind: "target" as const,
    scheduler,
    transport,
    executor: batchExecutor(scheduler, transport),
  });
}

/**
 * The scheduler's name of one attempt: stable, so the queue can answer "was it submitted?".
 *
 * @example
 * ```ts
 * import { attemptName } from "./target.ts";
 *
 * console.log(attemptName({ name: "dpd-0123456789ab", attempt: 2 })); // "dpd-0123456789ab-2"
 * ```
 */
export function attemptName(request: { readonly name: string; readonly attempt: number }): string {
  return `${request.name}-${request.attempt}`;
}

/**
 * Tasks per array element from the resources' `kwargs` (its camelCase or snake_case key), 1 by
 * default; a `TypeError` names the field for anything but an integer >= 1.
 *
 * @example
 * ```ts
 * import { resources } from "@deepmodeling/dpdispatcher";
 * import { arrayChunkOf } from "./target.ts";
 *
 * const r = resources({ groupSize: 4, kwargs: { sge_job_size: 2 } });
 * console.log(arrayChunkOf(r, "sgeJobSize", "sge_job_size")); // 2
 * ```
 */
export function arrayChunkOf(resources: Resources, camel: string, snake: string): number {
  const size = resources.kwargs[camel] ?? resources.kwargs[snake] ?? 1;
  if (typeof size !== "number" || !Number.isInteger(size) || size < 1) {
    throw new TypeError(
      `Invalid resources.kwargs.${camel}: expected an integer >= 1, got ${JSON.stringify(size)}`,
    );
  }
  return size;
}

/**
 * A factory's `endFileGraceMs` option, checked: undefined, or an integer >= 0.
 *
 * @example
 * ```ts
 * import { checkGrace } from "./target.ts";
 *
 * console.log(checkGrace(60_000, "fugaku")); // 60000
 * ```
 */
export function checkGrace(grace: number | undefined, factory: string): number | undefined {
  if (grace !== undefined && (!Number.isInteger(grace) || grace < 0)) {
    throw new TypeError(
      `Invalid ${factory}.endFileGraceMs: expected an integer >= 0, got ${JSON.stringify(grace)}`,
    );
  }
  return grace;
}

/**
 * An array's throttle (elements running at once), checked: undefined, or an integer >= 1.
 *
 * @example
 * ```ts
 * import { checkThrottle } from "./target.ts";
 *
 * console.log(checkThrottle(4, "sgeJobArray")); // 4
 * ```
 */
export function checkThrottle(throttle: number | undefined, factory: string): number | undefined {
  if (throttle !== undefined && (!Number.isInteger(throttle) || throttle < 1)) {
    throw new TypeError(
      `Invalid ${factory}.throttle: expected an integer >= 1, got ${JSON.stringify(throttle)}`,
    );
  }
  return throttle;
}
