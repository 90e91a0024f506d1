import type { RunReport } from "./report.ts";

/**
 * A run ended with failed jobs. Thrown by `run()` (unless `throwOnFailure: false`) after every
 * result that did finish was collected; the report says which tasks failed and why.
 *
 * @example Handle a failed run
 * ```ts
 * import { dispatch, RunError, task } from "@deepmodeling/dpdispatcher";
 *
 * try {
 *   await dispatch({ workBase: "work" })
 *     .tasks(task({ command: "exit 3", taskWorkPath: "t0" }))
 *     .run({ retryCount: 0 });
 * } catch (error) {
 *   if (!(error instanceof RunError)) throw error;
 *   for (const job of error.report.jobs) console.log(job.name, job.state, job.reason);
 * }
 * ```
 */
export class RunError extends Error {
  /** The run's report: per job and per task states, exit codes and reasons. */
  readonly report: RunReport;

  /** Builds the error from a finished run's report. */
  constructor(report: RunReport, options?: ErrorOptions) {
    const failed = report.jobs.filter((job) => job.state !== "finished");
    const first = failed[0];
    const why = first ? `; first: job "${first.name}" ${first.reason ?? first.state}` : "";
    super(
      `Run "${report.runId}" ended with ${failed.length} of ${report.jobs.length} jobs failed${why}`,
      options,
    );
    this.name = "RunError";
    this.report = report;
  }
}
