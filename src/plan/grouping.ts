// @ts-types="npm:@types/seedrandom@^3.0.8"
import seedrandom from "npm:seedrandom@^3.0.5";

/**
 * Splits task indices into jobs like dpdispatcher: a deterministic shuffle (seed 42) for load
 * balance, then chunks of `groupSize` (0 = one job with every task). The same number of tasks
 * always gives the same grouping.
 *
 * @example
 * ```ts
 * import { groupTasks } from "@deepmodeling/dpdispatcher";
 *
 * const jobs = groupTasks(5, 2); // e.g. [[3, 0], [4, 1], [2]], the same on every run
 * console.log(jobs.length); // 3
 * ```
 */
export function groupTasks(count: number, groupSize: number, seed = "42"): number[][] {
  const order = Array.from({ length: count }, (_, i) => i);
  const random = seedrandom(seed);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  const size = groupSize === 0 ? Math.max(count, 1) : groupSize;
  const jobs: number[][] = [];
  for (let i = 0; i < order.length; i += size) jobs.push(order.slice(i, i + size));
  return jobs;
}
