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
 * A report's job state in the shared vocabulary. A report knows only that an attempt is in the
 * scheduler, not whether it started: `running` there is `queued` here until an event says more.
 *
 * @example
 * ```ts
 * import { fromReportState } from "./run_view.ts";
 *
 * console.log(fromReportState("cancelled"), fromReportState("running")); // "unsubmitted" "queued"
 * ```
 */
export function fromReportState(state: JobReportState): JobState {
  if (state === "pending" || state === "cancelled") return "unsubmitted";
  if (state === "running") return "queued";
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
  /** Jobs not submitted yet, or waiting in the scheduler's queue. */
  readonly queued: number;
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
    const c = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const { state } of this.#jobs.values()) {
      if (state === "running") c.running++;
      else if (state === "finished" || state === "dropped") c.done++;
      else if (state === "failed") c.failed++;
    }
    c.queued = this.#jobCount - c.running - c.done - c.failed;
    return { ...c, jobs: this.#jobCount, tasksDone: this.#tasksDone.size, tasks: this.#taskCount };
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
