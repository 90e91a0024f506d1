import { stat } from "node:fs/promises";
import { join, posix } from "node:path";
import type { Plan } from "../plan/plan.ts";
import { expand } from "../transports/local_fs.ts";

/**
 * Checks, before any side effect, that the work base and every forward file exist, so bad
 * input fails with the task and the file named and nothing written. Returns notices worth a
 * warning: task directories that do not exist (the run creates them, as dpdispatcher's
 * LocalContext and SSHContext do, but a typo in `task_work_path` should not go unsaid).
 */
export async function preflight(plan: Plan, workBase: string): Promise<string[]> {
  const info = await stat(workBase).catch(() => undefined);
  const reads = plan.forwardCommonFiles.length > 0 || plan.tasks.some((t) => t.forwardFiles.length);
  if (info === undefined && !reads) {
    // Nothing is read from it: the run makes it (and the task directories) to bring results to.
    return [`the work base "${workBase}" does not exist: the run creates it`];
  }
  if (!info?.isDirectory()) {
    throw new TypeError(`Invalid workBase: directory does not exist, got "${plan.workBase}"`);
  }
  for (const file of plan.forwardCommonFiles) {
    if ((await expand(workBase, file)).length === 0) {
      throw new TypeError(`Invalid forwardCommonFiles: "${file}" does not exist in "${workBase}"`);
    }
  }
  const absent: string[] = [];
  for (let i = 0; i < plan.tasks.length; i++) {
    const t = plan.tasks[i];
    if (t.forwardFiles.length === 0) {
      const dir = await stat(join(workBase, t.taskWorkPath)).catch(() => undefined);
      if (!dir?.isDirectory()) absent.push(t.taskWorkPath);
    }
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
  if (absent.length === 0) return [];
  const shown = absent.slice(0, 5).join(", ") +
    (absent.length > 5 ? `, ... (${absent.length})` : "");
  return [
    `${absent.length === 1 ? "task directory" : "task directories"} ${shown} ${
      absent.length === 1 ? "does" : "do"
    } not exist in "${workBase}": the run creates ${absent.length === 1 ? "it" : "them"}`,
  ];
}
