import { readdir, readFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import type { Plan } from "../plan/plan.ts";
import { buildReport, type RunReport } from "./report.ts";
import { journalFile, runIdOfPlanFile, stateDirOf } from "../layout.ts";
import { Journal } from "../state/journal.ts";
import { fold } from "../state/run_state.ts";

/**
 * Reads every run recorded under a work base (its `.dpdispatcher/` journals and plans) and
 * reports where each stands, without locking or touching anything.
 *
 * @example
 * ```ts
 * import { readRuns } from "@deepmodeling/dpdispatcher";
 *
 * for (const run of await readRuns("work")) console.log(run.runId, run.ok);
 * ```
 */
export async function readRuns(workBase = "."): Promise<RunReport[]> {
  const dir = stateDirOf(resolve(workBase));
  const names = await readdir(dir).catch(() => [] as string[]);
  const reports: RunReport[] = [];
  for (const name of names.filter((n) => runIdOfPlanFile(n) !== undefined).sort()) {
    const runId = runIdOfPlanFile(name)!;
    const plan = JSON.parse(await readFile(join(dir, name), "utf8")) as Plan;
    const journal = journalFile(dir, runId);
    const state = fold(await Journal.read(journal));
    reports.push(buildReport(plan, state, { workBase: resolve(workBase), journal, durationMs: 0 }));
  }
  return reports;
}
