import type { MarkedOutput } from "../../../shell/marker_output.ts";
import type { SchedulerStatus } from "../scheduler.ts";
import { pendingWords, SGE_FAILED, sgeFailure } from "./codes.ts";

/**
 * One `<job_list>` entry of `qstat -xml`: a job, or for an array job one task or task range
 * (`<tasks>1</tasks>`, `<tasks>3-4:1</tasks>`), with what it says of the job.
 */
export interface QstatEntry {
  /** `JB_job_number`: the job id (an array's tasks share it). */
  readonly id: string;
  /** `JB_name`, in full (the text table cuts it to 10 characters). */
  readonly name: string;
  /** The state letters: `r`, `qw`, `hqw`, `Eqw`, `dr`, ... */
  readonly letters: string;
  /** Running or pending, with why it waits. */
  readonly status: SchedulerStatus;
}

const XML_ENTITIES: Record<string, string> = {
  "&amp;": "&",
  "&lt;": "<",
  "&gt;": ">",
  "&quot;": '"',
  "&apos;": "'",
};
const unescapeXml = (text: string) =>
  text.replace(/&(?:amp|lt|gt|quot|apos);/g, (e) => XML_ENTITIES[e]);

/** Escapes text as `qstat -xml` writes it in an element. */
export const escapeXml = (text: string): string =>
  text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");

/**
 * Reads what `qstat -xml` printed (every own job: running ones under `queue_info`, pending ones
 * under `job_info`). Throws unless it is a complete document, or nothing at all.
 *
 * @example
 * ```ts
 * import { parseQstatXml } from "./parse.ts";
 *
 * const xml = `<?xml version='1.0'?>
 * <job_info><queue_info><job_list state="running"><JB_job_number>2</JB_job_number>
 * <JB_name>dpd-a-0</JB_name><state>r</state></job_list></queue_info></job_info>`;
 * console.log(parseQstatXml(xml.split("\n"))[0].status); // { state: "running" }
 * ```
 */
export function parseQstatXml(lines: readonly string[]): QstatEntry[] {
  const text = lines.join("\n");
  if (text.trim() === "") return [];
  if (!/<job_info[\s>]/.test(text) || !/<\/job_info>\s*$/.test(text)) {
    throw new Error(`qstat -xml printed no complete job list: ${text.slice(0, 300)}`);
  }
  const entries: QstatEntry[] = [];
  for (const m of text.matchAll(/<job_list\b([^>]*)>([\s\S]*?)<\/job_list>/g)) {
    const field = (tag: string) =>
      unescapeXml(new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(m[2])?.[1]?.trim() ?? "");
    const id = field("JB_job_number");
    if (!/^\d+$/.test(id)) continue;
    const letters = field("state");
    const kind = /state="(\w+)"/.exec(m[1])?.[1];
    // The state attribute says where qstat put it; the letters decide when it is missing.
    const running = kind === "running" ||
      (kind !== "pending" && /[rtsST]/.test(letters) && !letters.includes("q"));
    if (kind === "zombie" || letters === "z") continue; // finished: qacct tells how
    const status: SchedulerStatus = running
      ? { state: "running" }
      : { state: "pending", reason: pendingWords(letters) };
    entries.push({ id, name: field("JB_name"), letters, status });
  }
  return entries;
}

/**
 * The live status of each job id in a `qstat -xml` listing: an array job is running while any
 * of its tasks runs, else pending (with the first waiting task's reason).
 *
 * @example
 * ```ts
 * import { liveStatuses } from "./parse.ts";
 *
 * const entries = [
 *   { id: "4", name: "a", letters: "qw", status: { state: "pending" as const, reason: "waiting" } },
 *   { id: "4", name: "a", letters: "r", status: { state: "running" as const } },
 * ];
 * console.log(liveStatuses(entries).get("4")); // { state: "running" }
 * ```
 */
export function liveStatuses(entries: readonly QstatEntry[]): Map<string, SchedulerStatus> {
  const out = new Map<string, SchedulerStatus>();
  for (const e of entries) {
    if (!out.has(e.id) || e.status.state === "running") out.set(e.id, e.status);
  }
  return out;
}

/** One accounting record of `qacct -j`: its fields by name (`failed`, `exit_status`, ...). */
export type QacctRecord = ReadonlyMap<string, string>;

/**
 * Splits `qacct -j` output into records: each starts after a line of `=`, one `name value` per
 * line (names padded to 13 characters, values padded with spaces).
 *
 * @example
 * ```ts
 * import { parseQacct } from "./parse.ts";
 *
 * const [record] = parseQacct(["======", "jobnumber    2", "failed       0", "exit_status  3"]);
 * console.log(record.get("exit_status")); // "3"
 * ```
 */
export function parseQacct(lines: readonly string[]): QacctRecord[] {
  const records: Map<string, string>[] = [];
  let current: Map<string, string> | undefined;
  for (const line of lines) {
    if (/^=+$/.test(line)) {
      records.push(current = new Map());
      continue;
    }
    const m = /^(\w+)\s+(.*?)\s*$/.exec(line);
    if (m && current) current.set(m[1], m[2]);
  }
  return records.filter((r) => r.size > 0);
}

/**
 * How a job ended by its accounting record: `failed 0` is a normal end (the end file decides;
 * a non-zero exit status becomes the reason), any other code gets its class and words.
 *
 * @example
 * ```ts
 * import { endedBy } from "./parse.ts";
 *
 * const record = new Map([["failed", "37  : qmaster enforced h_rt, h_cpu, or h_vmem limit"], ["exit_status", "137                  (Killed)"]]);
 * console.log(endedBy(record).failure); // "timeout"
 * ```
 */
export function endedBy(record: QacctRecord): SchedulerStatus {
  const failedText = record.get("failed") ?? "";
  const failed = /^(\d+)/.exec(failedText)?.[1];
  const exit = /^(-?\d+)\s*(\(.*\))?/.exec(record.get("exit_status") ?? "");
  const exitWords = exit ? `exit status ${exit[1]}${exit[2] ? ` ${exit[2]}` : ""}` : "";
  if (failed === undefined) return { state: "gone" };
  const code = Number(failed);
  if (code === 0) {
    return exit && exit[1] !== "0" ? { state: "gone", reason: exitWords } : { state: "gone" };
  }
  const words = failedText.replace(/^\d+\s*:?\s*/, "") || SGE_FAILED[code]?.words ||
    "a failure sge_status(5) does not list";
  const reason = `failed ${code}: ${words}${exitWords ? `; ${exitWords}` : ""}`;
  return { state: "gone", failure: sgeFailure(code, exit ? Number(exit[1]) : undefined), reason };
}

/**
 * What `qacct -j <id>` says of a job that left `qstat`: how it ended, or plain `gone` when it has
 * no record (not flushed to the accounting file yet, deleted while pending, or no accounting
 * file): the end files then decide. For an array, the last record of each task counts (a
 * rescheduled task has one per run), and the first task that failed names the failure.
 *
 * @example
 * ```ts
 * import { goneStatus } from "./parse.ts";
 *
 * console.log(goneStatus({ lines: ["error: job id 11 not found"], code: 1 })); // { state: "gone" }
 * ```
 */
export function goneStatus(section: MarkedOutput | undefined): SchedulerStatus {
  if (!section || section.code !== 0) return { state: "gone" };
  const byTask = new Map<string, QacctRecord>();
  for (const r of parseQacct(section.lines)) byTask.set(r.get("taskid") ?? "undefined", r);
  const ends = [...byTask.values()].map(endedBy);
  return ends.find((s) => s.failure) ?? ends.find((s) => s.reason) ?? { state: "gone" };
}
