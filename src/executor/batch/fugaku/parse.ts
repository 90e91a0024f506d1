import type { MarkedOutput } from "../../../shell/marker_output.ts";
import type { SchedulerStatus } from "../scheduler.ts";
import { PJM_CODES, PJM_STATES } from "./codes.ts";

/** One `pjstat --data` row: its fields by header name (`JOB_ID`, `ST`, `EC`, ...). */
export type PjstatRow = ReadonlyMap<string, string>;

/** What one `pjstat --data` printed: its rows, and the ids it says do not exist. */
export interface PjstatAnswer {
  /** The rows, in order. */
  readonly rows: readonly PjstatRow[];
  /** Ids named by `[ERR.] PJM <code> pjstat Job <id> does not exist.` lines. */
  readonly missing: ReadonlySet<string>;
}

const MISSING = /^\[ERR\.\] PJM \d+ \S+ Job (\S+) does not exist/;

/**
 * Reads one `pjstat [-H] --data --choose=...` answer captured with its stderr (`2>&1`): a CSV
 * header line `H,JOB_ID,ST,...` and one `,<id>,<state>,...` line per job (RIKEN Open
 * Composer's captures), or nothing at all when no job matches. `[ERR.] PJM ... Job <id> does not
 * exist` lines name unknown ids (Open OnDemand's pattern). Throws when the answer cannot be
 * trusted: cut off, rows without a header, any other `[ERR.]` line, or a failing exit code with
 * lines that are neither rows nor "does not exist".
 *
 * @example
 * ```ts
 * import { readPjstat } from "./parse.ts";
 *
 * const answer = readPjstat({ lines: ["H,JOB_ID,ST", ",34716160,QUE"], code: 0 }, "read the job status");
 * console.log(answer.rows[0].get("ST")); // "QUE"
 * ```
 */
export function readPjstat(section: MarkedOutput | undefined, what: string): PjstatAnswer {
  if (!section) throw new Error(`Cannot ${what}: pjstat gave no answer`);
  if (section.code === undefined) throw new Error(`Cannot ${what}: pjstat's answer was cut off`);
  let header: string[] | undefined;
  const rows: PjstatRow[] = [];
  const missing = new Set<string>();
  const others: string[] = [];
  for (const line of section.lines) {
    const gone = MISSING.exec(line);
    if (gone) missing.add(gone[1]);
    else if (line.startsWith("H,")) header = line.split(",").map((f) => f.trim());
    else if (line.startsWith(",") && header) {
      const fields = line.split(",").map((f) => f.trim());
      rows.push(new Map(header.map((name, i) => [name, fields[i] ?? ""])));
    } else others.push(line);
  }
  const failed = others.find((l) => l.startsWith("[ERR.]")) ??
    (section.code !== 0 && others.length > 0 ? others.join(" ") : undefined) ??
    (others.some((l) => l.startsWith(",")) ? `a row before its header: ${others[0]}` : undefined);
  if (failed !== undefined) {
    throw new Error(`Cannot ${what}: pjstat exited with code ${section.code}: ${failed}`);
  }
  return { rows, missing };
}

/** A PJM code or exit code field as a number, or undefined for `-`, empty or `0`. */
const nonZero = (text: string | undefined): number | undefined =>
  text && /^\d+$/.test(text) && text !== "0" ? Number(text) : undefined;

/**
 * What one `pjstat` row says of its job: pending, running (with words for the states that need
 * them) or gone. A gone job's failure comes from its PJM code (`PC`, see
 * {@linkcode PJM_CODES}), else from its state (`CCL` is `cancelled`); its reason names the code,
 * the exit code (`EC`) and the signal (`SN`). Without a code the end file decides.
 *
 * @example
 * ```ts
 * import { rowStatus } from "./parse.ts";
 *
 * const row = new Map([["ST", "EXT"], ["EC", "-"], ["PC", "11"], ["SN", "9"]]);
 * console.log(rowStatus(row).failure); // "timeout"
 * ```
 */
export function rowStatus(row: PjstatRow): SchedulerStatus {
  const st = row.get("ST") ?? "";
  const known = PJM_STATES[st];
  if (!known) return { state: "running", reason: `in PJM state "${st}", unknown here` };
  if (known.state === "pending") {
    return { state: "pending", reason: known.words ?? "waiting in the queue to be scheduled" };
  }
  if (known.state === "running") {
    return known.words ? { state: "running", reason: known.words } : { state: "running" };
  }
  const pc = nonZero(row.get("PC"));
  const code = pc !== undefined ? PJM_CODES[pc] : undefined;
  const failure = code?.failure ?? (st === "CCL" ? "cancelled" : undefined);
  const ec = nonZero(row.get("EC"));
  const sn = nonZero(row.get("SN"));
  const reason = [
    known.words,
    pc !== undefined ? `PJM code ${pc}${code ? `: ${code.words}` : ""}` : undefined,
    ec !== undefined ? `exit code ${ec}` : undefined,
    sn !== undefined ? `signal ${sn}` : undefined,
  ].filter(Boolean).join("; ");
  return { state: "gone", failure, ...(reason ? { reason } : {}) };
}

/**
 * The status of every job id in the rows of the live and the history answers: a history row wins
 * (it was asked second, so it is newer); a sub job's `<id>[k]` row is skipped.
 *
 * @example
 * ```ts
 * import { statusById } from "./parse.ts";
 *
 * const live = [new Map([["JOB_ID", "7"], ["ST", "RUN"]])];
 * const history = [new Map([["JOB_ID", "7"], ["ST", "EXT"], ["PC", "0"], ["EC", "0"]])];
 * console.log(statusById(live, history).get("7")); // { state: "gone", failure: undefined }
 * ```
 */
export function statusById(
  live: readonly PjstatRow[],
  history: readonly PjstatRow[],
): Map<string, SchedulerStatus> {
  const out = new Map<string, SchedulerStatus>();
  for (const row of [...live, ...history]) {
    const id = row.get("JOB_ID") ?? "";
    if (/^\d+$/.test(id)) out.set(id, rowStatus(row));
  }
  return out;
}
