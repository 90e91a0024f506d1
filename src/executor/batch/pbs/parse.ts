import type { MarkedOutput } from "../../../shell/marker_output.ts";
import type { SchedulerStatus } from "../scheduler.ts";
import { PBS_STATES, pbsEnded } from "./codes.ts";

/**
 * One job's attributes as `qstat -f -F json` prints them (the ones read here).
 *
 * @example
 * ```ts
 * import type { PbsAttributes } from "./parse.ts";
 *
 * const done: PbsAttributes = { job_state: "F", Exit_status: 0, substate: 92 };
 * ```
 */
export interface PbsAttributes {
  /** The state letter: `Q`, `R`, `F`, ... */
  readonly job_state?: unknown;
  /** A number in JSON (a string from some printers). */
  readonly Exit_status?: unknown;
  /** The scheduler's or server's note: why it waits, how it ended. */
  readonly comment?: unknown;
  /** 91 terminated, 92 finished, 93 failed, for history jobs. */
  readonly substate?: unknown;
  /** Every other attribute. */
  readonly [name: string]: unknown;
}

/**
 * The key two spellings of one PBS job id share: the sequence number, `[]` for an array (and
 * its subjobs, `1234[3]`), and the first label of the server name. qstat's table cuts the
 * server to its first label; `Jobs` keys and qsub print it in full.
 *
 * @example
 * ```ts
 * import { pbsIdKey } from "./parse.ts";
 *
 * console.log(pbsIdKey("1234[2].pbs01.example.com")); // { key: "1234[].pbs01", subjob: true }
 * ```
 */
export function pbsIdKey(id: string): { key: string; subjob: boolean } {
  const m = /^(\d+)(\[(\d*)\])?(?:\.([^.\s]+)\S*)?$/.exec(id.trim());
  if (!m) return { key: id, subjob: false };
  return { key: `${m[1]}${m[2] ? "[]" : ""}.${m[4] ?? ""}`, subjob: Boolean(m[3]) };
}

/**
 * The `Jobs` of a pretty-printed document read line by line, for a document JSON.parse refuses
 * (an old printer's bad escape in one value must not hide every job): job ids and their
 * top-level `"name":value` lines; nested objects are skipped.
 */
function scanJobs(lines: readonly string[]): Record<string, PbsAttributes> | undefined {
  const jobs: Record<string, Record<string, unknown>> = {};
  const stack: string[] = [];
  let job: Record<string, unknown> | undefined;
  for (const line of lines) {
    const open = /^(?:"((?:[^"\\]|\\.)*)"\s*:\s*)?\{$/.exec(line);
    if (open) {
      stack.push(open[1] ?? "");
      if (stack.length === 3 && stack[1] === "Jobs") job = jobs[open[1]] = {};
      continue;
    }
    if (/^\}\s*,?$/.test(line)) {
      if (stack.pop() === undefined) return undefined;
      if (stack.length < 3) job = undefined;
      continue;
    }
    const field = /^"([^"]+)"\s*:\s*(.*?)\s*,?$/.exec(line);
    if (job && stack.length === 3 && field) {
      const raw = field[2];
      job[field[1]] = raw.startsWith('"') ? raw.replace(/^"|"$/g, "") : Number(raw);
    }
  }
  return stack.length === 0 && Object.keys(jobs).length > 0 ? jobs : undefined;
}

/**
 * Reads the JSON document of `qstat -f -F json [-x]`: its `Jobs` by full id (none when the
 * document has no `Jobs` key: no job matched). Throws unless the lines are one whole document.
 *
 * @example
 * ```ts
 * import { parsePbsJson } from "./parse.ts";
 *
 * const doc = ['{"timestamp":1, "pbs_version":"23.06.06", "pbs_server":"s",', '"Jobs":{"7.s":{"job_state":"R"}}}'];
 * console.log(parsePbsJson(doc)["7.s"].job_state); // "R"
 * ```
 */
export function parsePbsJson(lines: readonly string[]): Record<string, PbsAttributes> {
  const text = lines.join("\n");
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    const scanned = /^\{/.test(text) && /\}$/.test(text) ? scanJobs(lines) : undefined;
    if (scanned) return scanned;
    throw new Error(`qstat printed no readable JSON document (${e}): ${text.slice(0, 300)}`);
  }
  const ok = typeof doc === "object" && doc !== null && !Array.isArray(doc) &&
    ("pbs_server" in doc || "pbs_version" in doc || "timestamp" in doc || "Jobs" in doc);
  if (!ok) throw new Error(`qstat printed JSON that is no job list: ${text.slice(0, 300)}`);
  const jobs = (doc as { Jobs?: unknown }).Jobs ?? {};
  if (typeof jobs !== "object" || jobs === null) throw new Error("qstat's Jobs is no object");
  return jobs as Record<string, PbsAttributes>;
}

const text = (v: unknown) => (typeof v === "string" ? v.trim() : "");
const int = (v: unknown) => {
  const n = typeof v === "number" ? v : typeof v === "string" && v.trim() ? Number(v) : NaN;
  return Number.isInteger(n) ? n : undefined;
};

