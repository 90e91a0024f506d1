import { resolve } from "node:path";
import { escapeHtml, liveBundle, planBundle, reportBundle } from "../display/html.ts";
import { defineDisplay, JUPYTER_DISPLAY, type MimeBundle } from "../display/jupyter.ts";
import { LiveRun } from "../display/live.ts";
import type { RenderedJob, Target } from "../executor/executor.ts";
// The default target is the one adapter the facade names: `dispatch()` alone runs locally in place.
import { shell } from "../executor/batch/shell/shell.ts";
import { buildPlan, type Plan } from "../plan/plan.ts";
import type { Permissions } from "../plan/permissions.ts";
import {
  type Resources,
  resources as makeResources,
  type ResourcesInput,
} from "../plan/resources.ts";
import { type Task, task as makeTask, type TaskInput } from "../plan/task.ts";
import { cancelPlan } from "../runner/cancel.ts";
import { EventChannel, type RunEvent } from "../runner/events.ts";
import { permissions } from "../runner/permissions.ts";
import type { RunReport } from "../runner/report.ts";
import { RunError } from "../runner/run_error.ts";
import { resolveRunOptions, type RunOptions, runPlan } from "../runner/runner.ts";

export type { RenderedJob };

/** A frozen copy of a plan or report that the Deno Jupyter kernel shows (not enumerable). */
function shown<T extends object>(value: T, bundle: (v: T) => MimeBundle): T {
  const copy: T = { ...value };
  return Object.freeze(defineDisplay(copy, () => bundle(copy)));
}

/** Options of {@linkcode dispatch}. */
export interface DispatchOptions {
  /** Local directory that holds the task directories (dpdispatcher's `work_base`). @default "." */
  readonly workBase?: string;
}

/**
 * A run in progress: a promise of the report that is also an async iterable of events.
 * Start iterating right away to see every event.
 */
export interface RunPromise extends Promise<RunReport>, AsyncIterable<RunEvent> {}

interface State {
  readonly workBase: string;
  readonly target?: Target;
  readonly resources?: Resources;
  readonly tasks: readonly Task[];
  readonly forwardCommonFiles: readonly string[];
  readonly backwardCommonFiles: readonly string[];
}

/**
 * An immutable builder of a run. Every method returns a new builder; the old one is unchanged.
 * Create it with {@linkcode dispatch}.
 */
export class Dispatch {
  readonly #state: State;

  /** Use {@linkcode dispatch} instead. */
  constructor(state: State) {
    this.#state = Object.freeze(state);
  }

