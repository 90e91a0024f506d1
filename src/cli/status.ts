import type { JobReportState, RunReport } from "../runner/report.ts";
import { readRuns } from "../runner/runs.ts";
import { type Command, type Io, parse, UsageError } from "./_common.ts";

const HELP = `dpdisp status: show every run recorded under a work base

Usage: dpdisp status [WORKBASE] [options]

Reads the journals under WORKBASE/.dpdispatcher (default WORKBASE: ".") without locking or
contacting anything, and prints one line per run and per job: its state (pending, running,
cancelled, finished, failed, dropped), attempts, scheduler id and reason.

Options:
  --tasks     also list every task with its state and exit code
  --json      print the reports as JSON
  -h, --help  print this help

Examples:
  dpdisp status
  dpdisp status work/ --tasks
  dpdisp status work/ --json | jq '.[0].jobs[] | select(.state == "failed")'`;

const STATES: readonly JobReportState[] = [
  "finished",
  "failed",
  "cancelled",
  "running",
  "pending",
  "dropped",
];

/**
 * The lines that show one run: a head line, one line per job and, with `tasks`, per task
 * (with `exitCodes`, as just read from the execution side, instead of the journal's).
 */
export function runLines(
  run: RunReport,
  options: { tasks?: boolean; exitCodes?: readonly (number | null)[] } = {},
): string[] {
  const count = (s: JobReportState) => run.jobs.filter((j) => j.state === s).length;
  const parts = STATES.filter((s) => count(s) > 0 || ["finished", "failed"].includes(s))
    .map((s) => `${count(s)} ${s}`);
  const done = run.tasks.filter((t) => t.state === "finished").length;
  const lines = [
    `run ${run.runId}: ${run.jobs.length} jobs (${
      parts.join(", ")
    }), ${done}/${run.tasks.length} tasks done`,
  ];
  for (const job of run.jobs) {
    lines.push(
      `  ${job.name}  ${job.state.padEnd(9)} attempts ${job.attempts}  id ${job.id ?? "-"}` +
        (job.reason ? `  ${job.reason}` : ""),
    );
  }
  if (options.tasks) {
    for (const t of run.tasks) {
      const exit = options.exitCodes?.[t.index] ?? t.exitCode;
      const code = exit === undefined || exit === null ? "-" : String(exit);
      const missing = t.missing.length > 0 ? `  missing ${t.missing.join(", ")}` : "";
      lines.push(
        `    task ${t.index}  ${t.state.padEnd(9)} exit ${code}  ${t.taskWorkPath}${missing}`,
      );
    }
  }
  return lines;
}

async function run(args: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse("status", args, {
    json: { type: "boolean" },
    tasks: { type: "boolean" },
  });
  if (values.help) {
    io.out(HELP);
    return 0;
  }
  if (positionals.length > 1) {
    throw new UsageError(`Unexpected argument "${positionals[1]}"; see dpdisp status --help`);
  }
  const workBase = positionals[0] ?? ".";
  const runs = await readRuns(workBase);
  if (values.json) {
    io.out(JSON.stringify(runs, null, 2));
    return 0;
  }
  if (runs.length === 0) io.out(`No runs recorded under "${workBase}"`);
  for (const r of runs) for (const line of runLines(r, { tasks: values.tasks })) io.out(line);
  return 0;
}

/** `dpdisp status [WORKBASE]`: show the recorded runs. */
export const status: Command = {
  summary: "show the runs recorded under a work base: jobs, states, reasons",
  help: HELP,
  run,
};
