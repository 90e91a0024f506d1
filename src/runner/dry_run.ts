import { join, resolve } from "node:path";
import type { Plan } from "../plan/plan.ts";
import { STATE_DIR } from "../shell/job_script.ts";
import type { SubmitRequest, Target } from "../executor/batch/scheduler.ts";
import { Journal } from "../state/journal.ts";
import { phaseOf, RunContext } from "./context.ts";
import type { RunEvent } from "./events.ts";
import { preflight, stage } from "./stage.ts";

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
  /** The one scheduler command that would submit them (empty when nothing is due). */
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
  const workBase = resolve(plan.workBase);
  await preflight(plan, workBase);
  const stateDir = join(workBase, STATE_DIR);
  await using journal = await Journal.open(stateDir, plan.runId);
  const conn = await target.transport.connect();
  try {
    let staged = { files: 0, bytes: 0 };
    const onEvent = (e: RunEvent) => {
      if (e.type === "stage:done") staged = { files: e.files, bytes: e.bytes };
      emit(e);
    };
    const options = { retryCount: 0, retryDelay: 0, onAbort: "detach" as const };
    const ctx = RunContext.open({ plan, target, conn, journal, options, workBase, emit: onEvent });
    if (journal.records.length === 0) await ctx.recordStart(Date.now());
    if (!ctx.state.staged) await stage(ctx);
    const requests: SubmitRequest[] = [];
    for (const pj of plan.jobs) {
      const j = ctx.jobState(pj.hash);
      const phase = phaseOf(j);
      if (phase !== "new" && phase !== "ended") continue;
      const attempt = j?.attempts ?? 0;
      requests.push({
        hash: pj.hash,
        name: pj.name,
        attempt,
        script: ctx.script(pj.hash),
        attemptPrefix: ctx.attemptPrefix(pj.hash, attempt),
        elements: ctx.elements(pj.hash),
      });
    }
    return {
      runId: plan.runId,
      journal: journal.path,
      runRoot: ctx.runRoot,
      staged,
      jobs: requests.map((r) => ({
        hash: r.hash,
        name: r.name,
        attempt: r.attempt,
        tasks: ctx.job(r.hash).tasks.length,
        script: r.script,
      })),
      submitArgv: requests.length > 0 ? target.scheduler.submitArgv(requests) : [],
    };
  } finally {
    await conn.close();
  }
}
