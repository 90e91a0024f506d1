import { stat } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Plan } from "../plan/plan.ts";
import { expand } from "../transports/local_fs.ts";

/**
 * Checks, before any side effect, that the work base and every forward file exist, so bad
 * input fails with the task and the file named and nothing written.
 */
export async function preflight(plan: Plan, workBase: string): Promise<void> {
  const info = await stat(workBase).catch(() => undefined);
  if (!info?.isDirectory()) {
    throw new TypeError(`Invalid workBase: directory does not exist, got "${plan.workBase}"`);
  }
  for (const file of plan.forwardCommonFiles) {
    if ((await expand(workBase, file)).length === 0) {
      throw new TypeError(`Invalid forwardCommonFiles: "${file}" does not exist in "${workBase}"`);
    }
  }
  for (let i = 0; i < plan.tasks.length; i++) {
    const t = plan.tasks[i];
    for (const file of t.forwardFiles) {
      if ((await expand(workBase, posix.join(t.taskWorkPath, file))).length === 0) {
        throw new TypeError(
          `Invalid tasks[${i}].forwardFiles: "${file}" does not exist in "${
            join(workBase, t.taskWorkPath)
          }"`,
        );
      }
    }
  }
}
