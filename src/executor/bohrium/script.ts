/**
 * What a Bohrium job runs: the project's job script (tasks in their directories, each one's exit
 * code kept, the end file written last), run as `bash <script> <attempt>` in the directory the
 * platform unpacked the job's archive into, as dpdispatcher runs `bash <hash>.sub` there. The
 * result archive must hold the tasks' backward files and logs, their exit codes and the end file.
 *
 * @module
 */

import { posix } from "node:path";
import { exitCodePath, jobsDirOf, STATE_DIR } from "../../layout.ts";
import type { Plan, PlanJob } from "../../plan/plan.ts";
import { fillHeader } from "../../shell/header_template.ts";
import { renderScript } from "../../shell/job_script.ts";
import { quote } from "../../shell/quote.ts";
import type { RenderedJob } from "../executor.ts";

const MARK = "/dpd-bohrium-root";

/** Where a run's scripts and end files live, relative to the unpacked directory. */
export function cloudJobsDir(runId: string): string {
  return `${STATE_DIR}/${runId}`;
}

/**
 * Every job's script, as the cloud runs it: the job script with its root taken from the
 * directory it starts in. Paths are relative to that directory.
 *
 * @example
 * ```ts
 * import { dispatch, task } from "@deepmodeling/dpdispatcher";
 * import { renderCloudJobs } from "./script.ts";
 *
 * const plan = dispatch({ workBase: "/w" }).tasks(task({ command: "true", taskWorkPath: "t0" })).toPlan();
 * const [job] = renderCloudJobs(plan);
 * console.log(job.script.includes('dpd_root="$(pwd -P)"')); // true
 * ```
 */
export function renderCloudJobs(plan: Plan): RenderedJob[] {
  const template = plan.resources.strategy.customizedScriptHeaderTemplate;
  const header = template === undefined ? "#!/bin/bash -l" : fillHeader(template, plan.resources);
  const jobsDir = jobsDirOf(MARK, plan.runId);
  return plan.jobs.map((pj) => {
    const text = renderScript(header, {
      hash: pj.hash,
      name: pj.name,
      runId: plan.runId,
      tasks: pj.tasks.map((i) => plan.tasks[i]),
      resources: plan.resources,
      runRoot: MARK,
      jobsDir,
      env: {},
    });
    const lines = text.split("\n").map((line) => {
      if (line === `dpd_root=${MARK}`) return `dpd_root="$(pwd -P)"`;
      if (line.startsWith(`dpd_prefix=${jobsDir}/`)) {
        return `dpd_prefix="$dpd_root"/${line.slice(`dpd_prefix=${MARK}/`.length)}`;
      }
      return line;
    });
    const script = lines.join("\n");
    if (script.includes(MARK)) {
      throw new TypeError(
        `Cannot render job "${pj.name}" for Bohrium: the job script's root line changed`,
      );
    }
    return {
      job: pj.hash,
      name: pj.name,
      path: `${cloudJobsDir(plan.runId)}/${pj.hash}.sh`,
      script,
    };
  });
}

/**
 * The command of one attempt: `bash .dpdispatcher/<run>/<job>.sh <attempt>`.
 *
 * @example
 * ```ts
 * import { attemptCommand } from "./script.ts";
 *
 * console.log(attemptCommand("r1", "j1", 2)); // "bash .dpdispatcher/r1/j1.sh 2"
 * ```
 */
export function attemptCommand(runId: string, job: string, attempt: number): string {
  return `bash ${quote(`${cloudJobsDir(runId)}/${job}.sh`)} ${attempt}`;
}

/**
 * The end file of one attempt, relative to the unpacked directory.
 *
 * @example
 * ```ts
 * import { endFileOf } from "./script.ts";
 *
 * console.log(endFileOf("r1", "j1", 0)); // ".dpdispatcher/r1/j1.0.end"
 * ```
 */
export function endFileOf(runId: string, job: string, attempt: number): string {
  return `${cloudJobsDir(runId)}/${job}.${attempt}.end`;
}

/**
 * What the result archive of an attempt must hold: every task's backward files, outlog and
 * errlog, every task's exit code, and the end file. Deduplicated, in order.
 *
 * @example
 * ```ts
 * import { dispatch, task } from "@deepmodeling/dpdispatcher";
 * import { outFilesOf } from "./script.ts";
 *
 * const plan = dispatch({ workBase: "/w" }).tasks(task({ command: "true", taskWorkPath: "t0", backwardFiles: ["o.txt"] })).toPlan();
 * console.log(outFilesOf(plan, plan.jobs[0], 0).slice(0, 3)); // ["t0/o.txt", "t0/log", "t0/err"]
 * ```
 */
export function outFilesOf(plan: Plan, job: PlanJob, attempt: number): string[] {
  const tasks = job.tasks.map((i) => plan.tasks[i]);
  const files = tasks.flatMap((t) => [
    ...t.backwardFiles.map((b) => posix.join(t.taskWorkPath, b)),
    posix.join(t.taskWorkPath, t.outlog),
    posix.join(t.taskWorkPath, t.errlog),
  ]);
  files.push(...tasks.map((t) => exitCodePath(t)), endFileOf(plan.runId, job.hash, attempt));
  return [...new Set(files)];
}

/**
 * The log file the platform shows, as dpdispatcher names it: the first task's outlog.
 *
 * @example
 * ```ts
 * import { dispatch, task } from "@deepmodeling/dpdispatcher";
 * import { logFilesOf } from "./script.ts";
 *
 * const plan = dispatch({ workBase: "/w" }).tasks(task({ command: "true", taskWorkPath: "t0" })).toPlan();
 * console.log(logFilesOf(plan, plan.jobs[0])); // ["t0/log"]
 * ```
 */
export function logFilesOf(plan: Plan, job: PlanJob): string[] {
  const t = plan.tasks[job.tasks[0]];
  return [posix.join(t.taskWorkPath, t.outlog)];
}
