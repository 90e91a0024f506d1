import { readRuns } from "../runner/runs.ts";
import type { Dispatch } from "../api/dispatch.ts";
import { dispatch } from "../api/dispatch.ts";
import type { Resources as ResourcesValue } from "../plan/resources.ts";
import { type Task as TaskValue, task as makeTask, type TaskInput } from "../plan/task.ts";
import { dryRunPlan } from "../runner/dry_run.ts";
import type { RunReport } from "../runner/report.ts";
import {
  type LoadedMachine,
  loadMachine,
  type LoadOptions,
  loadResources,
  loadTask,
  readInputFile,
} from "./load.ts";

/** dpdispatcher's job states, with its numeric values. */
export enum JobStatus {
  unsubmitted = 1,
  waiting = 2,
  running = 3,
  terminated = 4,
  finished = 5,
  completing = 6,
  unknown = 100,
}

const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);

/**
 * dpdispatcher's Machine: where jobs run. `Machine.loadFromJson("machine.json")`.
 *
 * @example
 * ```ts
 * import { Machine } from "@deepmodeling/dpdispatcher/compat";
 *
 * const machine = Machine.loadFromDict({ batch_type: "Shell", context_type: "LazyLocalContext", local_root: "./" });
 * ```
 */
export class Machine {
  /** The loaded machine: target, local root, retry budget. */
  readonly loaded: LoadedMachine;

  private constructor(loaded: LoadedMachine) {
    this.loaded = loaded;
  }

  /** Loads a machine dict (dpdispatcher's keys). */
  static loadFromDict(dict: unknown, options?: LoadOptions): Machine {
    return new Machine(loadMachine(dict, options));
  }

  /** Loads a machine JSON file (or YAML, when it ends in `.yaml` or `.yml`). */
  static loadFromJson(path: string, options?: LoadOptions): Machine {
    return Machine.loadFromDict(readInputFile(path).value, options);
  }

  /** Loads a machine YAML file. */
  static loadFromYaml(path: string, options?: LoadOptions): Machine {
    return Machine.loadFromDict(readInputFile(path, "yaml").value, options);
  }
}

/** dpdispatcher's Resources: `Resources.loadFromJson("resources.json")` or `new Resources({ group_size: 5 })`. */
export class Resources {
  /** The validated resources. */
  readonly value: ResourcesValue;

  /** Takes a resources dict with dpdispatcher's snake_case keys. */
  constructor(dict: Record<string, unknown>, options?: LoadOptions) {
    this.value = loadResources(dict, options);
  }

  /** Loads a resources dict. */
  static loadFromDict(dict: Record<string, unknown>, options?: LoadOptions): Resources {
    return new Resources(dict, options);
  }

  /** Loads a resources JSON file (or YAML, when it ends in `.yaml` or `.yml`). */
  static loadFromJson(path: string, options?: LoadOptions): Resources {
    return new Resources(readInputFile(path).value as Record<string, unknown>, options);
  }

  /** Loads a resources YAML file. */
  static loadFromYaml(path: string, options?: LoadOptions): Resources {
    return new Resources(readInputFile(path, "yaml").value as Record<string, unknown>, options);
  }

  /** The resources as a dpdispatcher dict (snake_case keys). */
  serialize(): Record<string, unknown> {
    return resourcesDict(this.value);
  }
}

/** dpdispatcher's Task: `new Task({ command, taskWorkPath, ... })` or `Task.loadFromJson("task.json")`. */
export class Task {
  /** The validated task. */
  readonly value: TaskValue;

  /** Takes the task's fields in camelCase. */
  constructor(input: TaskInput) {
    this.value = makeTask(input);
  }

  /** Loads a task dict with dpdispatcher's snake_case keys. */
  static loadFromDict(dict: unknown, options?: LoadOptions): Task {
    const t = loadTask(dict, options);
    return new Task(t);
  }

  /** Loads a task JSON file (or YAML, when it ends in `.yaml` or `.yml`). */
  static loadFromJson(path: string, options?: LoadOptions): Task {
    return Task.loadFromDict(readInputFile(path).value, options);
  }

  /** Loads a task YAML file. */
  static loadFromYaml(path: string, options?: LoadOptions): Task {
    return Task.loadFromDict(readInputFile(path, "yaml").value, options);
  }

  /** Same as {@linkcode Task.loadFromDict}. */
  static deserialize(dict: unknown): Task {
    return Task.loadFromDict(dict);
  }

