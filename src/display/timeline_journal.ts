/**
 * The timeline of a report, read from the journal the report names, for the notebook: the
 * Deno kernel asks for a report's display synchronously, after its run, so this reads the
 * journal file at that moment. A display never throws: no journal, no timeline.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import type { RunReport } from "../runner/report.ts";
import type { JournalRecord } from "../state/run_state.ts";
import { buildTimeline, type Timeline } from "./timeline.ts";

/**
 * Reads a journal's records synchronously, skipping lines that do not parse (a torn last line);
 * undefined when the file cannot be read.
 *
 * @example
 * ```ts
 * import { readJournalSync } from "./timeline_journal.ts";
 *
 * console.log(readJournalSync("/no/such/journal.jsonl")); // undefined
 * ```
 */
export function readJournalSync(path: string): JournalRecord[] | undefined {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch {
    return undefined;
  }
  const records: JournalRecord[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    try {
      records.push(JSON.parse(line));
    } catch {
      // a torn line: what it held is redone by the next runner
    }
  }
  return records;
}

/**
 * The timeline of a report from its journal (`report.journal`), or undefined when the journal
 * cannot be read or holds nothing.
 *
 * @example
 * ```ts
 * import { reportTimeline } from "./timeline_journal.ts";
 * import type { RunReport } from "../runner/report.ts";
 *
 * const report = { runId: "r", jobs: [], tasks: [], journal: "/no/such.jsonl" } as unknown as RunReport;
 * console.log(reportTimeline(report)); // undefined
 * ```
 */
export function reportTimeline(report: RunReport): Timeline | undefined {
  const records = readJournalSync(report.journal);
  if (!records || records.length === 0) return undefined;
  return buildTimeline(report, records);
}
