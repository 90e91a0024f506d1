import type { MarkedOutput } from "../../../shell/marker_output.ts";
import type { SchedulerStatus } from "../scheduler.ts";
import { DAEMON_DOWN, LSF_STATES, TERM_REASONS } from "./codes.ts";

/** One `bjobs -json` record: its fields by upper-case name (`JOBID`, `STAT`, ...), as strings. */
export type BjobsRecord = ReadonlyMap<string, string>;

/** What one `bjobs ... -json` printed: its records, and the ids or names it did not find. */
export interface BjobsAnswer {
  /** The records of found jobs (an array job has one per element). */
  readonly records: readonly BjobsRecord[];
  /** Ids or names named by `Job <x> is not found` lines or `ERROR` records. */
  readonly notFound: ReadonlySet<string>;
}

const NOT_FOUND = /^Job <([^>]+)> is not found/;
const NO_JOBS = /^No ((unfinished|matching|DONE\/EXIT) )?job found/;

/**
 * Reads one `bjobs -o "..." -json` answer captured with its stderr (`2>&1`): the JSON document
 * (`{"COMMAND":"bjobs","JOBS":N,"RECORDS":[...]}`, every value a string) and the `Job <N> is not
 * found` lines of unknown ids (rc 255). Throws when the answer cannot be trusted: cut off, an
 * unreadable document, or a failing exit code with lines that are no "not found" (LSF is down,
 * mbatchd not responding, an unknown option). A document with rc 0 is trusted even after
 * "Please wait" lines: LSF retried and answered.
 *
 * @example
 * ```ts
 * import { readBjobs } from "./parse.ts";
 *
 * const answer = readBjobs({
 *   lines: ["Job <7> is not found", '{"COMMAND":"bjobs","JOBS":1,"RECORDS":[{"JOBID":"6","STAT":"RUN"}]}'],
 *   code: 255,
 * }, "read the job status");
 * console.log(answer.records[0].get("STAT"), [...answer.notFound]); // "RUN" ["7"]
 * ```
 */
export function readBjobs(section: MarkedOutput | undefined, what: string): BjobsAnswer {
  if (!section) throw new Error(`Cannot ${what}: bjobs gave no answer`);
  if (section.code === undefined) throw new Error(`Cannot ${what}: bjobs's answer was cut off`);
  const lines = section.lines;
  const first = lines.findIndex((l) => l.startsWith("{"));
  const last = lines.findLastIndex((l) => l.endsWith("}"));
  const inJson = (i: number) => first >= 0 && i >= first && i <= last;
  const notFound = new Set<string>();
  const json: string[] = [];
  const others: string[] = [];
  let none = false;
  lines.forEach((line, i) => {
    const missing = NOT_FOUND.exec(line);
    if (missing) notFound.add(missing[1]);
    else if (inJson(i)) json.push(line);
    else if (NO_JOBS.test(line)) none = true;
    else others.push(line);
  });
  const fail = (why: string): never => {
    const down = lines.some((l) => DAEMON_DOWN.some((re) => re.test(l)));
    throw new Error(
      `Cannot ${what}: ${down ? "LSF's master batch daemon did not answer: " : ""}${why}`,
    );
  };
  if (section.code !== 0 && others.length > 0) {
    fail(`bjobs exited with code ${section.code}: ${others.join(" ")}`);
  }
  if (json.length === 0) {
    if (others.length > 0) fail(`bjobs printed no JSON document: ${others.join(" ")}`);
    // Not one word: with -json bjobs always prints a document or says what it did not find.
    if (notFound.size === 0 && !none) fail("bjobs printed nothing");
    return { records: [], notFound };
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json.join("\n"));
  } catch {
    fail(`bjobs printed an unreadable JSON document: ${json.join(" ").slice(0, 300)}`);
  }
  const list = (doc as { RECORDS?: unknown } | null)?.RECORDS;
  if (!Array.isArray(list)) fail(`bjobs printed no RECORDS list: ${json.join(" ").slice(0, 300)}`);
  const records: BjobsRecord[] = [];
  for (const raw of list as unknown[]) {
    if (raw === null || typeof raw !== "object" || Array.isArray(raw)) {
      fail(`a bjobs record is no object: ${JSON.stringify(raw)}`);
    }
    const record = new Map(
      Object.entries(raw as Record<string, unknown>).map(([k, v]) => [k.toUpperCase(), str(v)]),
    );
    const error = record.get("ERROR");
    if (error !== undefined) {
      // The record of an id bjobs does not know (psij skips them; their text is unverified).
      const id = record.get("JOBID") || /Job <([^>]+)>/.exec(error)?.[1];
      if (id) notFound.add(id);
      continue;
    }
    records.push(record);
  }
  return { records, notFound };
}

