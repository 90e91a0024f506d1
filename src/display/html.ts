import type { Plan } from "../plan/plan.ts";
import type { JobReport, JobReportState, RunReport } from "../runner/report.ts";
import type { MimeBundle } from "./jupyter.ts";
import type { Timeline } from "./timeline.ts";
import { reportTimeline } from "./timeline_journal.ts";
import { timelineSvg } from "./timeline_svg.ts";

/** Rows shown per table; the rest are counted in a last line. */
export const MAX_ROWS = 50;

const ENTITIES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

/** Escapes text for HTML content and attribute values. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** `850 ms`, `4.2 s`, `3 min 05 s`, `2 h 07 min`. */
export function formatDuration(ms: number | undefined): string {
  if (ms === undefined || !Number.isFinite(ms)) return "";
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(1)} s`;
  const whole = Math.round(s);
  if (whole < 3600) return `${Math.floor(whole / 60)} min ${String(whole % 60).padStart(2, "0")} s`;
  const min = Math.round(whole / 60);
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, "0")} min`;
}

const COLORS: Record<string, string> = {
  finished: "#1a7f37",
  done: "#1a7f37",
  failed: "#cf222e",
  cancelled: "#9a6700",
  dropped: "#6e7781",
  running: "#0969da",
};

/** A cell: escaped text, `{ state }` for a coloured state word, or `{ html }` already safe with its `text`. */
type Cell =
  | string
  | number
  | { readonly state: string }
  | { readonly html: string; readonly text: string };

function td(cell: Cell): string {
  if (typeof cell === "object" && "html" in cell) return `<td>${cell.html}</td>`;
  if (typeof cell === "object") {
    const color = COLORS[cell.state];
    const style = color ? ` style="color:${color};font-weight:600"` : "";
    return `<td><span${style}>${escapeHtml(cell.state)}</span></td>`;
  }
  return `<td>${escapeHtml(String(cell))}</td>`;
}

const plainOf = (cell: Cell) =>
  typeof cell === "object" ? ("state" in cell ? cell.state : cell.text) : String(cell);

/** An HTML table and its plain-text twin, at most MAX_ROWS rows plus a count of the rest. */
function table(head: readonly string[], rows: readonly (readonly Cell[])[]) {
  const shown = rows.slice(0, MAX_ROWS);
  const more = rows.length - shown.length;
  const moreLine = more > 0 ? `… and ${more} more` : "";
  const html = [
    '<table class="dpdispatcher">',
    `<thead><tr>${head.map((h) => `<th>${escapeHtml(h)}</th>`).join("")}</tr></thead>`,
    `<tbody>${shown.map((r) => `<tr>${r.map(td).join("")}</tr>`).join("")}</tbody>`,
    "</table>",
    moreLine ? `<p>${escapeHtml(moreLine)}</p>` : "",
  ].join("");
  const cells = [head, ...shown.map((r) => r.map(plainOf))].map((r) =>
    r.map((c) => c.replace(/\s+/g, " "))
  );
  const widths = head.map((_, i) => Math.max(...cells.map((r) => Math.min(r[i].length, 60))));
  const text = cells.map((r) =>
    r.map((c, i) => (c.length > 60 ? c.slice(0, 59) + "…" : c).padEnd(widths[i])).join("  ")
      .trimEnd()
  );
  return { html, text: [...text, ...(moreLine ? [moreLine] : [])].join("\n") };
}

function bundle(
  summary: string,
  detail: string[],
  t: { html: string; text: string },
  figure = "",
): MimeBundle {
  const html = [
    `<div class="dpdispatcher"><p><strong>${escapeHtml(summary)}</strong></p>`,
    ...detail.map((d) => `<p>${escapeHtml(d)}</p>`),
    figure,
    t.html,
    "</div>",
  ].join("");
  return { "text/html": html, "text/plain": [summary, ...detail, t.text].join("\n") };
}

const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;

/** What a plan holds: its jobs, tasks and resources. */
export function planBundle(plan: Plan): MimeBundle {
  const r = plan.resources;
  const { scheduler, transport } = plan.target;
  const summary = `Plan ${plan.runId}: ${plural(plan.tasks.length, "task")} in ${
    plural(plan.jobs.length, "job")
  } on ${scheduler} over ${transport}, work base "${plan.workBase}"`;
  const res = [
    r.groupSize === 0 ? "all tasks in one job" : `${r.groupSize} per job`,
    `${r.paraDeg} at a time`,
    `${plural(r.numberNode, "node")} × ${plural(r.cpuPerNode, "CPU")}${
      r.gpuPerNode ? ` + ${plural(r.gpuPerNode, "GPU")}` : ""
    }`,
    r.queueName ? `queue "${r.queueName}"` : "",
    r.walltime !== undefined ? `walltime ${formatDuration(r.walltime * 1000)}` : "",
    r.memory !== undefined ? `memory ${r.memory} MiB` : "",
  ].filter(Boolean).join(", ");
  const rows = plan.jobs.map((j): Cell[] => {
    const tasks = j.tasks.map((i) => plan.tasks[i]);
    return [
      j.name,
      tasks.length,
      tasks.map((t) => t.taskWorkPath).join(", "),
      [...new Set(tasks.map((t) => t.command))].join(" | "),
    ];
  });
  return bundle(
    summary,
    [`Resources: ${res}`],
    table(["job", "tasks", "task directories", "commands"], rows),
  );
}

