/**
 * The end file a job script writes last (tmp + rename) in its attempt directory:
 *
 * ```text
 * dpd-end 1
 * start 1732480000
 * end 1732480012
 * rc <task hash> <exit code or ->
 * --- stderr <task hash>        (only when a task failed)
 * <last lines of that task's errlog>
 * dpd-end-ok                    (always last: a file without it is still being written)
 * ```
 *
 * @module
 */

/** What a job's end file says. */
export interface JobEnd {
  /** True when every task exited 0. */
  readonly ok: boolean;
  /** Unix seconds when the job started and ended. */
  readonly start: number;
  /** Unix seconds when the job ended. */
  readonly end: number;
  /** Exit code per task hash; `null` when the task left none (it never ran to its end). */
  readonly codes: Readonly<Record<string, number | null>>;
  /** The first failed task, if any. */
  readonly failedTask?: string;
  /** The tail of that task's errlog. */
  readonly stderrTail?: string;
}

/** Parses an end file; `undefined` when the text is not a complete end file. */
export function parseEndFile(text: string): JobEnd | undefined {
  const lines = text.split("\n");
  if (lines.at(-1) === "") lines.pop();
  if (lines[0] !== "dpd-end 1" || lines.at(-1) !== "dpd-end-ok") return undefined;
  lines.pop();
  let start = 0;
  let end = 0;
  const codes: Record<string, number | null> = {};
  let failedTask: string | undefined;
  let stderrTail: string | undefined;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i];
    if (line.startsWith("--- stderr ")) {
      failedTask = line.slice(11).trim();
      stderrTail = lines.slice(i + 1).join("\n").trimEnd();
      break;
    }
    const [key, a, b] = line.split(" ");
    if (key === "start") start = Number(a);
    else if (key === "end") end = Number(a);
    else if (key === "rc" && a) codes[a] = b !== undefined && /^\d+$/.test(b) ? Number(b) : null;
  }
  const ok = Object.values(codes).every((c) => c === 0);
  return { ok, start, end, codes, failedTask, stderrTail };
}

/** Merges the end files of a job's array elements into one: ok only if every element is ok. */
export function mergeEnds(ends: readonly JobEnd[]): JobEnd {
  if (ends.length === 1) return ends[0];
  const failed = ends.find((e) => !e.ok);
  return {
    ok: !failed,
    start: Math.min(...ends.map((e) => e.start)),
    end: Math.max(...ends.map((e) => e.end)),
    codes: Object.assign({}, ...ends.map((e) => e.codes)),
    failedTask: failed?.failedTask,
    stderrTail: failed?.stderrTail,
  };
}