const str = (v: unknown): string =>
  typeof v === "string" ? v.trim() : v === null || v === undefined ? "" : String(v);

/** A record's job id without an array element's `[k]`. */
export const baseId = (record: BjobsRecord): string =>
  (record.get("JOBID") ?? "").replace(/\[\d+\]$/, "");

/** LSF's pending reasons (`PEND_REASON`, already words): one line, no trailing `;`. */
function pendingWords(text: string | undefined): string {
  const reasons = (text ?? "").split(/;\s*/).map((r) => r.replace(/\s+/g, " ").trim())
    .filter(Boolean);
  return reasons.length > 0 ? reasons.join("; ") : "waiting in the queue to be scheduled";
}

/**
 * What one `bjobs` record says of its job: pending (with LSF's pending reason), running, or
 * gone. `DONE` is a normal end; `EXIT` gets the failure class of its termination reason (see
 * {@linkcode TERM_REASONS}) and the reason and exit code in words; without a reason (a task
 * failed, the script exited non-zero) the end file decides. A state this version does not know
 * counts as running, so no second copy starts beside a live job.
 *
 * @example
 * ```ts
 * import { recordStatus } from "./parse.ts";
 *
 * const record = new Map([["STAT", "EXIT"], ["EXIT_CODE", "140"], ["EXIT_REASON", "TERM_RUNLIMIT: job killed after reaching LSF run time limit"]]);
 * console.log(recordStatus(record).failure); // "timeout"
 * ```
 */
export function recordStatus(record: BjobsRecord): SchedulerStatus {
  const stat = record.get("STAT") ?? "";
  const known = LSF_STATES[stat];
  if (!known) return { state: "running", reason: `in LSF state "${stat}", unknown here` };
  if (known.state === "pending") {
    const reason = stat === "PEND" ? pendingWords(record.get("PEND_REASON")) : known.words!;
    return { state: "pending", reason };
  }
  if (known.state === "running") {
    return known.words ? { state: "running", reason: known.words } : {
      state: "running",
    };
  }
  if (stat === "DONE") return { state: "gone" };
  const code = record.get("EXIT_CODE") ?? "";
  const exitWords = /^-?\d+$/.test(code) && code !== "0" ? `exit code ${code}` : "";
  const text = (record.get("EXIT_REASON") ?? "").replace(/\s+/g, " ").trim();
  const keyword = /^TERM_[A-Z_]+/.exec(text)?.[0];
  const term = keyword ? TERM_REASONS[keyword] : undefined;
  const said = keyword && text === keyword && term ? `${keyword}: ${term.words}` : text;
  const reason = [said, exitWords].filter(Boolean).join("; ");
  return { state: "gone", failure: term?.failure, ...(reason ? { reason } : {}) };
}

/**
 * The status of every job id in `bjobs` records: an array job (one record per element) is
 * running while any element runs, else pending while any waits, else gone with the first
 * element's failure (or reason).
 *
 * @example
 * ```ts
 * import { statusById } from "./parse.ts";
 *
 * const records = [new Map([["JOBID", "5"], ["STAT", "DONE"]]), new Map([["JOBID", "5"], ["STAT", "RUN"]])];
 * console.log(statusById(records).get("5")); // { state: "running" }
 * ```
 */
export function statusById(records: readonly BjobsRecord[]): Map<string, SchedulerStatus> {
  const rank = { running: 3, pending: 2, gone: 1 };
  const out = new Map<string, SchedulerStatus>();
  for (const record of records) {
    const id = baseId(record);
    if (!/^\d+$/.test(id)) continue;
    const st = recordStatus(record);
    const old = out.get(id);
    const better = !old || rank[st.state] > rank[old.state] ||
      (st.state === "gone" && old.state === "gone" &&
        ((!old.failure && !!st.failure) || (!old.failure && !old.reason && !!st.reason)));
    if (better) out.set(id, st);
  }
  return out;
}
