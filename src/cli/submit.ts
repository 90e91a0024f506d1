import process from "node:process";
import { RunError } from "../runner/run_error.ts";
import { dryRunPlan } from "../runner/dry_run.ts";
import type { RunEvent } from "../runner/events.ts";
import { readRuns } from "../runner/runs.ts";
import { type Command, fail, type Io, onePositional, parse } from "./_common.ts";
import { loadSubmissionFile } from "./_run_ref.ts";
import { outcomeLines } from "./outcome.ts";
import { progressMode, ProgressTracker, progressView, summary } from "./progress.ts";

const HELP = `dpdisp submit: run a dpdispatcher submission to the end

Usage: dpdisp submit FILE [options]

FILE is a dpdispatcher submission in JSON or YAML (.yaml, .yml): work_base, machine,
resources, task_list, forward_common_files, backward_common_files (\`dpdisp schema\` prints
its JSON Schema). Run the same command again after a stop or a crash to re-attach: nothing
is submitted twice and nothing that finished runs again.

Options:
  --dry-run         check the inputs and stage the run (upload the inputs, write the job
                    scripts) but submit nothing; print what would be submitted. A later
                    \`dpdisp submit FILE\` re-attaches and submits
  --exit-on-submit  return once every job is submitted; the jobs keep running
  --clean           remove the run's remote copy once every job finished (never the default)
  --strict          unknown keys are errors instead of warnings
  --json            one JSON event per line on stdout, for programs
  -q, --quiet       print only the final summary
  -h, --help        print this help

On a terminal a live line shows jobs running / queued in the scheduler (with the reason it
gives) / waiting here (not submitted yet, or to retry) / done / failed, tasks done, the
scheduler ids in its hands and the
elapsed time; otherwise one plain line per event. Ctrl-C detaches: submitted jobs keep
running, and jobs not submitted yet wait for the next run.

Exit codes: 0 every job finished, 1 some job failed (or the run could not go on), 2 bad input.

Examples:
  dpdisp submit submission.json
  dpdisp submit submission.yaml --dry-run
  dpdisp submit submission.json --exit-on-submit && dpdisp status work/
  dpdisp submit submission.json --json | jq -c 'select(.type == "job:final")'`;

const OPTIONS = {
  "dry-run": { type: "boolean" },
  "exit-on-submit": { type: "boolean" },
  clean: { type: "boolean" },
  strict: { type: "boolean" },
  json: { type: "boolean" },
  quiet: { type: "boolean", short: "q" },
} as const;

async function run(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse("submit", args, OPTIONS);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const file = onePositional("submit", positionals, "FILE (a submission in JSON or YAML)");
  const { builder, retryCount } = loadSubmissionFile(file, values.strict ?? false, io);
  const plan = builder.toPlan();
  const mode = progressMode(values, io);
  const tracker = new ProgressTracker();
  if (values["dry-run"]) return await dryRun(builder, file, mode, io);

  tracker.seed((await readRuns(plan.workBase)).find((r) => r.runId === plan.runId));
  const paths = new Map(plan.tasks.map((t) => [t.hash, t.taskWorkPath]));
  const view = progressView(mode, io, tracker, undefined, paths);
  const controller = new AbortController();
  const detach = values["exit-on-submit"] ?? false;
  const onEvent = (e: RunEvent) => {
    tracker.apply(e);
    view.onEvent(e);
  };
  /** Says the jobs keep running without this runner: every job submitted, or interrupted. */
  function detached(interrupted: boolean): number {
    const c = tracker.counts();
    // Under Slurm the queue window holds jobs back: those wait for the next run to submit them.
    const unsubmitted = tracker.unsubmitted();
    if (mode === "json") {
      io.out(
        JSON.stringify({ type: "detached", runId: plan.runId, ...c, unsubmitted, interrupted }),
      );
    } else {
      const later = unsubmitted > 0 ? `; ${unsubmitted} are not submitted yet` : "";
      io.out(
        `run ${plan.runId}: ${interrupted ? "interrupted" : "every job is submitted"}; ${
          c.queued + c.running
        } jobs keep running${later}. Run the same command again to collect the results, or cancel them: dpdisp cancel ${
          plan.runId.slice(0, 8)
        } --work-base ${plan.workBase}`,
      );
    }
    return interrupted ? 130 : 0;
  }
  const interrupt = () => controller.abort(new DOMException("Interrupted", "AbortError"));
  process.once("SIGINT", interrupt);
  const started = Date.now();
  try {
    const report = await builder.run({
      retryCount,
      until: detach ? "submitted" : "end",
      clean: values.clean ?? false,
      onEvent,
      signal: controller.signal,
    });
    view.stop();
    if (detach) return detached(false);
    const outcome = outcomeLines(report, plan, file);
    if (mode !== "json") {
      io.out(summary(report, started));
      for (const line of outcome) io.out(line);
    }
    return outcome.length === 0 ? 0 : 1;
  } catch (e) {
    view.stop();
    if (controller.signal.aborted) return detached(true);

    if (e instanceof RunError) {
      if (mode !== "json") {
        io.out(summary(e.report, started));
        for (const job of e.report.jobs.filter((j) => j.state === "failed")) {
          io.out(`  ${job.name} failed: ${job.reason ?? "no reason recorded"}`);
        }
        for (const line of outcomeLines(e.report, plan, file)) io.out(line);
      }
      return 1;
    }
    const code = fail(io, "submit", e);
    if (mode === "json") {
      const message = e instanceof Error ? e.message : String(e);
      io.out(JSON.stringify({ type: "error", runId: plan.runId, message, exitCode: code }));
    }
    return code;
  } finally {
    process.off("SIGINT", interrupt);
  }
}

async function dryRun(
  builder: ReturnType<typeof loadSubmissionFile>["builder"],
  file: string,
  mode: string,
  io: Io,
): Promise<number> {
  const report = await dryRunPlan(builder.toPlan(), builder.target);
  if (mode === "json") {
    io.out(JSON.stringify({ type: "dry-run", ...report }));
    return 0;
  }
  const staged = report.staged.files > 0
    ? `staged ${report.staged.files} files (${report.staged.bytes} bytes) and the job scripts`
    : "staged the job scripts";
  io.out(`run ${report.runId}: dry run, nothing submitted; ${staged} in ${report.runRoot}`);
  if (report.jobs.length === 0) {
    io.out("no job is due for submission (every job is submitted or done)");
    return 0;
  }
  io.out(`would submit ${report.jobs.length} jobs with one ${report.submitArgv[0]} command`);
  if (mode === "quiet") return 0;
  for (const job of report.jobs) {
    io.out(`  ${job.name}  ${job.tasks} tasks  attempt ${job.attempt}  ${job.script}`);
  }
  io.out(`submit them with: dpdisp submit ${file}`);
  return 0;
}

/** `dpdisp submit FILE`: run a dpdispatcher submission. */
export const submit: Command = {
  summary: "run a dpdispatcher submission (JSON or YAML) to the end; rerun to re-attach",
  help: HELP,
  run,
};
