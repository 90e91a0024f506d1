/**
 * The words of the timeline views (figure, page, CLI summary): escaping, durations, times,
 * task lists, state groups and each job's story.
 *
 * @module
 */
import type { JobReportState } from "../runner/report.ts";
import type { Timeline, TimelineJob } from "./timeline.ts";

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/**
 * Escapes text for HTML and SVG content and attribute values.
 *
 * @example
 * ```ts
 * import { esc } from "./timeline_text.ts";
 *
 * console.log(esc(`<a href="x">`)); // "&lt;a href=&quot;x&quot;&gt;"
 * ```
 */
export function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/**
 * The state groups, in the order drawn (the jobs that need a look first), with their labels
 * and colours.
 *
 * @example
 * ```ts
 * import { GROUPS } from "./timeline_text.ts";
 *
 * console.log(GROUPS[0].state); // "failed"
 * ```
 */
export const GROUPS: readonly { state: JobReportState; label: string; color: string }[] = [
  { state: "failed", label: "failed", color: "#cf222e" },
  { state: "cancelled", label: "cancelled", color: "#9a6700" },
  { state: "running", label: "in the scheduler", color: "#0969da" },
  { state: "pending", label: "waiting to be submitted", color: "#6e7781" },
  { state: "dropped", label: "dropped", color: "#6e7781" },
  { state: "finished", label: "finished", color: "#1a7f37" },
];

/**
 * A duration in words: `< 0.1 s`, `0.4 s`, `12 s`, `3 min 05 s`, `2 h 07 min`.
 *
 * @example
 * ```ts
 * import { seconds } from "./timeline_text.ts";
 *
 * console.log(seconds(185_000)); // "3 min 05 s"
 * ```
 */
export function seconds(ms: number): string {
  const s = ms / 1000;
  if (s < 0.1) return "< 0.1 s";
  if (s < 10) return `${s.toFixed(1)} s`;
  if (s < 60) return `${Math.round(s)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  const min = Math.round(whole / 60);
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min`;
}

/**
 * A time since the run's start: `+0.0 s`, `+4.2 s`, `+12 s`, `+3 min 05 s`.
 *
 * @example
 * ```ts
 * import { offset } from "./timeline_text.ts";
 *
 * console.log(offset(4_200)); // "+4.2 s"
 * ```
 */
export function offset(ms: number): string {
  return ms < 10_000 ? `+${(Math.max(ms, 0) / 1000).toFixed(1)} s` : `+${seconds(ms)}`;
}

/**
 * A Unix ms time as `2025-01-31 14:05:09 UTC`.
 *
 * @example
 * ```ts
 * import { utc } from "./timeline_text.ts";
 *
 * console.log(utc(Date.UTC(2025, 0, 31, 14, 5, 9))); // "2025-01-31 14:05:09 UTC"
 * ```
 */
export function utc(ms: number): string {
  return `${new Date(ms).toISOString().slice(0, 19).replace("T", " ")} UTC`;
}

/**
 * The jobs in drawing order: by state group (see {@linkcode GROUPS}), then by first
 * submission, by end, by name. Empty groups are left out.
 *
 * @example
 * ```ts
 * import { grouped } from "./timeline_text.ts";
 *
 * console.log(grouped({ kind: "timeline", runId: "r", span: 0, live: 0, jobs: [] })); // []
 * ```
 */
export function grouped(t: Timeline): { state: JobReportState; jobs: TimelineJob[] }[] {
  const first = (j: TimelineJob) => j.segments[0]?.from ?? Infinity;
  const last = (j: TimelineJob) => j.segments.at(-1)?.to ?? Infinity;
  return GROUPS.map(({ state }) => ({
    state,
    jobs: t.jobs.filter((j) => j.state === state).sort((a, b) =>
      first(a) - first(b) || last(a) - last(b) || a.name.localeCompare(b.name)
    ),
  })).filter((g) => g.jobs.length > 0);
}

/**
 * A job's tasks in a few characters: `t7`, `t0 +3 more` (its name when it has none).
 *
 * @example
 * ```ts
 * import { taskList } from "./timeline_text.ts";
 * import type { TimelineJob } from "./timeline.ts";
 *
 * const job = { name: "dpd-1", tasks: ["t0", "t1"] } as unknown as TimelineJob;
 * console.log(taskList(job)); // "t0 +1 more"
 * ```
 */
export function taskList(job: TimelineJob, width = 24): string {
  const [first] = job.tasks;
  if (first === undefined) return job.name;
  const short = first.length > width ? `…${first.slice(-(width - 1))}` : first;
  return job.tasks.length === 1 ? short : `${short} +${job.tasks.length - 1} more`;
}

/**
 * A count and its noun: `1 job`, `2 jobs`.
 *
 * @example
 * ```ts
 * import { plural } from "./timeline_text.ts";
 *
 * console.log(plural(1, "job"), plural(2, "job")); // "1 job" "2 jobs"
 * ```
 */
export function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? "" : "s"}`;
}

/**
 * A job's story in words (its tooltip): its state and reason, then one line per attempt, then
 * its pending reasons.
 *
 * @example
 * ```ts
 * import { jobStory } from "./timeline_text.ts";
 * import type { TimelineJob } from "./timeline.ts";
 *
 * const job = { name: "dpd-1", state: "pending", tasks: ["t0"], attempts: [], pending: [] };
 * console.log(jobStory(job as unknown as TimelineJob)); // "dpd-1 (t0): pending"
 * ```
 */
export function jobStory(job: TimelineJob): string {
  const state = job.state;
  const head = `${job.name} (${taskList(job, 60)}): ${state}${
    job.attempts.length > 1 ? ` after ${plural(job.attempts.length, "attempt")}` : ""
  }${job.reason ? `: ${job.reason}` : ""}`;
  const lines = job.attempts.map((a) => {
    const parts = [`attempt ${a.attempt + 1}${a.id ? ` (id ${a.id})` : ""}`];
    const s = a.submittedAt;
    if (s !== undefined) parts.push(`submitted at ${offset(s)}`);
    if (a.startedAt !== undefined && s !== undefined) {
      parts.push(`queued ${seconds(a.startedAt - s)}`);
      const end = a.endedAt;
      parts.push(end === undefined ? "running" : `ran ${seconds(end - a.startedAt)}`);
    } else if (a.endedAt !== undefined && s !== undefined) {
      parts.push(`ended after ${seconds(a.endedAt - s)} (start not recorded)`);
    } else parts.push("queued");
    if (a.outcome && a.outcome !== "ok") {
      parts.push(`${a.outcome}${a.reason ? `: ${a.reason}` : ""}`);
    }
    return parts.join(", ");
  });
  const pending = job.pending.map((p) => `pending at ${offset(p.at)}: ${p.reason}`);
  return [head, ...lines, ...pending].join("\n");
}