/**
 * The status of one job (or subjob) from its attributes: a live state with its reason
 * (the `comment` after the state's words), or gone with how it ended ({@linkcode pbsEnded}).
 *
 * @example
 * ```ts
 * import { pbsStatus } from "./parse.ts";
 *
 * const job = { job_state: "F", Exit_status: -29, comment: "Job run at Mon Jan 24 at 08:39 on (n1:ncpus=1) and exceeded resource walltime" };
 * console.log(pbsStatus(job).failure); // "timeout"
 * ```
 */
export function pbsStatus(job: PbsAttributes): SchedulerStatus {
  const letter = text(job.job_state);
  const comment = text(job.comment);
  const known = PBS_STATES[letter];
  if (!known) {
    // A letter this table lacks: still held by the server, as far as anyone can tell.
    return { state: "pending", reason: `in job_state ${JSON.stringify(letter)}` };
  }
  if (known.state === "pending") {
    return { state: "pending", reason: comment ? `${known.words}: ${comment}` : known.words };
  }
  if (known.state === "running") {
    return letter === "R" || letter === "B" ? { state: "running" } : {
      state: "running",
      reason: known.words,
    };
  }
  if (letter === "M") return { state: "gone", reason: comment || known.words };
  const { failure, words } = pbsEnded(int(job.Exit_status), comment, int(job.substate));
  const reason = [words, failure || words ? comment : ""].filter(Boolean).join("; ");
  return { state: "gone", ...(failure ? { failure } : {}), ...(reason ? { reason } : {}) };
}

const RANK = { running: 3, pending: 2, gone: 1 } as const;
const WORST = ["timeout", "oom", "node_fail", "preempted", "cancelled", "exit"];
const badness = (s: SchedulerStatus) =>
  s.failure ? WORST.length - WORST.indexOf(s.failure) : s.reason ? 0.5 : 0;

/** Whether `next` says more of one job than `old`: live beats gone, a failure beats none. */
function better(next: SchedulerStatus, old: SchedulerStatus | undefined): boolean {
  if (!old) return true;
  if (RANK[next.state] !== RANK[old.state]) return RANK[next.state] > RANK[old.state];
  return next.state === "gone" && badness(next) > badness(old);
}

/** Matches the line qstat prints for an id it does not know (or, without `-x`, a finished one). */
const NOT_LISTED = /^qstat: (?:Unknown Job Id (\S+)|(\S+) Job has finished\b.*)$/;

/**
 * The status of every asked id from the captured `qstat -f -F json -x` answer: jobs in `Jobs`
 * by their state (an array by its subjobs too: running while any runs, else pending while any
 * waits, else gone with the worst failure), ids qstat does not know gone with no failure (the
 * end file and grace period decide). Throws when the answer cannot be trusted: cut off, the
 * server unreachable, any other error line, or no document with a non-zero exit code (unless
 * every asked id got its "Unknown Job Id" line).
 *
 * @example
 * ```ts
 * import { pbsStatuses } from "./parse.ts";
 *
 * const qstat = { code: 153, lines: ["qstat: Unknown Job Id 8.s", '{"pbs_server":"s","Jobs":{"7.s":{"job_state":"Q"}}}'] };
 * const got = pbsStatuses(qstat, ["7.s", "8.s"]);
 * console.log(got.get("7.s"), got.get("8.s")); // { state: "pending", reason: "queued, waiting to be scheduled" } { state: "gone" }
 * ```
 */
export function pbsStatuses(
  qstat: MarkedOutput | undefined,
  ids: readonly string[],
): Map<string, SchedulerStatus> {
  if (!qstat) throw new Error("qstat gave no answer");
  if (qstat.code === undefined) throw new Error("qstat's answer was cut off");
  const notListed = new Set<string>();
  const errors: string[] = [];
  const doc: string[] = [];
  for (const line of qstat.lines) {
    const m = NOT_LISTED.exec(line);
    if (m) notListed.add(pbsIdKey(m[1] ?? m[2]).key);
    else if (/^qstat: /.test(line)) errors.push(line);
    else doc.push(line);
  }
  if (errors.length > 0) throw new Error(`qstat failed: ${errors.join(" ")}`);
  const keys = ids.map((id) => pbsIdKey(id).key);
  let jobs: Record<string, PbsAttributes> = {};
  if (doc.length > 0) jobs = parsePbsJson(doc);
  else if (qstat.code === 0 || !keys.every((k) => notListed.has(k))) {
    throw new Error(`qstat exited with code ${qstat.code} and printed no JSON document`);
  }
  if (qstat.code !== 0 && notListed.size === 0) {
    throw new Error(`qstat exited with code ${qstat.code}: ${doc.join(" ").slice(0, 300)}`);
  }
  const byKey = new Map<string, SchedulerStatus>();
  for (const [id, attributes] of Object.entries(jobs)) {
    if (typeof attributes !== "object" || attributes === null) continue;
    const { key } = pbsIdKey(id);
    const status = pbsStatus(attributes);
    if (better(status, byKey.get(key))) byKey.set(key, status);
  }
  return new Map(ids.map((id, i) => [id, byKey.get(keys[i]) ?? { state: "gone" }]));
}
