import { resolve } from "node:path";
import type { Target } from "../executor/executor.ts";
import { jobsDirOf, scriptPath } from "../layout.ts";
import type { Plan } from "../plan/plan.ts";
import type { RunEvent } from "./events.ts";
import { preflight } from "./preflight.ts";
import { stageOnce } from "./runner.ts";
import { RunSession } from "./session.ts";

/** What a dry run staged, and what a real run would submit next. */
export interface DryRunReport {
  /** The run's id. */
  readonly runId: string;
  /** The journal file (a later real run re-attaches to it and submits). */
  readonly journal: string;
  /** Where the task directories were staged on the execution side. */
  readonly runRoot: string;
  /** Files and bytes copied by this dry run (0 when already staged, or in place). */
  readonly staged: { readonly files: number; readonly bytes: number };
  /** The jobs a real run would submit now, with their scripts. */
  readonly jobs: readonly {
    readonly hash: string;
    readonly name: string;
    readonly attempt: number;
    readonly tasks: number;
    readonly script: string;
  }[];
  /** The one command that would submit them (empty when nothing is due). */
  readonly submitArgv: readonly string[];
}

/**
 * dpdispatcher's `dry_run`: checks the inputs, stages the run (uploads every forward file and
 * writes every job script, journaled like a real run) and submits nothing. A later real run of
 * the same plan re-attaches and submits. Returns what would be submitted.
 */
export async function dryRunPlan(
  plan: Plan,
  target: Target,
  emit: (event: RunEvent) => void = () => {},
): Promise<DryRunReport> {
  await preflight(plan, resolve(plan.workBase));
  await using s = await RunSession.open(plan, target, { emit });
  if (!s.resumed) await s.recordStart(s.clock.now());
  const staged = await stageOnce(s);
  const due = plan.jobs.map((pj) => ({ pj, p: s.phase(pj.hash) }))
    .filter(({ p }) => p.phase === "new" || p.phase === "ended");
  const attempts = due.map(({ pj, p }) =>
    s.attempt(pj.hash, p.phase === "new" || p.phase === "ended" ? p.attempt : 0)
  );
  const jobsDir = jobsDirOf(s.exec.runRoot, plan.runId);
  return {
    runId: plan.runId,
    journal: s.journal.path,
    runRoot: s.exec.runRoot,
    staged,
    jobs: attempts.map((a) => ({
      hash: a.job,
      name: s.job(a.job).name,
      attempt: a.attempt,
      tasks: s.job(a.job).tasks.length,
      script: scriptPath(jobsDir, a.job),
    })),
    submitArgv: s.exec.preview(attempts),
  };
}
