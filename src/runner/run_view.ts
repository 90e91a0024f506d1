import type { Plan } from "../plan/plan.ts";
import type { RunEvent } from "./events.ts";
import type { JobReportState, RunReport } from "./report.ts";

/**
 * The one job-state vocabulary the views (CLI progress, notebook, status) map from, psij-style:
 * `unsubmitted` (no attempt in the scheduler: not submitted yet, or waiting for a retry),
 * `queued` (submitted, not seen running), `running`, and the final `finished`, `failed`,
 * `dropped` (by `ratioUnfinished`).
 */
export type JobState = "unsubmitted" | "queued" | "running" | "finished" | "failed" | "dropped";

/**
 * Whether a job state is final: nothing more happens to the job in this run.
 *
 * @example
 * ```ts
 * import { isFinal } from "./run_view.ts";
 *
 * console.log(isFinal("dropped"), isFinal("queued")); // true false
 * ```
 */
export function isFinal(state: JobState): boolean {
  return state === "finished" || state === "failed" || state === "dropped";
}

/**
 * A report's job state in the shared vocabulary: `pending` and `cancelled` wait for a
 * submission; `queued` and `running` are as a poll last saw them.
 *
 * @example
 * ```ts
 * import { fromReportState } from "./run_view.ts";
 *
 * console.log(fromReportState("cancelled"), fromReportState("queued")); // "unsubmitted" "queued"
 * ```
 */
export function fromReportState(state: JobReportState): JobState {
  if (state === "pending" || state === "cancelled") return "unsubmitted";
  return state;
}

/** What a view knows of one job. */
export interface JobView {
  /** Its stable scheduler name. */
  readonly name: string;
  /** Where it stands. */
  readonly state: JobState;
  /** Attempts submitted while this view watched. */
  readonly attempts: number;
  /** The scheduler's id of its latest attempt. */
  readonly id?: string;
  /** Why it waits or failed, in words. */
  readonly reason?: string;
  /** Milliseconds from the first time it was seen running to its end, when seen. */
  readonly durationMs?: number;
}

/** Job counts by state, plus tasks done. */
export interface RunCounts {
  /** Jobs waiting in the scheduler's queue (submitted, not seen running). */
  readonly queued: number;
  /** Jobs not in the scheduler: not submitted yet (held by the queue window) or waiting to retry. */
  readonly waiting: number;
  /** Jobs running. */
  readonly running: number;
  /** Jobs finished (or dropped by `ratioUnfinished`). */
  readonly done: number;
  /** Jobs failed for good. */
  readonly failed: number;
  /** All jobs. */
  readonly jobs: number;
  /** Tasks that exited 0. */
  readonly tasksDone: number;
  /** All tasks. */
  readonly tasks: number;
}

interface MutableJob {
  name: string;
  state: JobState;
  attempts: number;
  id?: string;
  reason?: string;
  runningSince?: number;
  durationMs?: number;
}

/**
 * The one fold of a run's events that every view draws: the CLI's progress bar and lines, the
 * notebook's live table. Pure; starts from a plan (every job unsubmitted) or a recorded report.
 *
 * @example
 * ```ts
 * import { RunView } from "./run_view.ts";
 *
 * const view = new RunView();
 * view.apply({ type: "run:start", runId: "r", jobs: 1, tasks: 1, resumed: false, journal: "j" });
 * view.apply({ type: "job:submitted", job: "a", name: "dpd-a", attempt: 0, id: "7", recovered: false });
 * console.log(view.counts().queued, view.unsubmitted()); // 1 0
 * ```
 */
export class RunView {
  readonly #jobs = new Map<string, MutableJob>();
  readonly #tasksDone = new Set<string>();
  #jobCount = 0;
  #taskCount = 0;

  /** Starts from a plan's jobs, all unsubmitted (or from nothing). */
  constructor(plan?: Plan) {
    this.#jobCount = plan?.jobs.length ?? 0;
    this.#taskCount = plan?.tasks.length ?? 0;
    for (const j of plan?.jobs ?? []) {
      this.#jobs.set(j.hash, { name: j.name, state: "unsubmitted", attempts: 0 });
    }
  }

