/**
 * The `dpdisp` command line. The only part of the package that prints.
 *
 * @module
 */
import { readRuns } from "../state/status.ts";
import { loadSubmission, readJsonFile } from "../compat/load.ts";
import { RunError } from "../errors.ts";
import type { RunEvent } from "../runner/events.ts";
import denoJson from "../../deno.json" with { type: "json" };

const HELP =
  `dpdisp ${denoJson.version}: send batches of tasks to HPC clusters and bring the results home

Usage:
  dpdisp submit FILE.json [--exit-on-submit] [--clean] [--strict] [--json]
                                      run a dpdispatcher submission (machine, resources,
                                      task_list, ...) to the end; rerun it to re-attach
  dpdisp render FILE.json             print the job scripts, touching nothing
  dpdisp status [WORKBASE] [--json]   show every run recorded under WORKBASE (default ".")
  dpdisp --version                    print the version
  dpdisp --help                       print this help

Exit codes: 0 every job finished, 1 some job failed, 2 bad input.

Examples:
  dpdisp submit submission.json
  dpdisp submit submission.json --exit-on-submit   # submit, leave the jobs running, exit
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
  if (command === "submit" || command === "render") {
    const file = rest.find((a) => !a.startsWith("-"));
    if (!file) {
      console.error(`dpdisp ${command}: missing FILE.json; see dpdisp --help`);
      return 2;
    }
    let loaded;
    try {
      const { value, dir } = readJsonFile(file);
      loaded = loadSubmission(value, {
        strict: rest.includes("--strict"),
        baseDir: dir,
        onWarning: (w) => console.error(`warning: ${w}`),
      });
      if (command === "render") {
        for (const job of loaded.builder.render()) out(`# ${job.path}\n${job.script}`);
        return 0;
      }
      loaded.builder.toPlan();
    } catch (e) {
      console.error(`dpdisp ${command}: ${(e as Error).message}`);
      return 2;
    }
    return await submit(loaded.builder, loaded.retryCount, rest, out);
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

async function submit(
  builder: ReturnType<typeof loadSubmission>["builder"],
  retryCount: number,
  flags: readonly string[],
  out: (line: string) => void,
): Promise<number> {
  const json = flags.includes("--json");
  const jobs = builder.toPlan().jobs.length;
  const controller = new AbortController();
  let submitted = 0;
  const onEvent = (e: RunEvent) => {
    if (json) out(JSON.stringify(e.type === "run:end" ? { type: e.type, ok: e.report.ok } : e));
    else if (e.type === "run:start") {
      out(`run ${e.runId}: ${e.tasks} tasks in ${e.jobs} jobs${e.resumed ? " (re-attached)" : ""}`);
    } else if (e.type === "job:final") {
      out(`  ${e.name} ${e.state}${e.reason ? `: ${e.reason}` : ""}`);
    } else if (e.type === "warning") console.error(`warning: ${e.message}`);
    if (e.type === "job:submitted" && ++submitted === jobs && flags.includes("--exit-on-submit")) {
      controller.abort();
    }
  };
  try {
    const report = await builder.run({
      retryCount,
      clean: flags.includes("--clean"),
      onEvent,
      signal: controller.signal,
    });
    if (!json) out(`all ${report.jobs.length} jobs finished; journal: ${report.journal}`);
    return 0;
  } catch (e) {
    if (controller.signal.aborted) {
      if (!json) {
        out(
          `submitted ${jobs} jobs; they keep running: run the same command again to collect the results`,
        );
      }
      return 0;
    }
    if (e instanceof RunError) {
      if (!json) out(e.message);
      return 1;
    }
    console.error(`dpdisp submit: ${(e as Error).message}`);
    return e instanceof TypeError ? 2 : 1;
  }
}

if (import.meta.main) {
  const process = await import("node:process");
  process.exit(await main(process.argv.slice(2)));
}
