import type { MarkedOutput } from "../../../shell/marker_output.ts";
import { LSF_STATES } from "../lsf/codes.ts";
import type { SchedulerStatus } from "../scheduler.ts";
import { DAEMON_DOWN } from "./codes.ts";

/** What one `jjobs` printed: each job's state by id, and the ids or names it did not find. */
export interface JjobsAnswer {
  /** `STAT` of every row, by job id, in order. */
  readonly stats: ReadonlyMap<string, string>;
  /** Ids or names of `Job <x> is not found` lines. */
  readonly notFound: ReadonlySet<string>;
}

const NOT_FOUND = /^Job <([^>]+)> is not found/;
const NO_JOBS = /^No ((unfinished|matching|DONE\/EXIT) )?job found/;

/**
 * Reads one `jjobs` table captured with its stderr (`2>&1`): its header (`JOBID USER STAT ...`),
 * one row per job whose first three columns are the id, the user and the state (dpdispatcher
 * reads the third word of the second line), `Job <id> is not found` lines and LSF's `No job
 * found` (rc 255). Throws
 * when the answer cannot be trusted: cut off, rows without the header, or a failing exit code
 * with lines that are no "not found" (the daemon did not answer, an unknown option).
 *
 * @example
 * ```ts
 * import { readJjobs } from "./parse.ts";
 *
 * const answer = readJjobs({
 *   lines: ["Job <7> is not found", "JOBID   USER    STAT  QUEUE", "6       ann     RUN   gpu"],
 *   code: 255,
 * }, "read the job status");
 * console.log(answer.stats.get("6"), [...answer.notFound]); // "RUN" ["7"]
 * ```
 */
export function readJjobs(section: MarkedOutput | undefined, what: string): JjobsAnswer {
  if (!section) throw new Error(`Cannot ${what}: jjobs gave no answer`);
  if (section.code === undefined) throw new Error(`Cannot ${what}: jjobs's answer was cut off`);
  const stats = new Map<string, string>();
  const notFound = new Set<string>();
  const others: string[] = [];
  let header = false;
  let none = false;
  for (const line of section.lines) {
    const missing = NOT_FOUND.exec(line);
    const words = line.split(/\s+/);
    if (missing) notFound.add(missing[1]);
    else if (/^JOBID\s+USER\s+STAT\b/.test(line)) header = true;
    else if (header && /^\d+(\[\d+\])?$/.test(words[0]) && words.length >= 3) {
      const id = words[0].replace(/\[\d+\]$/, "");
      if (!stats.has(id)) stats.set(id, words[2]);
    } else if (NO_JOBS.test(line)) none = true;
    else others.push(line);
  }
  if (others.length > 0 && (section.code !== 0 || !header)) {
    const down = others.some((l) => DAEMON_DOWN.some((re) => re.test(l)));
    throw new Error(
      `Cannot ${what}: ${down ? "JH UniScheduler's daemon did not answer: " : ""}jjobs exited ` +
        `with code ${section.code}: ${others.join(" ")}`,
    );
  }
  if (section.code !== 0 && notFound.size === 0 && !none) {
    throw new Error(`Cannot ${what}: jjobs exited with code ${section.code} and printed no jobs`);
  }
  return { stats, notFound };
}

/**
 * What a job's `STAT` means here: JH's states are LSF's (see `LSF_STATES`). `DONE` is a normal
 * end; `EXIT` is an end whose cause `jjobs` does not print: the end file decides (a failed task
 * is `exit`; a job killed by a time limit or by `jctrl kill` wrote no end file and is `lost`).
 * A state this version does not know counts as running.
 *
 * @example
 * ```ts
 * import { jhStatus } from "./parse.ts";
 *
 * console.log(jhStatus("PEND"), jhStatus("EXIT"));
 * // { state: "pending", reason: "waiting in the queue to be scheduled" } { state: "gone", reason: "exited (JH UniScheduler state EXIT)" }
 * ```
 */
export function jhStatus(stat: string): SchedulerStatus {
  const known = LSF_STATES[stat];
  if (!known) {
    return { state: "running", reason: `in JH UniScheduler state "${stat}", unknown here` };
  }
  // LSF's words name LSF's commands (bresume): JH's own are not known here.
  const words = known.words?.replace(/ \(bresume [^)]*\)/, "");
  if (known.state === "pending") {
    return { state: "pending", reason: words ?? "waiting in the queue to be scheduled" };
  }
  if (known.state === "running") {
    return words ? { state: "running", reason: words } : { state: "running" };
  }
  return stat === "EXIT"
    ? { state: "gone", reason: "exited (JH UniScheduler state EXIT)" }
    : { state: "gone" };
}
