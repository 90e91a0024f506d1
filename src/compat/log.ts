import type { RunEvent } from "../runner/events.ts";

/** Where `Submission.runSubmission()` writes dpdispatcher's log lines. */
export type LogSink = (line: string) => void;

/** Python logging's `asctime`: `2026-12-01 23:59:01,042` (local time). */
function asctime(at: Date): string {
  const p = (n: number, w = 2) => String(n).padStart(w, "0");
  return `${at.getFullYear()}-${p(at.getMonth() + 1)}-${p(at.getDate())} ${p(at.getHours())}:${
    p(at.getMinutes())
  }:${p(at.getSeconds())},${p(at.getMilliseconds(), 3)}`;
}

/**
 * A run event as the line dpdispatcher's logger would write for the same step
 * (`%(asctime)s - %(levelname)s : %(message)s`), or undefined for events it does not log.
 * `ids` remembers each job's scheduler id, as dpdispatcher's messages name it.
 *
 * @example
 * ```ts
 * import { dpdispatcherLogLine } from "./log.ts";
 *
 * const ids = new Map<string, string>();
 * dpdispatcherLogLine({ type: "job:submitted", job: "3f2a", name: "dpd-3f2a", attempt: 0, id: "101", recovered: false }, ids);
 * // "2026-12-01 10:00:00,000 - INFO : job 3f2a was submitted; job_id is 101"
 * ```
 */
export function dpdispatcherLogLine(
  e: RunEvent,
  ids: Map<string, string>,
  at: Date = new Date(),
): string | undefined {
  const line = (level: string, message: string) => `${asctime(at)} - ${level} : ${message}`;
  switch (e.type) {
    case "run:start":
      return line(
        "INFO",
        `submission ${e.runId}: ${e.tasks} tasks in ${e.jobs} jobs${
          e.resumed ? " (recovered)" : ""
        }`,
      );
    case "job:submitted":
      ids.set(e.job, e.id);
      return line(
        "INFO",
        e.recovered
          ? `job ${e.job} was found submitted; job_id is ${e.id}`
          : e.attempt === 0
          ? `job ${e.job} was submitted; job_id is ${e.id}`
          : `job ${e.job} re-submit after terminated; new job_id is ${e.id}`,
      );
    case "job:retry":
      return line(
        "INFO",
        `job ${e.job} ${
          ids.get(e.job) ?? ""
        } terminated; fail_count is ${e.attempt}; resubmitting job${
          e.reason ? ` (${e.reason})` : ""
        }`,
      );
    case "job:final":
      if (e.state === "failed") {
        return line(
          "ERROR",
          `job ${e.job} ${ids.get(e.job) ?? ""} failed: ${e.reason ?? "failed"}`,
        );
      }
      return line("INFO", `job ${e.job} ${e.state}`);
    case "job:collected": {
      const missing = Object.values(e.missing).flat();
      return missing.length > 0
        ? line("WARNING", `job ${e.job}: cannot find download file ${missing.join(", ")}`)
        : undefined;
    }
    case "warning":
      return line("WARNING", e.message);
    case "run:end":
      return line(
        e.report.ok ? "INFO" : "ERROR",
        `${e.report.ok ? "submission succeeded" : "submission exit"}: ${e.report.runId}`,
      );
    default:
      return undefined;
  }
}