  #with(change: Partial<State>): Dispatch {
    return new Dispatch({ ...this.#state, ...change });
  }

  /** Where the jobs run: `shell(lazyLocal())` (the default), `shell(local({ remoteRoot }))`. */
  on(target: Target): Dispatch {
    if (target?.kind !== "target" || typeof target.executor?.open !== "function") {
      throw new TypeError(
        `Invalid target: expected shell(...) or another scheduler, got ${JSON.stringify(target)}`,
      );
    }
    return this.#with({ target });
  }

  /** The resources of every job: a `resources(...)` value or its input. */
  with(res: Resources | ResourcesInput): Dispatch {
    return this.#with({
      resources: "kind" in res && res.kind === "resources" ? res as Resources : makeResources(res),
    });
  }

  /** Adds tasks (values, inputs, or arrays of them; pass an array for large lists). */
  tasks(...tasks: readonly (Task | TaskInput | readonly (Task | TaskInput)[])[]): Dispatch {
    const added = tasks.flat().map((
      t,
    ) => ("kind" in t && t.kind === "task" ? t as Task : makeTask(t)));
    return this.#with({ tasks: [...this.#state.tasks, ...added] });
  }

  /** Adds files (relative to the work base) uploaded once for every task. */
  forwardCommonFiles(...paths: readonly string[]): Dispatch {
    return this.#with({ forwardCommonFiles: [...this.#state.forwardCommonFiles, ...paths] });
  }

  /** Adds files or globs (relative to the work base) downloaded once at the end. */
  backwardCommonFiles(...paths: readonly string[]): Dispatch {
    return this.#with({ backwardCommonFiles: [...this.#state.backwardCommonFiles, ...paths] });
  }

  /** The target in use (`shell(lazyLocal())` unless `.on()` set one). */
  get target(): Target {
    return this.#state.target ?? shell();
  }

  /** The frozen, JSON-safe plan: tasks grouped into jobs, every hash and the run id. Pure. */
  toPlan(): Plan {
    return shown(this.#plan(), planBundle);
  }

  #plan(): Plan {
    const s = this.#state;
    return buildPlan({
      workBase: s.workBase,
      target: this.target.executor.record,
      resources: s.resources ?? makeResources({ groupSize: 1 }),
      tasks: s.tasks,
      forwardCommonFiles: s.forwardCommonFiles,
      backwardCommonFiles: s.backwardCommonFiles,
    });
  }

  /**
   * The exact Deno permissions `run()` needs, by kind and as `deno run` flags. Pure; `run()`
   * checks them first and throws a `PermissionError` listing the missing ones.
   *
   * @example
   * ```ts
   * import { dispatch, task } from "@deepmodeling/dpdispatcher";
   *
   * const builder = dispatch({ workBase: "work" }).tasks(task({ command: "true", taskWorkPath: "t0" }));
   * console.log(builder.permissions().flags.join(" "));
   * // --allow-read=work --allow-write=work --allow-run=bash,ps --allow-env --allow-sys=hostname
   * ```
   */
  permissions(): Permissions {
    return permissions(this.#plan(), this.target);
  }

  /** Every job script as it would be written: no side effects, no connection. */
  render(): RenderedJob[] {
    const plan = this.#plan();
    return this.target.executor.render(plan, resolve(plan.workBase));
  }

  /**
   * Runs the plan to the end: stage, submit, poll, collect each job's results as it ends,
   * retry failures, report. Re-running the same plan after a crash or abort re-attaches to it:
   * nothing is submitted twice and nothing finished runs again. Under Deno it first checks
   * {@linkcode Dispatch.permissions} and, before touching anything, rejects with one
   * `PermissionError` naming every missing flag.
   */
  run(options: RunOptions = {}): RunPromise {
    const channel = new EventChannel();
    // The plan is built now (a bad one rejects the promise below, after the options are checked).
    let plan: Plan | undefined;
    let planError: unknown;
    try {
      plan = this.#plan();
    } catch (error) {
      planError = error;
    }
    const live = new LiveRun(plan);
    const emit = (event: RunEvent) => {
      live.see(event);
      try {
        options.onEvent?.(event);
      } catch {
        // A listener's bug must not stop the run or lose results.
      }
      channel.push(event);
    };
    const promise = (async () => {
      try {
        const resolved = resolveRunOptions(options);
        if (plan === undefined) throw planError;
        const report = shown(await runPlan(plan, this.target, resolved, { emit }), reportBundle);
        // Returning once every job is submitted, only a job that failed outright is a failure.
        const failed = resolved.until === "submitted"
          ? report.jobs.some((j) => j.state === "failed")
          : !report.ok;
        if (failed && resolved.throwOnFailure) throw new RunError(report);
        return report;
      } catch (error) {
        live.stop(error);
        throw error;
      } finally {
        channel.close();
      }
    })() as RunPromise;
    promise[Symbol.asyncIterator] = () => channel.iterate();
    // In a notebook, the run shows its counts so far, then its report.
    return defineDisplay(promise, () => liveBundle(live.snapshot()));
  }

  /**
   * What the Deno Jupyter kernel shows for a builder: its plan's jobs, tasks and resources.
   *
   * @example
   * ```ts
   * import { dispatch, JUPYTER_DISPLAY, task } from "@deepmodeling/dpdispatcher";
   *
   * const builder = dispatch({ workBase: "work" }).tasks(task({ command: "true", taskWorkPath: "t0" }));
   * console.log(builder[JUPYTER_DISPLAY]()["text/plain"].split("\n")[0]);
   * // Plan 6eab53e48b7a0343: 1 task in 1 job on shell over lazyLocal, work base "work"
   * ```
   */
  [JUPYTER_DISPLAY](): MimeBundle {
    if (this.#state.tasks.length === 0) {
      const text = `An empty plan (no tasks yet), work base "${this.#state.workBase}"`;
      return { "text/html": `<p>${escapeHtml(text)}</p>`, "text/plain": text };
    }
    return planBundle(this.#plan());
  }

  /**
   * Cancels every job of this plan's run that is still queued or running (one scheduler command
   * for all: `scancel a b c`, `kill`), for example after a `run()` was aborted and left them
   * running. The next `run()` resubmits what did not finish. Returns how many were cancelled.
   * Refused with a `StateError` while a runner drives the run.
   */
  cancel(): Promise<number> {
    return cancelPlan(this.#plan(), this.target);
  }
}

/**
 * Starts an immutable run builder.
 *
 * @example Run five tasks on this machine, two per job
 * ```ts
 * import { dispatch, resources, task } from "@deepmodeling/dpdispatcher";
 *
 * const tasks = [0, 1, 2, 3, 4].map((i) =>
 *   task({ command: `echo ${i} > out.txt`, taskWorkPath: `t${i}`, backwardFiles: ["out.txt"] })
 * );
 * const builder = dispatch({ workBase: "work" })
 *   .with(resources({ groupSize: 2 }))
 *   .tasks(tasks);
 * console.log(builder.toPlan().jobs.length); // 3
 * console.log(builder.render()[0].script.split("\n")[0]); // "#!/bin/bash"
 * ```
 */
export function dispatch(options: DispatchOptions = {}): Dispatch {
  const workBase = options.workBase ?? ".";
  if (typeof workBase !== "string" || workBase === "") {
    throw new TypeError(
      `Invalid dispatch.workBase: expected a directory path, got ${JSON.stringify(workBase)}`,
    );
  }
  return new Dispatch({ workBase, tasks: [], forwardCommonFiles: [], backwardCommonFiles: [] });
}
