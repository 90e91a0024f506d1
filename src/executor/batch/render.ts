import type { Plan } from "../../plan/plan.ts";
import { fillHeader } from "../../shell/header_template.ts";
import { renderScript, type ScriptJob } from "../../shell/job_script.ts";
import { scriptPath } from "../../layout.ts";
import type { RenderedJob } from "../executor.ts";
import type { Scheduler } from "./scheduler.ts";

/**
 * Every job's script of a plan, rendered for a scheduler: its header (or the resources' header
 * template, filled) and a job array's own directive, then the job script. Pure: the template's
 * content is part of the plan.
 *
 * @example
 * ```ts
 * import { dispatch, shellScheduler, task } from "@deepmodeling/dpdispatcher";
 * import { renderJobs } from "./render.ts";
 *
 * const plan = dispatch({ workBase: "/w" }).tasks(task({ command: "true", taskWorkPath: "t0" })).toPlan();
 * const [job] = renderJobs(plan, shellScheduler, { runRoot: "/w", jobsDir: "/w/.dpdispatcher/x" });
 * console.log(job.script.split("\n")[0]); // "#!/bin/bash"
 * ```
 */
export function renderJobs(
  plan: Plan,
  scheduler: Scheduler,
  where: { readonly runRoot: string; readonly jobsDir: string },
): RenderedJob[] {
  const template = plan.resources.strategy.customizedScriptHeaderTemplate;
  const arrayChunk = scheduler.arrayChunk?.(plan.resources);
  return plan.jobs.map((pj) => {
    const job: ScriptJob = {
      hash: pj.hash,
      name: pj.name,
      runId: plan.runId,
      tasks: pj.tasks.map((i) => plan.tasks[i]),
      resources: plan.resources,
      runRoot: where.runRoot,
      jobsDir: where.jobsDir,
      arrayChunk,
      env: scheduler.env ?? {},
    };
    const header = template === undefined
      ? scheduler.header(job)
      : fillHeader(template, plan.resources);
    const array = scheduler.arrayHeader?.(job);
    const script = renderScript(array ? `${header.trimEnd()}\n${array}` : header, job);
    return { job: pj.hash, name: pj.name, path: scriptPath(where.jobsDir, pj.hash), script };
  });
}
