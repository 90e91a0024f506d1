/**
 * The on-disk contract of a run, in one place: where the journal, the plan, the job scripts,
 * each attempt's files and each task's exit code live. The runner, the batch executor, the job
 * script, `readRuns` and the CLI all read these names from here.
 *
 * ```text
 * <workBase>/.dpdispatcher/<runId>.jsonl          the journal (local)
 * <workBase>/.dpdispatcher/<runId>.plan.json      the plan (local)
 * <runRoot>/.dpdispatcher/<runId>/<job>.sh        a job script (execution side)
 * <runRoot>/.dpdispatcher/<runId>/<job>.<n>.end   attempt n's end file (.pid .run .out .err beside it)
 * <runRoot>/.dpdispatcher/tasks/<task>.rc         a task's exit code
 * ```
 *
 * @module
 */

import { join } from "node:path";

/**
 * Directory name used for dpdispatcher's own files, in the work base and in the run root.
 *
 * @example
 * ```ts
 * import { STATE_DIR } from "./layout.ts";
 *
 * console.log(STATE_DIR); // ".dpdispatcher"
 * ```
 */
export const STATE_DIR = ".dpdispatcher";

/**
 * The local directory of a work base's journals and plans.
 *
 * @example
 * ```ts
 * import { stateDirOf } from "./layout.ts";
 *
 * console.log(stateDirOf("/w")); // "/w/.dpdispatcher"
 * ```
 */
export function stateDirOf(workBase: string): string {
  return join(workBase, STATE_DIR);
}

/**
 * The journal file of a run, in a state directory.
 *
 * @example
 * ```ts
 * import { journalFile } from "./layout.ts";
 *
 * console.log(journalFile("/w/.dpdispatcher", "abc")); // "/w/.dpdispatcher/abc.jsonl"
 * ```
 */
export function journalFile(stateDir: string, runId: string): string {
  return `${stateDir}/${runId}.jsonl`;
}

/** Suffix of the plan file a run writes beside its journal. */
export const PLAN_SUFFIX = ".plan.json";

/**
 * The plan file of a run, in a state directory.
 *
 * @example
 * ```ts
 * import { planFile } from "./layout.ts";
 *
 * console.log(planFile("/w/.dpdispatcher", "abc")); // "/w/.dpdispatcher/abc.plan.json"
 * ```
 */
export function planFile(stateDir: string, runId: string): string {
  return `${stateDir}/${runId}${PLAN_SUFFIX}`;
}

/**
 * The run id of a plan file name, or undefined for other names.
 *
 * @example
 * ```ts
 * import { runIdOfPlanFile } from "./layout.ts";
 *
 * console.log(runIdOfPlanFile("abc.plan.json"), runIdOfPlanFile("abc.jsonl")); // "abc" undefined
 * ```
 */
export function runIdOfPlanFile(name: string): string | undefined {
  return name.endsWith(PLAN_SUFFIX) ? name.slice(0, -PLAN_SUFFIX.length) : undefined;
}

/**
 * The directory of a run's scripts and per-attempt files, under its run root.
 *
 * @example
 * ```ts
 * import { jobsDirOf } from "./layout.ts";
 *
 * console.log(jobsDirOf("/scratch/r1", "r1")); // "/scratch/r1/.dpdispatcher/r1"
 * ```
 */
export function jobsDirOf(runRoot: string, runId: string): string {
  return `${runRoot}/${STATE_DIR}/${runId}`;
}

/**
 * Where a job's script lives.
 *
 * @example
 * ```ts
 * import { scriptPath } from "./layout.ts";
 *
 * console.log(scriptPath("/r/.dpdispatcher/r", "j1")); // "/r/.dpdispatcher/r/j1.sh"
 * ```
 */
export function scriptPath(jobsDir: string, hash: string): string {
  return `${jobsDir}/${hash}.sh`;
}

/**
 * Path prefix of one attempt's files: `.pid`, `.out`, `.err`, `.run` and `.end`. Flat, so no
 * directory per job.
 *
 * @example
 * ```ts
 * import { attemptPrefix } from "./layout.ts";
 *
 * console.log(attemptPrefix("/r/.dpdispatcher/r", "j1", 2)); // "/r/.dpdispatcher/r/j1.2"
 * ```
 */
export function attemptPrefix(jobsDir: string, hash: string, attempt: number): string {
  return `${jobsDir}/${hash}.${attempt}`;
}

/**
 * The directory of every task's exit-code file, relative to the run root.
 *
 * @example
 * ```ts
 * import { TASKS_DIR } from "./layout.ts";
 *
 * console.log(TASKS_DIR); // ".dpdispatcher/tasks"
 * ```
 */
export const TASKS_DIR = `${STATE_DIR}/tasks`;

/**
 * Where a task's exit code is kept, relative to the run root: one flat directory, so the job
 * needs no directory per task. In place, the run root is the work base, so a task that finished
 * under an earlier plan is still skipped.
 *
 * @example
 * ```ts
 * import { exitCodePath } from "./layout.ts";
 *
 * console.log(exitCodePath({ hash: "t1" })); // ".dpdispatcher/tasks/t1.rc"
 * ```
 */
export function exitCodePath(task: { readonly hash: string }): string {
  return `${TASKS_DIR}/${task.hash}.rc`;
}