  /** The task as a dpdispatcher dict. */
  serialize(): Record<string, unknown> {
    const { kind: _kind, hash: _hash, ...rest } = this.value;
    return Object.fromEntries(Object.entries(rest).map(([k, v]) => [snake(k), v]));
  }
}

/** Options of {@linkcode Submission.runSubmission}. */
export interface RunSubmissionOptions {
  /**
   * dpdispatcher's `dry_run`: stage the run (upload the inputs, write the job scripts) and
   * submit nothing; a later `runSubmission()` re-attaches and submits. @default false
   */
  readonly dryRun?: boolean;
  /** Return as soon as every job is submitted, leaving them running. @default false */
  readonly exitOnSubmit?: boolean;
  /** Remove the run's remote copy once every job finished (never the default). @default false */
  readonly clean?: boolean;
}

/**
 * dpdispatcher's Submission, for line-by-line ports. A thin layer over `dispatch()`.
 *
 * @example The seed document's Getting Started, on this machine
 * ```ts
 * import { Machine, Resources, Submission, Task } from "@deepmodeling/dpdispatcher/compat";
 *
 * const machine = Machine.loadFromDict({ batch_type: "Shell", context_type: "LazyLocalContext", local_root: "./" });
 * const resources = new Resources({ number_node: 1, cpu_per_node: 4, gpu_per_node: 0, queue_name: "", group_size: 5 });
 * const taskList = [1, 2].map((i) =>
 *   new Task({ command: "cat example.txt", taskWorkPath: `dir${i}/`, forwardFiles: ["example.txt"], backwardFiles: ["out.txt"], outlog: "out.txt" })
 * );
 * const submission = new Submission({ workBase: "lammps_md_300K_5GPa/", machine, resources, taskList });
 * // await submission.runSubmission();
 * ```
 */
export class Submission {
  readonly #builder: Dispatch;
  readonly #retryCount: number;

  /** Builds a submission from its parts (dpdispatcher's keyword arguments in camelCase). */
  constructor(init: {
    workBase: string;
    machine: Machine;
    resources: Resources;
    taskList: readonly Task[];
    forwardCommonFiles?: readonly string[];
    backwardCommonFiles?: readonly string[];
  }) {
    const root = init.machine.loaded.localRoot ?? ".";
    const workBase = init.workBase.startsWith("/")
      ? init.workBase
      : `${root.replace(/\/$/, "")}/${init.workBase}`;
    this.#builder = dispatch({ workBase })
      .on(init.machine.loaded.target)
      .with(init.resources.value)
      .tasks(init.taskList.map((t) => t.value))
      .forwardCommonFiles(...(init.forwardCommonFiles ?? []))
      .backwardCommonFiles(...(init.backwardCommonFiles ?? []));
    this.#retryCount = init.machine.loaded.retryCount;
  }

  /** The fluent builder behind it, for everything the class API does not cover. */
  get builder(): Dispatch {
    return this.#builder;
  }

  /**
   * Runs to the end (or, with `exitOnSubmit`, until every job is submitted; with `dryRun`, until
   * it is staged) and returns the report; throws a `RunError` when a job failed. Rerunning
   * re-attaches to the same run.
   */
  async runSubmission(options: RunSubmissionOptions = {}): Promise<RunReport> {
    const plan = this.#builder.toPlan();
    const recorded = async () =>
      (await readRuns(plan.workBase)).find((r) => r.runId === plan.runId);
    if (options.dryRun) {
      await dryRunPlan(plan, this.#builder.target);
      return (await recorded())!;
    }
    return await this.#builder.run({
      retryCount: this.#retryCount,
      until: options.exitOnSubmit ? "submitted" : "end",
      clean: options.clean ?? false,
    });
  }

  /** The submission as a dpdispatcher dict (machine settings without secrets). */
  serialize(): Record<string, unknown> {
    const plan = this.#builder.toPlan();
    return {
      work_base: plan.workBase,
      resources: resourcesDict(plan.resources),
      task_list: plan.tasks.map((t) => new Task(t).serialize()),
      forward_common_files: [...plan.forwardCommonFiles],
      backward_common_files: [...plan.backwardCommonFiles],
      run_id: plan.runId,
    };
  }
}

function resourcesDict(r: ResourcesValue): Record<string, unknown> {
  const { kind: _kind, strategy, kwargs, ...rest } = r;
  return {
    ...Object.fromEntries(Object.entries(rest).map(([k, v]) => [snake(k), v])),
    strategy: Object.fromEntries(Object.entries(strategy).map(([k, v]) => [snake(k), v])),
    kwargs: Object.fromEntries(Object.entries(kwargs).map(([k, v]) => [snake(k), v])),
  };
}
