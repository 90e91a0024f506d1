/**
 * A run's timeline drawn as one inline SVG figure: a row per job, grouped by state (failed
 * first), its attempts as bars on one time axis. Colours are presentation attributes, so the
 * figure needs no stylesheet, no script and no network (a notebook shows it as it is).
 *
 * @module
 */
import type { JobReportState } from "../runner/report.ts";
import type { SegmentKind, Timeline, TimelineJob, TimelineSegment } from "./timeline.ts";
import { esc, grouped, GROUPS, jobStory, plural, seconds, taskList, utc } from "./timeline_text.ts";

/** Fill of each segment kind; a running segment takes its outcome's colour. */
const FILL = {
  queued: "#d0d7de",
  running: "#218bff",
  failed: "#cf222e",
  cancelled: "#d4a72c",
  collecting: "#2da44e",
  waiting: "#8c959f",
  pending: "#bf8700",
} as const;

/** The legend's entries: what each colour means. */
const LEGEND: readonly { label: string; color: string; kind: "bar" | "line" | "dot" }[] = [
  { label: "queued", color: FILL.queued, kind: "bar" },
  { label: "running", color: FILL.running, kind: "bar" },
  { label: "attempt failed", color: FILL.failed, kind: "bar" },
  { label: "cancelled", color: FILL.cancelled, kind: "bar" },
  { label: "start not recorded (pale)", color: "#b6c8e0", kind: "bar" },
  { label: "waiting to retry", color: FILL.waiting, kind: "line" },
  { label: "ended, until results are home", color: FILL.collecting, kind: "bar" },
  { label: "pending reason", color: FILL.pending, kind: "dot" },
];

const TICKS = [
  100,
  200,
  500,
  1e3,
  2e3,
  5e3,
  10e3,
  15e3,
  30e3,
  60e3,
  120e3,
  300e3,
  600e3,
  900e3,
  1800e3,
  3600e3,
  7200e3,
  10800e3,
  21600e3,
  43200e3,
  86400e3,
];

function tickLabel(t: number, span: number, step: number): string {
  if (span < 60e3) return `${step < 1000 ? (t / 1000).toFixed(1) : Math.round(t / 1000)} s`;
  const s = Math.round(t / 1000);
  if (span < 3600e3) return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
  const m = Math.round(s / 60);
  return `${Math.floor(m / 60)}:${String(m % 60).padStart(2, "0")} h`;
}

function fillOf(s: TimelineSegment): string {
  if (s.kind === "running" || s.kind === "unknown") {
    return s.outcome === "failed"
      ? FILL.failed
      : s.outcome === "cancelled"
      ? FILL.cancelled
      : FILL.running;
  }
  return FILL[s.kind as Exclude<SegmentKind, "running" | "unknown">];
}

const n1 = (v: number) => String(Math.round(v * 10) / 10);

type Attrs = Readonly<Record<string, string | number>>;

/** One element: numbers rounded to 0.1, every value escaped; `text` is escaped content. */
function el(name: string, attrs: Attrs, text?: string): string {
  const a = Object.entries(attrs)
    .map(([k, v]) => ` ${k}="${typeof v === "number" ? n1(v) : esc(v)}"`).join("");
  return text === undefined ? `<${name}${a}/>` : `<${name}${a}>${esc(text)}</${name}>`;
}

const MUTED = { "font-size": 11, fill: "#57606a" } as const;

/** Options of {@linkcode timelineSvg}. */
export interface TimelineSvgOptions {
  /**
   * Prefix of the element ids (unique per page when several figures share one).
   * @default "dpd-tl-" + the run id
   */
  readonly id?: string;
}

/**
 * Draws a timeline as a `<figure>`: a legend, then an SVG with one `<g class="job">` per job
 * (`data-job` its hash, `data-state` its state, a `<title>` with its story), grouped by state.
 * Rows shrink with the job count (names shown down to 10 px rows; 5,000 jobs fit in about
 * 1,000 px, as a density picture), except in small groups of jobs that need a look.
 *
 * @example
 * ```ts
 * import { timelineSvg } from "./timeline_svg.ts";
 *
 * const svg = timelineSvg({ kind: "timeline", runId: "r1", span: 0, live: 0, jobs: [] });
 * console.log(svg.startsWith("<figure")); // true
 * ```
 */
