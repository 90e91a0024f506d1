import type { Plan } from "../plan/plan.ts";
import type { RunEvent } from "../runner/events.ts";
import { type JobState, RunView } from "../runner/run_view.ts";
import type { LiveJob, LiveSnapshot } from "./html.ts";

/** The notebook's four columns of the shared job states. */
function shown(state: JobState): LiveJob["state"] {
  if (state === "unsubmitted" || state === "queued") return "queued";
  if (state === "finished" || state === "dropped") return "done";
  return state;
}

/**
 * What a notebook shows while a run runs: the runner's event fold ({@linkcode RunView}), drawn as
 * each job's state, attempts and reason, and the counts. Every job of the plan starts queued;
 * only events move it, so after a re-attach the jobs settled earlier stay queued until the
 * report replaces the view.
 */
export class LiveRun {
  readonly #view: RunView;
  #runId?: string;
  #total?: number;
  #started = false;
  #resumed = false;
  #report?: LiveSnapshot["report"];
  #error?: string;

  /** Starts from a plan's jobs, all queued (or from nothing when the plan is not known). */
  constructor(plan?: Plan) {
    this.#view = new RunView(plan);
    this.#runId = plan?.runId;
    this.#total = plan?.jobs.length;
  }

  /** Takes one event into account. */
  see(event: RunEvent, now = Date.now()): void {
    if (event.type === "run:start") {
      this.#started = true;
      this.#runId = event.runId;
      this.#total = event.jobs;
      this.#resumed = event.resumed;
    }
    if (event.type === "run:end") this.#report = event.report;
    this.#view.apply(event, now);
  }

  /** The run stopped with an error (a `RunError` still carries its report). */
  stop(error: unknown): void {
    this.#error = error instanceof Error ? error.message : String(error);
  }

  /** What is known now. JSON-safe. */
  snapshot(): LiveSnapshot {
    const jobs = this.#view.jobs().map((j): LiveJob => ({
      name: j.name,
      state: shown(j.state),
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
