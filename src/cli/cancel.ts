import { cancelPlan } from "../runner/cancel.ts";
import { type Command, type Io, parse } from "./_common.ts";
import { RUN_HELP, RUN_OPTIONS, runArgument } from "./_run_ref.ts";

const HELP = `dpdisp cancel: cancel the queued and running jobs of a run

Usage: dpdisp cancel RUN [options]

Cancels every job of the run that is still queued or running with one scheduler command
(\`scancel a b c\`; Shell: one kill for all process groups) and journals it, so
\`dpdisp status\` shows them cancelled. Tasks that finished before keep their results.
Submitting the same file again resubmits what did not finish (a cancel is not charged to the
retry budget). Refused while a runner drives the run: stop it first (Ctrl-C detaches it).

${RUN_HELP}

Options:
  -w, --work-base DIR  where to look for a run id (default ".")
  --strict             with a submission file: unknown keys are errors
  --json               print {"runId", "cancelled"} as JSON
  -h, --help           print this help

Exit codes: 0 cancelled (or nothing left to cancel), 1 the scheduler refused, 2 bad input.

Examples:
  dpdisp cancel submission.json
  dpdisp cancel 3f2a9c --work-base work/
  dpdisp cancel work/`;

async function run(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse("cancel", args, RUN_OPTIONS);
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const { plan, target } = runArgument("cancel", positionals, values, io);
  const cancelled = await cancelPlan(plan, target);
  if (values.json) io.out(JSON.stringify({ runId: plan.runId, cancelled }));
  else if (cancelled === 0) io.out(`run ${plan.runId}: no job is queued or running`);
  else {
    io.out(
      `run ${plan.runId}: cancelled ${cancelled} jobs with one ${target.executor.record.scheduler} command; submit the same file again to resubmit them`,
    );
  }
  return 0;
}

/** `dpdisp cancel RUN`: cancel a run's live jobs. */
export const cancel: Command = {
  summary: "cancel the queued and running jobs of a run (one scheduler command)",
  help: HELP,
  run,
};
