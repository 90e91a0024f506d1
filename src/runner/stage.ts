import { stat } from "node:fs/promises";
import { join, posix } from "node:path";
import { expand } from "../transports/local_fs.ts";
import type { Plan } from "../plan/plan.ts";
import { readFileSync } from "node:fs";
import { fillHeader } from "../shell/header_template.ts";
import { renderScript, STATE_DIR } from "../shell/job_script.ts";
import type { ScriptJob, Target } from "../executor/batch/scheduler.ts";
import type { RunContext } from "./context.ts";

/**
 * Checks, before any side effect, that the work base and every forward file exist, so bad
 * input fails with the task and the file named and nothing written.
 */
export async function preflight(plan: Plan, workBase: string): Promise<void> {
  const template = plan.resources.strategy.customizedScriptHeaderTemplateFile;
  if (template !== undefined) readTemplate(template);
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

/** Every job's script, rendered for a target. Pure. */
export function renderJobs(
  plan: Plan,
  target: Target,
  where: { runRoot: string; jobsDir: string },
): { job: string; name: string; path: string; script: string }[] {
  const templateFile = plan.resources.strategy.customizedScriptHeaderTemplateFile;
  const template = templateFile === undefined ? undefined : readTemplate(templateFile);
  return plan.jobs.map((pj) => {
    const job: ScriptJob = {
      hash: pj.hash,
      name: pj.name,
      runId: plan.runId,
      tasks: pj.tasks.map((i) => plan.tasks[i]),
      resources: plan.resources,
      runRoot: where.runRoot,
      jobsDir: where.jobsDir,
      arrayChunk: target.scheduler.arrayChunk?.(plan.resources),
    };
    const header = template === undefined
      ? target.scheduler.header(job)
      : fillHeader(template, plan.resources);
    const script = renderScript(header, job);
    return { job: pj.hash, name: pj.name, path: `${where.jobsDir}/${pj.hash}.sh`, script };
  });
}

/** Uploads every forward file in one transfer and writes every job script; journals `staged`. */
export async function stage(ctx: RunContext): Promise<void> {
  const { plan } = ctx;
  const entries = [
    ...plan.forwardCommonFiles,
    ...plan.tasks.flatMap((t) => t.forwardFiles.map((f) => posix.join(t.taskWorkPath, f))),
  ];
  const sent = await ctx.conn.upload(ctx.workBase, ctx.runRoot, [...new Set(entries)]);
  if (sent.missing.length > 0) {
    throw new TypeError(
      `Invalid forward file: "${sent.missing[0]}" does not exist in "${ctx.workBase}"`,
    );
  }
  const scripts = renderJobs(plan, ctx.target, ctx);
  // Task directories and the exit-code directory exist before any job starts, so no job
  // script forks a mkdir for them.
  const dirs = [
    posix.join(ctx.runRoot, STATE_DIR, "tasks"),
    ...new Set(plan.tasks.map((t) => posix.join(ctx.runRoot, t.taskWorkPath))),
  ];
  await ctx.conn.writeFiles(scripts.map((s) => ({ path: s.path, content: s.script })), { dirs });
  await ctx.record([{
    t: "staged",
    files: sent.files,
    bytes: sent.bytes,
    root: ctx.runRoot,
    at: Date.now(),
  }], true);
  ctx.emit({ type: "stage:done", files: sent.files, bytes: sent.bytes, scripts: scripts.length });
}

function readTemplate(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    throw new TypeError(
      `Invalid resources.strategy.customizedScriptHeaderTemplateFile: cannot read "${file}"`,
    );
  }
}
