import { postMortem, type PostMortemReport } from "../runner/post_mortem.ts";
import { readRuns } from "../runner/runs.ts";
import { type Command, type Io, parse } from "./_common.ts";
import { RUN_HELP, RUN_OPTIONS, runArgument } from "./_run_ref.ts";
import { runLines } from "./status.ts";

const HELP = `dpdisp submission: post-mortem of a run, as dpdispatcher's \`dpdisp submission\`

Usage: dpdisp submission RUN [options]

Shows the run's jobs and tasks. With an action, first reads every task's exit code from the
execution side, then, in this order: resets fail counts, downloads the logs of failed tasks,
downloads the results of finished tasks, cleans the remote copy. Every change is journaled.
Refused while a runner drives the run: stop it first (Ctrl-C detaches it).

${RUN_HELP}

Actions:
  --reset-fail-count         give every failed job its full retry budget again: the next
                             \`dpdisp submit FILE\` retries it instead of reporting it failed
  --download-terminated-log  bring home outlog and errlog of every task that exited non-zero
  --download-finished-task   bring home the backward files of every task that exited 0
  --clean                    remove the run's remote copy (in place: its job scripts);
                             refused while jobs may be queued or running (dpdisp cancel RUN)

Options:
  -w, --work-base DIR  where to look for a run id (default ".")
  --strict             with a submission file: unknown keys are errors
  --json               print {"run": report, "postMortem": ...} as JSON
  -h, --help           print this help

Exit codes: 0 done, 1 an action failed (a locked run, a failed transfer), 2 bad input.

Examples:
  dpdisp submission 3f2a9c --work-base work/
  dpdisp submission submission.json --download-terminated-log
  dpdisp submission work/ --reset-fail-count && dpdisp submit submission.json
  dpdisp submission 3f2a9c -w work/ --download-finished-task --clean`;

const ACTIONS = {
  "reset-fail-count": { type: "boolean" },
  "download-terminated-log": { type: "boolean" },
  "download-finished-task": { type: "boolean" },
  clean: { type: "boolean" },
} as const;

function actionLines(r: PostMortemReport): string[] {
  const lines: string[] = [];
  if (r.reset.length > 0) lines.push(`reset the fail count of ${r.reset.length} jobs`);
  if (r.logs.length > 0) {
    lines.push(`downloaded ${r.logs.length} log files:`, ...r.logs.map((l) => `  ${l}`));
  }
  if (r.finished.tasks > 0) {
    lines.push(
      `downloaded the results of ${r.finished.tasks} finished tasks (${r.finished.files} files)`,
    );
    for (const m of r.finished.missing) lines.push(`  no match for "${m}"`);
  }
  if (r.cleaned) lines.push(`removed ${r.cleaned}`);
  return lines.length > 0 ? lines : ["nothing to do"];
}

async function run(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse("submission", args, { ...ACTIONS, ...RUN_OPTIONS });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  const { plan, target } = runArgument("submission", positionals, values, io);
  const acting = Object.keys(ACTIONS).some((a) => values[a as keyof typeof ACTIONS]);
  const done = acting
    ? await postMortem(plan, target, {
      resetFailCount: values["reset-fail-count"],
      downloadTerminatedLog: values["download-terminated-log"],
      downloadFinishedTask: values["download-finished-task"],
      clean: values.clean,
    })
    : undefined;
  const report = (await readRuns(plan.workBase)).find((r) => r.runId === plan.runId)!;
  if (values.json) {
    io.out(JSON.stringify({ run: report, postMortem: done }, null, 2));
    return 0;
  }
  for (const line of runLines(report, { tasks: true, exitCodes: done?.exitCodes })) io.out(line);
  if (done) { for (const line of actionLines(done)) io.out(line); }
  return 0;
}

/** `dpdisp submission RUN`: post-mortem of a run. */
export const submission: Command = {
  summary: "post-mortem of a run: show it, fetch logs and results, clean, reset fail counts",
  help: HELP,
  run,
};