// Jobs that need a look first: a long table of finished jobs must not hide the failed one.
const ORDER: Record<JobReportState, number> = {
  failed: 0,
  cancelled: 1,
  running: 2,
  queued: 3,
  pending: 4,
  dropped: 5,
  finished: 6,
};

function reasonCell(job: JobReport): Cell {
  const reason = job.reason ?? "";
  const tail = job.stderrTail?.trim();
  if (!tail) return reason;
  return {
    text: reason,
    html: `${escapeHtml(reason)}<details><summary>stderr</summary><pre>${
      escapeHtml(tail)
    }</pre></details>`,
  };
}

/**
 * What a run did: a summary line, its timeline (a bar per job, from `timeline` or else read
 * from the report's journal), then every job with its state, attempts, duration and reason.
 */
export function reportBundle(report: RunReport, timeline?: Timeline): MimeBundle {
  const count = (state: JobReportState) => report.jobs.filter((j) => j.state === state).length;
  const finished = count("finished");
  const total = report.jobs.length;
  const states = (["failed", "cancelled", "running", "pending", "dropped"] as const)
    .filter((s) => count(s) > 0).map((s) => `${count(s)} ${s}`);
  const summary = `Run ${report.runId}: ${
    states.length === 0
      ? `all ${plural(total, "job")} finished`
      : `${finished} of ${total} jobs finished, ${states.join(", ")}`
  } (${plural(report.tasks.length, "task")}) in ${formatDuration(report.durationMs)}`;
  const missing = report.tasks.filter((t) => t.missing.length > 0).length;
  const detail = [
    ...(missing > 0 ? [`${plural(missing, "task")} with missing result files`] : []),
    ...(report.missingCommon.length > 0
      ? [`Missing common files: ${report.missingCommon.join(", ")}`]
      : []),
  ];
  const jobs = [...report.jobs].sort((a, b) => ORDER[a.state] - ORDER[b.state]);
  const rows = jobs.map((j): Cell[] => [
    j.name,
    { state: j.state },
    j.attempts,
    // End files keep whole seconds.
    j.durationMs === 0 ? "< 1 s" : formatDuration(j.durationMs),
    j.tasks.length,
    reasonCell(j),
  ]);
  const drawn = timeline ?? reportTimeline(report);
  return bundle(
    summary,
    detail,
    table(["job", "state", "attempts", "duration", "tasks", "reason"], rows),
    drawn && drawn.jobs.length > 0 ? timelineSvg(drawn) : "",
  );
}

/** One job as a live run knows it from the events seen so far. */
export interface LiveJob {
  /** The job's scheduler name. */
  readonly name: string;
  /** Where it stands. */
  readonly state: "queued" | "running" | "done" | "failed";
  /** Attempts submitted so far in this runner. */
  readonly attempts: number;
  /** Milliseconds from the first `running` to its end, when seen. */
  readonly durationMs?: number;
  /** Why it waits or failed. */
  readonly reason?: string;
}

/** What a live run shows: counts from the events seen so far, and its jobs. */
export interface LiveSnapshot {
  /** The run's id. */
  readonly runId?: string;
  /** Jobs in the plan. */
  readonly total?: number;
  /** True once the runner started (`run:start`). */
  readonly started: boolean;
  /** True when it re-attached to a journal (jobs settled earlier send no events). */
  readonly resumed: boolean;
  /** Jobs seen, by state. */
  readonly counts: Readonly<Record<LiveJob["state"], number>>;
  /** Every job seen. */
  readonly jobs: readonly LiveJob[];
  /** Its report, once it ended. */
  readonly report?: RunReport;
  /** The error it stopped with, if any. */
  readonly error?: string;
}

/** A run in progress: its counts so far; once it ended, its report. */
export function liveBundle(live: LiveSnapshot): MimeBundle {
  if (live.report) return reportBundle(live.report);
  const c = live.counts;
  const seen = c.queued + c.running + c.done + c.failed;
  const unseen = live.total === undefined ? 0 : Math.max(live.total - seen, 0);
  const status = live.error !== undefined ? "stopped" : live.started ? "running" : "starting";
  const head = ["Run", live.runId, status].filter(Boolean).join(" ");
  const of = live.total === undefined ? "" : ` of ${plural(live.total, "job")}`;
  const summary =
    `${head}: ${c.queued} queued, ${c.running} running, ${c.done} done, ${c.failed} failed${
      unseen > 0 ? `, ${unseen} not seen yet` : ""
    }${of}`;
  const detail = [
    ...(live.resumed
      ? ["Re-attached: jobs settled before this runner started stay queued until the report"]
      : []),
    ...(live.error !== undefined ? [`Error: ${live.error}`] : []),
  ];
  const rows = live.jobs.map((j): Cell[] => [
    j.name,
    { state: j.state },
    j.attempts,
    formatDuration(j.durationMs),
    j.reason ?? "",
  ]);
  return bundle(summary, detail, table(["job", "state", "attempts", "duration", "reason"], rows));
}