export function timelineSvg(t: Timeline, options: TimelineSvgOptions = {}): string {
  const id = esc(options.id ?? `dpd-tl-${t.runId}`);
  const groups = grouped(t);
  const n = t.jobs.length;
  // Rows share about 700 px; a small group that needs a look (a few failed jobs among
  // thousands) keeps rows tall enough to read.
  const h = Math.min(20, Math.max(0.1, 700 / n));
  const rowOf = (g: { state: JobReportState; jobs: unknown[] }) =>
    g.state === "finished" ? h : Math.max(h, Math.min(14, 160 / g.jobs.length));
  const W = 1200, LABEL = 176, AXIS = 30, GROUP = 20, RIGHT = 24;
  const x0 = LABEL + 8, plotW = W - x0 - RIGHT;
  const height = AXIS + groups.reduce((sum, g) => sum + GROUP + g.jobs.length * rowOf(g), 0) +
    10;
  const span = Math.max(t.span, 1);
  const x = (ms: number) => x0 + Math.min(Math.max(ms / span, 0), 1) * plotW;
  const out: string[] = [];
  // Axis: ticks and faint gridlines.
  const step = TICKS.find((s) => span / s <= 10) ?? Math.ceil(span / 10 / 86400e3) * 86400e3;
  for (let tk = 0; tk <= span + 1e-9; tk += step) {
    out.push(
      el("line", { x1: x(tk), x2: x(tk), y1: AXIS - 6, y2: height - 6, stroke: "#eaeef2" }),
      el(
        "text",
        { x: x(tk), y: AXIS - 10, "text-anchor": "middle", ...MUTED },
        tickLabel(tk, span, step),
      ),
    );
  }
  const since = t.startedAt === undefined
    ? "nothing journaled yet"
    : `time since ${utc(t.startedAt).slice(11)}`;
  out.push(el("text", { x: 4, y: AXIS - 10, ...MUTED }, since));
  let y = AXIS;
  for (const g of groups) {
    const rh = rowOf(g);
    const row = { h: rh, barH: rh >= 6 ? rh - 4 : rh, names: rh >= 10, x, W, x0 };
    const meta = GROUPS.find((m) => m.state === g.state)!;
    out.push(
      `<g class="group" data-state="${g.state}">`,
      el("line", { x1: 0, x2: W, y1: y + 0.5, y2: y + 0.5, stroke: "#d0d7de" }),
      el(
        "text",
        { x: 4, y: y + 14, "font-size": 12, "font-weight": 600, fill: meta.color },
        `${meta.label} · ${plural(g.jobs.length, "job")}`,
      ),
      "</g>",
    );
    y += GROUP;
    for (const job of g.jobs) {
      out.push(jobRow(job, { ...row, y }));
      y += rh;
    }
  }
  const total = t.jobs.reduce((s, j) => s + j.tasks.length, 0);
  const desc = `${plural(n, "job")} (${plural(total, "task")}) over ${seconds(t.span)}: ${
    groups.map((g) => `${g.jobs.length} ${g.state}`).join(", ")
  }`;
  const legend = LEGEND.map((l) => {
    const swatch = l.kind === "line"
      ? `border-top:2px dashed ${l.color};height:0;margin-top:4px`
      : l.kind === "dot"
      ? `background:${l.color};border-radius:50%;width:8px;height:8px`
      : `background:${l.color};height:10px`;
    return `<span style="display:inline-flex;align-items:center;gap:4px;margin-right:14px"><span style="display:inline-block;width:${
      l.kind === "dot" ? 8 : 18
    }px;${swatch}"></span>${esc(l.label)}</span>`;
  }).join("");
  return [
    `<figure class="dpd-timeline" style="margin:0 0 8px;background:#fff;color:#1f2328;font:12px system-ui,sans-serif">`,
    `<figcaption style="margin:4px 0 6px">${legend}</figcaption>`,
    `<svg viewBox="0 0 ${W} ${
      n1(height)
    }" width="100%" style="max-width:${W}px;display:block" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="system-ui,sans-serif">`,
    `<title id="${id}-title">${esc(`Timeline of run ${t.runId}`)}</title>`,
    `<desc id="${id}-desc">${esc(desc)}</desc>`,
    ...out,
    "</svg></figure>",
  ].join("\n");
}

interface Row {
  y: number;
  h: number;
  barH: number;
  names: boolean;
  x: (ms: number) => number;
  W: number;
  x0: number;
}

function jobRow(job: TimelineJob, r: Row): string {
  const parts = [
    `<g class="job" data-job="${esc(job.hash)}" data-state="${esc(job.state)}">`,
    el("title", {}, jobStory(job)),
  ];
  const mid = r.y + r.h / 2;
  const label = { y: mid, "dominant-baseline": "central", "font-size": 11 };
  // The whole row answers the pointer, so the story shows over the gaps too.
  if (r.h >= 4) {
    parts.push(el("rect", { x: 0, y: r.y, width: r.W, height: r.h, fill: "transparent" }));
  }
  if (r.names) {
    parts.push(el("text", {
      x: r.x0 - 8,
      "text-anchor": "end",
      "font-family": "ui-monospace,monospace",
      fill: "#1f2328",
      ...label,
    }, taskList(job)));
  }
  const top = r.y + (r.h - r.barH) / 2;
  for (const s of job.segments) {
    const x1 = r.x(s.from);
    const w = Math.max(r.x(s.to) - x1, 2);
    const fill = fillOf(s);
    if (s.kind === "waiting" && r.h >= 4) {
      const line = { x1, x2: x1 + w, y1: mid, y2: mid, stroke: fill, "stroke-dasharray": "3 2" };
      parts.push(el("line", line));
      continue;
    }
    const pale: Attrs = s.kind === "unknown" ? { "fill-opacity": "0.35" } : {};
    parts.push(el("rect", { x: x1, y: top, width: w, height: r.barH, fill, ...pale }));
    if (s.open && r.h >= 6) {
      const ex = x1 + w, bottom = top + r.barH;
      const d = `M${n1(ex)} ${n1(top)}L${n1(ex + 5)} ${n1(mid)}L${n1(ex)} ${n1(bottom)}Z`;
      parts.push(el("path", { d, fill }));
    }
  }
  if (r.h >= 6) {
    const radius = Math.min(3, r.barH / 2);
    for (const p of job.pending) {
      parts.push(el("circle", { cx: r.x(p.at), cy: mid, r: radius, fill: FILL.pending }));
    }
  }
  if (r.names && job.state === "failed" && job.segments.length > 0) {
    const end = r.x(job.segments.at(-1)!.to) + 4;
    parts.push(el("text", { x: end, "font-weight": 700, fill: FILL.failed, ...label }, "✕"));
  }
  parts.push("</g>");
  return parts.join("");
}
