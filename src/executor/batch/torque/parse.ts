import type { MarkedOutput } from "../../../shell/marker_output.ts";
import type { SchedulerStatus } from "../scheduler.ts";
import { pendingWords, TORQUE_STATES, torqueFailure } from "./codes.ts";

/** One job of `qstat -f -1`: its id, and its attributes by name. */
export interface QstatJob {
  /** The `Job Id:` as printed: `1234.server` (real Torque) or `834` (the Slurm wrappers). */
  readonly id: string;
  /** `Job_Name`, in full (the default table cuts it to 16 characters). */
  readonly name: string;
  /** Every `attr = value` line (`job_state`, `exit_status`, ...). */
  readonly attrs: ReadonlyMap<string, string>;
}

/** A readable `qstat -f -1` answer: the jobs it lists, and the ids it says it does not know. */
export interface QstatAnswer {
  /** The jobs listed, in order. */
  readonly jobs: readonly QstatJob[];
  /** Ids named by `qstat: Unknown Job Id Error <id>` (real Torque, rc 153). */
  readonly unknown: readonly string[];
}

const UNKNOWN = /^qstat: Unknown Job Id(?: Error)? (\S+)$/;

/**
 * Reads what `qstat -f -1` printed, stdout and stderr together (trimmed lines, as the marker
 * protocol keeps them): `Job Id: <id>` (a space on real Torque, a tab on the Slurm wrappers),
 * then `attr = value` lines (indented by 4 spaces or a tab). rc 0, or rc 153 (PBSE_UNKJOBID &
 * 0xff) with only `Unknown Job Id` lines besides the jobs, or rc 153 with nothing at all (the
 * wrappers when none of the ids is known, or no job at all), is readable. Anything else throws:
 * an unreachable server (`qstat: cannot connect to server ...`; the wrappers' `Problem loading
 * jobs.`, rc 8), a cut-off answer, an unknown line.
 *
 * @example
 * ```ts
 * import { parseQstatFull } from "./parse.ts";
 *
 * const out = { lines: ["Job Id: 7.srv", "Job_Name = dpd-a-0", "job_state = R"], code: 0 };
 * console.log(parseQstatFull(out).jobs[0].attrs.get("job_state")); // "R"
 * ```
 */
export function parseQstatFull(section: MarkedOutput | undefined): QstatAnswer {
  if (!section) throw new Error("no qstat answer");
  if (section.code === undefined) throw new Error("qstat's answer was cut off");
  const text = () => section.lines.join(" ").slice(0, 300);
  if (section.code !== 0 && section.code !== 153) {
    throw new Error(`qstat exited with code ${section.code}: ${text() || "no output"}`);
  }
  const jobs: { id: string; name: string; attrs: Map<string, string> }[] = [];
  const unknown: string[] = [];
  let current: (typeof jobs)[number] | undefined;
  for (const line of section.lines) {
    const start = /^Job Id:\s*(\S+)$/.exec(line);
    if (start) {
      jobs.push(current = { id: start[1], name: "", attrs: new Map() });
      continue;
    }
    const attr = /^([A-Za-z_][\w.]*) = (.*)$/.exec(line);
    if (attr && current) {
      current.attrs.set(attr[1], attr[2]);
      if (attr[1] === "Job_Name") current.name = attr[2];
      continue;
    }
    const missing = UNKNOWN.exec(line);
    if (missing) {
      unknown.push(missing[1]);
      current = undefined;
      continue;
    }
    throw new Error(`qstat printed a line it should not: ${line.slice(0, 200)}`);
  }
  if (section.code === 153 && jobs.length > 0 && unknown.length === 0) {
    throw new Error(`qstat exited with code 153 but named no unknown job: ${text()}`);
  }
  return { jobs, unknown };
}

/** The sequence number of a Torque id: `1234` of `1234.server` and of `1234[].server`. */
export const sequenceOf = (id: string): string => /^(\d+)/.exec(id)?.[1] ?? id;

/**
 * What one listed job's attributes say: pending (with why), running, or gone (with how it
 * ended when `exit_status` tells: see {@linkcode torqueFailure}).
 *
 * @example
 * ```ts
 * import { statusOf } from "./parse.ts";
 *
 * console.log(statusOf(new Map([["job_state", "C"], ["exit_status", "-11"]])));
 * // { state: "gone", failure: "timeout", reason: "exit_status -11: walltime limit exceeded" }
 * ```
 */
export function statusOf(attrs: ReadonlyMap<string, string>): SchedulerStatus {
  const letter = attrs.get("job_state") ?? "";
  const known = TORQUE_STATES[letter];
  if (!known) throw new Error(`qstat printed an unknown job_state "${letter}"`);
  if (known.state === "pending") return { state: "pending", reason: pendingWords(letter) };
  if (known.state === "running") return { state: "running" };
  if (letter === "U") return { state: "gone", failure: "oom", reason: known.words };
  const exit = attrs.get("exit_status");
  // The Slurm wrappers print no exit_status: the end file (or its absence) decides.
  if (exit === undefined || !/^-?\d+$/.test(exit.trim())) return { state: "gone" };
  const { failure, words } = torqueFailure(Number(exit));
  return {
    state: "gone",
    ...(failure ? { failure } : {}),
    ...(words ? { reason: words } : {}),
  };
}

/**
 * The status of each asked job in a readable answer: found by its full id, else by its
 * sequence number (real Torque may print the server's name otherwise than qsub did); a job
 * not listed (unknown, or purged after `keep_completed` or Slurm's MinJobAge) is plain gone.
 *
 * @example
 * ```ts
 * import { statusesOf } from "./parse.ts";
 *
 * const answer = { jobs: [{ id: "7.srv.example.org", name: "a", attrs: new Map([["job_state", "Q"]]) }], unknown: [] };
 * console.log(statusesOf(answer, ["7.srv", "8.srv"]).get("8.srv")); // { state: "gone" }
 * ```
 */
export function statusesOf(
  answer: QstatAnswer,
  ids: readonly string[],
): Map<string, SchedulerStatus> {
  const exact = new Map(answer.jobs.map((j) => [j.id, j]));
  const bySequence = new Map(answer.jobs.map((j) => [sequenceOf(j.id), j]));
  return new Map(ids.map((id) => {
    const job = exact.get(id) ?? bySequence.get(sequenceOf(id));
    return [id, job ? statusOf(job.attrs) : { state: "gone" }];
  }));
}
