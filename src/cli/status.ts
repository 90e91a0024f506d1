import { readdirSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { STATE_DIR } from "../layout.ts";
import type { JobReportState, RunReport } from "../runner/report.ts";
import { readRuns } from "../runner/runs.ts";
import { type Command, type Io, parse, UsageError } from "./_common.ts";
import { loadSubmissionFile } from "./_run_ref.ts";

const HELP = `dpdisp status: show every run recorded under a work base

Usage: dpdisp status [WORKBASE | FILE] [options]

Reads the journals under WORKBASE/.dpdispatcher without locking or contacting anything, and
prints one line per run and per job: its state (pending: not submitted yet; queued: in the
scheduler's queue, with the reason it gives; running; cancelled, finished, failed, dropped),
attempts, scheduler id, start time and reason. With a submission FILE (JSON or YAML), the run of
that file. Without an argument, the runs under "." and under each of its subdirectories that
holds a work base (a project directory with "work_base": "work/" finds work/).

Options:
  --tasks     also list every task with its state and exit code
  --json      print the reports as JSON
  -h, --help  print this help

Examples:
  dpdisp status
  dpdisp status submission.json
  dpdisp status work/ --tasks
  dpdisp status work/ --json | jq '.[0].jobs[] | select(.state == "failed")'`;

const STATES: readonly JobReportState[] = [
  "finished",
  "failed",
  "cancelled",
  "running",
  "queued",
  "pending",
  "dropped",
];

/** A time of day in UTC (`14:05:09`), or the date too when it is not today. */
function clock(ms: number): string {
  const iso = new Date(ms).toISOString();
  const today = new Date().toISOString().slice(0, 10) === iso.slice(0, 10);
  return today ? `${iso.slice(11, 19)} UTC` : `${iso.slice(0, 10)} ${iso.slice(11, 19)} UTC`;
}

/**
 * The lines that show one run: a head line, one line per job and, with `tasks`, per task
 * (with `exitCodes`, as just read from the execution side, instead of the journal's).
 */
export function runLines(
  run: RunReport,
  options: { tasks?: boolean; exitCodes?: readonly (number | null)[]; where?: string } = {},
): string[] {
  const count = (s: JobReportState) => run.jobs.filter((j) => j.state === s).length;
  const parts = STATES.filter((s) => count(s) > 0 || ["finished", "failed"].includes(s))
    .map((s) => `${count(s)} ${s}`);
  const done = run.tasks.filter((t) => t.state === "finished").length;
  const lines = [
    `run ${run.runId}${options.where ? ` (in ${options.where})` : ""}: ${run.jobs.length} jobs (${
      parts.join(", ")
    }), ${done}/${run.tasks.length} tasks done`,
  ];
  for (const job of run.jobs) {
    const why = job.pendingReason && job.pendingReason !== "None"
      ? `  waiting: ${job.pendingReason}`
      : "";
    const started = job.startedAt === undefined ? "" : `  started ${clock(job.startedAt)}`;
    lines.push(
      `  ${job.name}  ${job.state.padEnd(9)} attempts ${job.attempts}  id ${job.id ?? "-"}` +
        started + why + (job.reason ? `  ${job.reason}` : ""),
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
  const where = positionals[0];
  const runs = await findRuns(where, io);
  if (values.json) {
    io.out(JSON.stringify(runs, null, 2));
    return 0;
  }
  if (runs.length === 0) {
    io.out(
      where === undefined
        ? `No runs recorded under "." or its subdirectories (${resolve(".")})`
        : `No runs recorded under "${where}" (${resolve(where)})`,
    );
  }
  for (const r of runs) {
    for (const line of runLines(r, { tasks: values.tasks, where: r.where })) io.out(line);
  }
  return 0;
}

const isFile = (path: string) => statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;
function hasRuns(dir: string): boolean {
  try {
    return statSync(join(dir, STATE_DIR), { throwIfNoEntry: false })?.isDirectory() ?? false;
  } catch {
    return false; // ENOTDIR: a file
  }
}

/** Work bases at or one level under `dir` (a project directory holds its work base). */
function workBasesUnder(dir: string): string[] {
  const found = hasRuns(dir) ? [dir] : [];
  let names: string[] = [];
  try {
    names = readdirSync(dir).filter((n) => !n.startsWith(".") && n !== "node_modules").sort();
  } catch {
    return found;
  }
  for (const name of names) if (hasRuns(join(dir, name))) found.push(join(dir, name));
  return found;
}

/** A run found, with the work base it was found in when that is not the one named. */
type Found = RunReport & { readonly where?: string };

/** The runs a `status` argument names: a submission file's run, a work base, or a project. */
async function findRuns(where: string | undefined, io: Io): Promise<Found[]> {
  if (where !== undefined && isFile(where)) {
    const plan = loadSubmissionFile(where, false, io).builder.toPlan();
    const runs = await readRuns(plan.workBase);
    const mine = runs.filter((r) => r.runId === plan.runId);
    if (mine.length === 0) {
      throw new TypeError(
        `Invalid FILE: the run of "${where}" (${plan.runId}) was never submitted: nothing is recorded under "${
          resolve(plan.workBase)
        }"`,
      );
    }
    return mine;
  }
  if (where !== undefined) return await readRuns(where);
  const runs: Found[] = [];
  for (const base of workBasesUnder(".")) {
    const label = relative(".", base) || ".";
    for (const r of await readRuns(base)) runs.push(label === "." ? r : { ...r, where: label });
  }
  return runs;
}

/** `dpdisp status [WORKBASE | FILE]`: show the recorded runs. */
export const status: Command = {
  summary: "show the runs recorded under a work base: jobs, states, reasons",
  help: HELP,
  run,
};