  /** Starts from a recorded run's report (a re-attached run begins where it stood). */
  seed(report: RunReport | undefined): void {
    if (!report) return;
    this.#jobCount = report.jobs.length;
    this.#taskCount = report.tasks.length;
    for (const job of report.jobs) {
      const state = fromReportState(job.state);
      this.#jobs.set(job.hash, { name: job.name, state, attempts: 0, id: job.id });
    }
    for (const t of report.tasks) if (t.state === "finished") this.#tasksDone.add(t.hash);
  }

  /** Applies one event; `now` times how long jobs run. */
  apply(e: RunEvent, now = Date.now()): void {
    if (e.type === "run:start") {
      this.#jobCount = e.jobs;
      this.#taskCount = e.tasks;
      return;
    }
    if (!("job" in e)) return;
    const job = this.#jobs.get(e.job) ?? { name: e.name, state: "unsubmitted", attempts: 0 };
    this.#jobs.set(e.job, job);
    switch (e.type) {
      case "job:submitting":
        job.reason = undefined;
        return;
      case "job:submitted":
        job.state = "queued";
        job.attempts++;
        job.id = e.id;
        return;
      case "job:pending":
        if (job.state !== "running") job.state = "queued";
        job.reason = e.reason;
        return;
      case "job:running":
        job.state = "running";
        job.reason = undefined;
        job.runningSince ??= now;
        return;
      case "job:ended":
        if (job.runningSince !== undefined) job.durationMs = now - job.runningSince;
        job.runningSince = undefined;
        if (!e.ok) job.reason = e.reason;
        for (const [task, code] of Object.entries(e.exitCodes)) {
          if (code === 0) this.#tasksDone.add(task);
        }
        return;
      case "job:retry":
        job.state = "unsubmitted";
        job.reason = `retry in ${e.delay} s${e.reason ? `: ${e.reason}` : ""}`;
        return;
      case "job:final":
        job.state = e.state;
        job.reason = e.reason;
        return;
    }
  }

  /** True once no job waits to be submitted. */
  allSubmitted(): boolean {
    return this.unsubmitted() === 0;
  }

  /** Jobs with no attempt in the scheduler: not submitted yet, or waiting for a retry. */
  unsubmitted(): number {
    let sent = 0;
    for (const job of this.#jobs.values()) if (job.state !== "unsubmitted") sent++;
    return this.#jobCount - sent;
  }

  /** The current counts. */
  counts(): RunCounts {
    const c = { queued: 0, waiting: 0, running: 0, done: 0, failed: 0 };
    for (const { state } of this.#jobs.values()) {
      if (state === "running") c.running++;
      else if (state === "queued") c.queued++;
      else if (state === "finished" || state === "dropped") c.done++;
      else if (state === "failed") c.failed++;
    }
    c.waiting = this.#jobCount - c.queued - c.running - c.done - c.failed;
    return { ...c, jobs: this.#jobCount, tasksDone: this.#tasksDone.size, tasks: this.#taskCount };
  }

  /**
   * What keeps queued jobs waiting, as the scheduler says it (`Resources (12)`): the most common
   * reason and how many jobs give it; undefined when none gave one (Slurm's `None` is none).
   */
  pendingReason(): string | undefined {
    const by = new Map<string, number>();
    for (const j of this.#jobs.values()) {
      if (j.state === "queued" && j.reason && j.reason !== "None") {
        by.set(j.reason, (by.get(j.reason) ?? 0) + 1);
      }
    }
    const [reason, n] = [...by].sort((a, b) => b[1] - a[1])[0] ?? [];
    return reason === undefined ? undefined : `${reason} (${n})`;
  }

  /** The scheduler ids of the jobs in its hands (queued or running): `"101-164"`, or one id. */
  liveIds(): string | undefined {
    const ids = [...this.#jobs.values()]
      .filter((j) => (j.state === "queued" || j.state === "running") && j.id !== undefined)
      .map((j) => j.id!);
    if (ids.length === 0) return undefined;
    const numeric = ids.every((id) => /^\d+$/.test(id));
    const sorted = numeric ? ids.sort((a, b) => Number(a) - Number(b)) : ids.sort();
    return sorted.length === 1 ? sorted[0] : `${sorted[0]}-${sorted.at(-1)}`;
  }

  /** Every job seen, in the order first seen. JSON-safe. */
  jobs(): JobView[] {
    return [...this.#jobs.values()].map((j) => ({
      name: j.name,
      state: j.state,
      attempts: j.attempts,
      id: j.id,
      reason: j.reason,
      durationMs: j.durationMs,
    }));
  }
}
