/**
 * A run's report as one self-contained HTML page: a summary, the timeline figure and a table
 * of the jobs with their failure and pending reasons. Inline CSS and SVG only: no script, no
 * font, no image, no network, so the file opens anywhere and can be mailed or archived.
 *
 * @module
 */
import type { Timeline, TimelineJob } from "./timeline.ts";
import { timelineSvg } from "./timeline_svg.ts";
import { esc, grouped, GROUPS, offset, plural, seconds, taskList, utc } from "./timeline_text.ts";

/** Rows of the page's job table; the rest are counted in a last line. */
export const TABLE_ROWS = 500;

/**
 * One sentence of a timeline: the jobs by state, the tasks, the retries, when and how long.
 *
 * @example
 * ```ts
 * import { timelineSummary } from "./timeline_html.ts";
 *
 * console.log(timelineSummary({ kind: "timeline", runId: "r1", span: 0, live: 0, jobs: [] }));
 * // "Run r1: no jobs"
 * ```
 */
export function timelineSummary(t: Timeline): string {
  if (t.jobs.length === 0) return `Run ${t.runId}: no jobs`;
  const p = summaryParts(t);
  return `Run ${t.runId}: ${p.states} (${p.detail}); ${p.when}`;
}

function summaryParts(t: Timeline): { states: string; detail: string; when: string } {
  const n = t.jobs.length;
  const count = (s: string) => t.jobs.filter((j) => j.state === s).length;
  const others = GROUPS.filter((g) => g.state !== "finished" && count(g.state) > 0)
    .map((g) => `${count(g.state)} ${g.state}`);
  const states = others.length === 0
    ? `all ${plural(n, "job")} finished`
    : `${count("finished")} of ${n} jobs finished, ${others.join(", ")}`;
  const tasks = t.jobs.reduce((s, j) => s + j.tasks.length, 0);
  const retried = t.jobs.filter((j) => j.attempts.length > 1).length;
  const detail = `${plural(tasks, "task")}${
    retried > 0 ? `, ${plural(retried, "job")} retried` : ""
  }`;
  const when = t.startedAt === undefined
    ? "nothing journaled yet"
    : `started ${utc(t.startedAt)}, ${seconds(t.span)} to the last record`;
  return { states, detail, when };
}

/** Milliseconds a job spent in segments of `kind`, over all attempts. */
function total(job: TimelineJob, kind: "queued" | "running"): number | undefined {
  const parts = job.segments.filter((s) => s.kind === kind);
  return parts.length === 0 ? undefined : parts.reduce((sum, s) => sum + s.to - s.from, 0);
}

function reasonCell(job: TimelineJob): string {
  const why = job.attempts.filter((a) => a.outcome !== "ok" && a.reason)
    .map((a) => `attempt ${a.attempt + 1}: ${a.reason}`);
  // An attempt's reason is left out when the job's own reason already says it.
  const lines = [
    ...(job.reason ? [job.reason] : []),
    ...why.filter((w) => !job.reason?.includes(w.slice(w.indexOf(": ") + 2))),
    ...job.pending.map((p) => `pending at ${offset(p.at)}: ${p.reason}`),
  ];
  return lines.map((l) => `<div>${esc(l)}</div>`).join("");
}

