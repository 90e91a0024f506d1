/**
 * The `dpdisp` command line. The only part of the package that prints.
 *
 * @module
 */
import { readRuns } from "../state/status.ts";
import denoJson from "../../deno.json" with { type: "json" };

const HELP =
  `dpdisp ${denoJson.version}: send batches of tasks to HPC clusters and bring the results home

Usage:
  dpdisp status [WORKBASE] [--json]   show every run recorded under WORKBASE (default ".")
  dpdisp --version                    print the version
  dpdisp --help                       print this help

Examples:
  dpdisp status work/
  dpdisp status --json | jq '.[0].jobs'
`;

/** Runs the CLI with the given arguments; returns the process exit code. */
export async function main(
  args: readonly string[],
  out: (line: string) => void = console.log,
): Promise<number> {
  const [command, ...rest] = args;
  if (command === undefined || command === "--help" || command === "-h" || command === "help") {
    out(HELP);
    return 0;
  }
  if (command === "--version" || command === "-V") {
    out(denoJson.version);
    return 0;
  }
  if (command === "status") {
    const json = rest.includes("--json");
    const workBase = rest.find((a) => !a.startsWith("-")) ?? ".";
    const runs = await readRuns(workBase);
    if (json) {
      out(JSON.stringify(runs, null, 2));
      return 0;
    }
    if (runs.length === 0) out(`No runs recorded under "${workBase}"`);
    for (const run of runs) {
      const count = (s: string) => run.jobs.filter((j) => j.state === s).length;
      out(
        `run ${run.runId}: ${run.jobs.length} jobs (${count("finished")} finished, ${
          count("failed")
        } failed, ` +
          `${count("running")} running, ${count("pending")} pending), ${run.tasks.length} tasks`,
      );
      for (const job of run.jobs) {
        out(
          `  ${job.name}  ${job.state.padEnd(8)} attempts ${job.attempts}  id ${job.id ?? "-"}` +
            (job.reason ? `  ${job.reason}` : ""),
        );
      }
    }
    return 0;
  }
  console.error(`dpdisp: unknown command "${command}"; see dpdisp --help`);
  return 2;
}

if (import.meta.main) {
  const process = await import("node:process");
  process.exit(await main(process.argv.slice(2)));
}
