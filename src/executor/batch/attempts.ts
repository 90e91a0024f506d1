import { attemptPrefix, exitCodePath, jobsDirOf, scriptPath } from "../../layout.ts";
import type { Plan, PlanJob } from "../../plan/plan.ts";
import type { Task } from "../../plan/task.ts";
import type { Attempt } from "../executor.ts";
import type { Scheduler, SubmitRequest } from "./scheduler.ts";

/**
 * Where a batch run's files live on the execution side, and what a scheduler needs to submit an
 * attempt: pure path arithmetic over a plan, shared by staging, submitting and polling.
 *
 * @example
 * ```ts
 * import { dispatch, shellScheduler, task } from "@deepmodeling/dpdispatcher";
 * import { AttemptFiles } from "./attempts.ts";
 *
 * const plan = dispatch({ workBase: "/w" }).tasks(task({ command: "true", taskWorkPath: "t0" })).toPlan();
 * const files = new AttemptFiles(plan, shellScheduler, "/w");
 * const job = plan.jobs[0].hash;
 * console.log(files.endFiles({ job, attempt: 0, done: new Set() })[0].path.endsWith(`${job}.0.end`)); // true
 * ```
 */
export class AttemptFiles {
  /** The plan. */
  readonly plan: Plan;
  /** The scheduler, for its array chunk. */
  readonly scheduler: Scheduler;
  /** Where the task directories live. */
  readonly runRoot: string;
  /** Where scripts and attempt files live. */
  readonly jobsDir: string;
  readonly #jobs: Map<string, PlanJob>;
  readonly #chunk: number | undefined;

  /** Paths for a plan run by a scheduler under a run root. */
  constructor(plan: Plan, scheduler: Scheduler, runRoot: string) {
    this.plan = plan;
    this.scheduler = scheduler;
    this.runRoot = runRoot;
    this.jobsDir = jobsDirOf(runRoot, plan.runId);
    this.#jobs = new Map(plan.jobs.map((j) => [j.hash, j]));
    this.#chunk = scheduler.arrayChunk?.(plan.resources);
  }

  /** The plan job with this hash. */
  job(hash: string): PlanJob {
    const job = this.#jobs.get(hash);
    if (!job) {
      throw new RangeError(`Invalid job: "${hash}" is not a job of run "${this.plan.runId}"`);
    }
    return job;
  }

  /** The tasks of a job, in order. */
  tasksOf(hash: string): Task[] {
    return this.job(hash).tasks.map((i) => this.plan.tasks[i]);
  }

  /** For job-array schedulers, the elements with unfinished tasks; undefined for others. */
  elements(a: Attempt): number[] | undefined {
    const chunk = this.#chunk;
    if (!chunk) return undefined;
    const tasks = this.tasksOf(a.job);
    const out: number[] = [];
    for (let k = 0; k * chunk < tasks.length; k++) {
      if (tasks.slice(k * chunk, (k + 1) * chunk).some((t) => !a.done.has(t.hash))) out.push(k);
    }
    return out;
  }

  /** The end files an attempt writes (one, or one per submitted array element) and their tasks. */
  endFiles(a: Attempt): { path: string; tasks: Task[] }[] {
    const prefix = attemptPrefix(this.jobsDir, a.job, a.attempt);
    const tasks = this.tasksOf(a.job);
    const elements = this.elements(a);
    if (!elements) return [{ path: `${prefix}.end`, tasks }];
    const chunk = this.#chunk!;
    return elements.map((k) => ({
      path: `${prefix}.${k}.end`,
      tasks: tasks.slice(k * chunk, (k + 1) * chunk),
    }));
  }

  /** What the scheduler needs to submit one attempt. */
  request(a: Attempt): SubmitRequest {
    return {
      hash: a.job,
      name: this.job(a.job).name,
      attempt: a.attempt,
      script: scriptPath(this.jobsDir, a.job),
      attemptPrefix: attemptPrefix(this.jobsDir, a.job, a.attempt),
      elements: this.elements(a),
    };
  }

  /** Every exit-code file of the given jobs' tasks, with the task hashes, job by job. */
  exitCodeFiles(jobs: readonly string[]): { path: string; task: string }[][] {
    return jobs.map((job) =>
      this.tasksOf(job).map((t) => ({ path: `${this.runRoot}/${exitCodePath(t)}`, task: t.hash }))
    );
  }
}
