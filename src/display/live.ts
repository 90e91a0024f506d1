import type { Plan } from "../plan/plan.ts";
import type { RunEvent } from "../runner/events.ts";
import type { LiveJob, LiveSnapshot } from "./html.ts";

interface Job {
  name: string;
  state: LiveJob["state"];
  attempts: number;
  reason?: string;
  runningSince?: number;
  durationMs?: number;
}

/**
 * Folds a run's events into what a notebook shows while it runs: each job's state, attempts and
 * reason, and the counts. Every job of the plan starts queued; only events move it, so after a
 * re-attach the jobs settled earlier stay queued until the report replaces the view.
 */
export class LiveRun {
  #runId?: string;
  #total?: number;
  #started = false;
  #resumed = false;
  readonly #jobs = new Map<string, Job>();
  #report?: LiveSnapshot["report"];
  #error?: string;

  /** Starts from a plan's jobs, all queued (or from nothing when the plan is not known). */
  constructor(plan?: Plan) {
    this.#runId = plan?.runId;
    this.#total = plan?.jobs.length;
    for (const j of plan?.jobs ?? []) {
      this.#jobs.set(j.hash, { name: j.name, state: "queued", attempts: 0 });
    }
  }

  /** Takes one event into account. */
  see(event: RunEvent, now = Date.now()): void {
    if (event.type === "run:start") {
      this.#started = true;
      this.#runId = event.runId;
      this.#total = event.jobs;
      this.#resumed = event.resumed;
      return;
    }
    if (event.type === "run:end") {
      this.#report = event.report;
      return;
    }
    if (!("job" in event)) return;
    const job = this.#jobs.get(event.job) ?? { name: event.name, state: "queued", attempts: 0 };
    this.#jobs.set(event.job, job);
    switch (event.type) {
      case "job:submitting":
        job.state = "queued";
        job.reason = undefined;
        break;
      case "job:submitted":
        job.attempts++;
        break;
      case "job:pending":
        job.state = "queued";
        job.reason = event.reason;
        break;
      case "job:running":
        job.state = "running";
        job.reason = undefined;
        job.runningSince ??= now;
        break;
      case "job:ended":
        if (job.runningSince !== undefined) job.durationMs = now - job.runningSince;
        job.runningSince = undefined;
        if (!event.ok) job.reason = event.reason;
        break;
      case "job:retry":
        job.state = "queued";
        job.reason = `retry in ${event.delay} s${event.reason ? `: ${event.reason}` : ""}`;
        break;
      case "job:final":
        job.state = event.state === "failed" ? "failed" : "done";
        job.reason = event.reason;
        break;
    }
  }

  /** The run stopped with an error (a `RunError` still carries its report). */
  stop(error: unknown): void {
    this.#error = error instanceof Error ? error.message : String(error);
  }

  /** What is known now. JSON-safe. */
  snapshot(): LiveSnapshot {
    const jobs = [...this.#jobs.values()].map((j): LiveJob => ({
      name: j.name,
      state: j.state,
      attempts: j.attempts,
      durationMs: j.durationMs,
      reason: j.reason,
    }));
    const counts = { queued: 0, running: 0, done: 0, failed: 0 };
    for (const j of jobs) counts[j.state]++;
    return {
      runId: this.#runId,
      total: this.#total,
      started: this.#started,
      resumed: this.#resumed,
      counts,
      jobs,
      report: this.#report,
      error: this.#error,
    };
  }
}