function table(t: Timeline): string {
  const jobs = grouped(t).flatMap((g) => g.jobs);
  const shown = jobs.slice(0, TABLE_ROWS);
  const rows = shown.map((j) => {
    const color = GROUPS.find((g) => g.state === j.state)!.color;
    const q = total(j, "queued"), r = total(j, "running");
    return `<tr data-job="${esc(j.hash)}"><td class="name">${esc(j.name)}</td>` +
      `<td><span style="color:${color};font-weight:600">${esc(j.state)}</span></td>` +
      `<td class="num">${j.attempts.length}</td><td class="tasks">${esc(taskList(j))}</td>` +
      `<td class="num">${q === undefined ? "" : seconds(q)}</td>` +
      `<td class="num">${r === undefined ? "" : seconds(r)}</td>` +
      `<td>${reasonCell(j)}</td></tr>`;
  });
  const more = jobs.length - shown.length;
  return [
    "<table>",
    '<thead><tr><th>job</th><th>state</th><th class="num">attempts</th><th>tasks</th>' +
    '<th class="num">queued</th><th class="num">ran</th><th>failure and pending reasons</th></tr></thead>',
    `<tbody>${rows.join("\n")}</tbody>`,
    "</table>",
    more > 0 ? `<p>… and ${more} more (${esc(jobs.at(-1)!.state)} last)</p>` : "",
  ].join("\n");
}

const CSS = `
body{margin:0;background:#f6f8fa;color:#1f2328;font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif}
main{max-width:1240px;margin:0 auto;padding:20px 24px 40px}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.summary{margin:0 0 4px;font-size:15px}.meta{margin:0 0 16px;color:#57606a}
.card{background:#fff;border:1px solid #d0d7de;border-radius:6px;padding:12px 14px}
table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border-bottom:1px solid #eaeef2;padding:4px 8px;text-align:left;vertical-align:top}
th{background:#f6f8fa;font-weight:600}.num{text-align:right;white-space:nowrap;width:5em}
td.name,td.tasks{font-family:ui-monospace,monospace;white-space:nowrap}
footer{margin-top:24px;color:#57606a;font-size:12px}`;

/** Options of {@linkcode timelineHtml}. */
export interface TimelineHtmlOptions {
  /**
   * Where the journal was read from, for the page's footer.
   * @default undefined
   */
  readonly journal?: string;
  /**
   * Whether a runner holds the run's lock (open bars reach "now" rather than the last record).
   * @default false
   */
  readonly attached?: boolean;
}

/**
 * A whole HTML page for a timeline: summary, figure, and a table of jobs (failed first) with
 * their failure and pending reasons. Self-contained: inline CSS and SVG, no script or link.
 *
 * @example
 * ```ts
 * import { timelineHtml } from "./timeline_html.ts";
 *
 * const page = timelineHtml({ kind: "timeline", runId: "r1", span: 0, live: 0, jobs: [] });
 * console.log(page.startsWith("<!doctype html>"), page.includes("<script")); // true false
 * ```
 */
export function timelineHtml(t: Timeline, options: TimelineHtmlOptions = {}): string {
  const p = summaryParts(t);
  const live = t.live === 0
    ? ""
    : options.attached
    ? `${plural(t.live, "job")} still queued or running as of ${
      utc(t.asOf!)
    } (a runner is attached)`
    : `${plural(t.live, "job")} not ended at the last record (${
      t.asOf === undefined ? "-" : utc(t.asOf)
    }); no runner is attached: submit again to re-attach`;
  return [
    "<!doctype html>",
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${esc(`dpdispatcher run ${t.runId}`)}</title>`,
    `<style>${CSS}</style></head><body><main>`,
    `<h1>${esc(`Run ${t.runId}`)}</h1>`,
    `<p class="summary"><strong>${esc(t.jobs.length === 0 ? "no jobs" : p.states)}</strong></p>`,
    `<p class="meta">${esc(`${p.detail} · ${p.when}`)}${live ? `<br>${esc(live)}` : ""}</p>`,
    `<div class="card">${timelineSvg(t)}</div>`,
    `<h2>${esc(`Jobs (${t.jobs.length})`)}</h2>`,
    table(t),
    `<footer>${
      esc(
        `Drawn by dpdispatcher from the run's journal${
          options.journal ? ` ${options.journal}` : ""
        }. Hover a row for its attempts. Times of the job's start and end come from its end file (whole seconds); the rest from the journal (ms).`,
      )
    }</footer>`,
    "</main></body></html>",
    "",
  ].join("\n");
}
