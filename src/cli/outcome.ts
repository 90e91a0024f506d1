import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Plan } from "../plan/plan.ts";
import type { RunReport } from "../runner/report.ts";

/** At most this many tasks are listed per kind of trouble; the rest are counted. */
const SHOWN = 10;

function listed<T>(items: readonly T[], line: (item: T) => string): string[] {
  const lines = items.slice(0, SHOWN).map(line);
  if (items.length > SHOWN) lines.push(`    ... and ${items.length - SHOWN} more`);
  return lines;
}

/**
 * What a person needs after a run besides its summary line: every task whose backward files
 * matched nothing (dpdispatcher stops with `FileNotFoundError` there), where each failed task's
 * stderr is, and how to retry. Empty when there is nothing to say.
 *
 * @example
 * ```ts ignore
 * for (const line of outcomeLines(report, plan, "submission.json")) io.out(line);
 * ```
 */
export function outcomeLines(report: RunReport, plan: Plan, file: string): string[] {
  const lines: string[] = [];
  const missing = report.tasks.filter((t) => t.missing.length > 0);
  if (missing.length > 0 || report.missingCommon.length > 0) {
    lines.push(
      `results missing: ${missing.length} task${missing.length === 1 ? "" : "s"} left ${
        missing.length === 1 ? "a backward file" : "backward files"
      } unmatched (exit 1)`,
    );
    lines.push(...listed(missing, (t) => `    ${t.taskWorkPath}: ${t.missing.join(", ")}`));
    if (report.missingCommon.length > 0) {
      lines.push(`    backward_common_files: ${report.missingCommon.join(", ")}`);
    }
  }
  const failed = report.tasks.filter((t) => t.state === "failed");
  if (failed.length > 0) {
    const run = `${report.runId.slice(0, 8)} --work-base ${plan.workBase}`;
    let remote = false;
    lines.push(`failed tasks: ${failed.length}`);
    lines.push(...listed(failed, (t) => {
      const err = join(t.resultsDir, plan.tasks[t.index].errlog);
      const code = t.exitCode === undefined || t.exitCode === null
        ? "no exit code"
        : `exit ${t.exitCode}`;
      if (existsSync(err)) return `    ${t.taskWorkPath}: ${code}; stderr: ${err}`;
      remote = true;
      return `    ${t.taskWorkPath}: ${code}; stderr not here yet`;
    }));
    if (remote) {
      lines.push(`bring their logs home: dpdisp submission ${run} --download-terminated-log`);
    }
    lines.push(`retry them: dpdisp submission ${run} --reset-fail-count && dpdisp submit ${file}`);
  }
  return lines;
}
