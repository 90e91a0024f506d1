import { readRuns } from "../runner/runs.ts";
import type { Dispatch } from "../api/dispatch.ts";
import { dispatch } from "../api/dispatch.ts";
import type { Resources as ResourcesValue } from "../plan/resources.ts";
import { type Task as TaskValue, task as makeTask, type TaskInput } from "../plan/task.ts";
import { dryRunPlan } from "../runner/dry_run.ts";
import type { RunEvent } from "../runner/events.ts";
import type { RunReport } from "../runner/report.ts";
import { dpdispatcherLogLine, type LogSink } from "./log.ts";
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

  /** dpdispatcher's name for {@linkcode Machine.loadFromDict}. */
  static load_from_dict(dict: unknown, options?: LoadOptions): Machine {
    return Machine.loadFromDict(dict, options);
  }

  /** dpdispatcher's name for {@linkcode Machine.loadFromJson}. */
  static load_from_json(path: string, options?: LoadOptions): Machine {
    return Machine.loadFromJson(path, options);
  }

  /** dpdispatcher's name for {@linkcode Machine.loadFromYaml}. */
  static load_from_yaml(path: string, options?: LoadOptions): Machine {
    return Machine.loadFromYaml(path, options);
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

  /** dpdispatcher's name for {@linkcode Resources.loadFromDict}. */
  static load_from_dict(dict: Record<string, unknown>, options?: LoadOptions): Resources {
    return Resources.loadFromDict(dict, options);
  }

  /** dpdispatcher's name for {@linkcode Resources.loadFromJson}. */
  static load_from_json(path: string, options?: LoadOptions): Resources {
    return Resources.loadFromJson(path, options);
  }

  /** dpdispatcher's name for {@linkcode Resources.loadFromYaml}. */
  static load_from_yaml(path: string, options?: LoadOptions): Resources {
    return Resources.loadFromYaml(path, options);
  }
}

/** A task's keyword arguments as dpdispatcher spells them. */
export interface TaskKeywords {
  /** The shell command. */
  readonly command: string;
  /** Its directory under the work base. */
  readonly task_work_path: string;
  /** Files (globs) sent before it runs. @default [] */
  readonly forward_files?: readonly string[];
  /** Files (globs) brought back after it ran. @default [] */
  readonly backward_files?: readonly string[];
  /** Its stdout file. @default "log" */
  readonly outlog?: string;
  /** Its stderr file. @default "err" */
  readonly errlog?: string;
}

/**
 * dpdispatcher's Task: `new Task({ command, task_work_path, forward_files, backward_files,
 * outlog })` with dpdispatcher's keyword names (camelCase `taskWorkPath` works too), or
 * `Task.load_from_json("task.json")`.
 */
export class Task {
  /** The validated task. */
  readonly value: TaskValue;

  /** Takes dpdispatcher's keyword arguments (`task_work_path`, ...) or the camelCase fields. */
  constructor(input: TaskKeywords | TaskInput) {
    const snakeCase = Object.keys(input).some((k) => k.includes("_"));
    // Like a Python keyword argument, an unknown key is an error (loadTask names it).
    this.value = snakeCase ? loadTask(input, { strict: true }) : makeTask(input as TaskInput);
  }

  /** Loads a task dict with dpdispatcher's snake_case keys. */
  static loadFromDict(dict: unknown, options?: LoadOptions): Task {
    const t = loadTask(dict, options);
    return new Task(t);
  }

  /** dpdispatcher's name for {@linkcode Task.loadFromDict}. */
  static load_from_dict(dict: unknown, options?: LoadOptions): Task {
    return Task.loadFromDict(dict, options);
  }

  /** dpdispatcher's name for {@linkcode Task.loadFromJson}. */
  static load_from_json(path: string, options?: LoadOptions): Task {
    return Task.loadFromJson(path, options);
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
  /**
   * Where each step is logged, as dpdispatcher's logger writes it (`asctime - LEVEL : message`);
   * `false` logs nothing. @default {console.log, dpdispatcher logs to stdout}
   */
  readonly log?: LogSink | false;
  /** dpdispatcher's spelling of `dryRun`. */
  readonly dry_run?: boolean;
  /** dpdispatcher's spelling of `exitOnSubmit`. */
  readonly exit_on_submit?: boolean;
}

/** A submission's keyword arguments, in dpdispatcher's spelling or camelCase. */
export interface SubmissionKeywords {
  /** The work base, relative to the machine's `local_root`. */
  readonly work_base?: string;
  /** camelCase for `work_base`. */
  readonly workBase?: string;
  /** Where jobs run. */
  readonly machine: Machine;
  /** What each job asks for. */
  readonly resources: Resources;
  /** The tasks. */
  readonly task_list?: readonly Task[];
  /** camelCase for `task_list`. */
  readonly taskList?: readonly Task[];
  /** Files every job needs. @default [] */
  readonly forward_common_files?: readonly string[];
  /** camelCase for `forward_common_files`. */
  readonly forwardCommonFiles?: readonly string[];
  /** Files brought back once. @default [] */
  readonly backward_common_files?: readonly string[];
  /** camelCase for `backward_common_files`. */
  readonly backwardCommonFiles?: readonly string[];
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
 * const task_list = [1, 2].map((i) =>
 *   new Task({ command: "cat example.txt", task_work_path: `dir${i}/`, forward_files: ["example.txt"], backward_files: ["out.txt"], outlog: "out.txt" })
 * );
 * const submission = new Submission({ work_base: "lammps_md_300K_5GPa/", machine, resources, task_list, forward_common_files: ["graph.pb"], backward_common_files: [] });
 * // await submission.run_submission({ clean: false });
 * ```
 */
export class Submission {
  readonly #builder: Dispatch;
  readonly #retryCount: number;

  /** Builds a submission from dpdispatcher's keyword arguments (`work_base`, `task_list`, ...). */
  constructor(init: SubmissionKeywords) {
    const given = init.work_base ?? init.workBase;
    if (typeof given !== "string" || given === "") {
      throw new TypeError(
        `Invalid submission.work_base: expected a directory path, got ${JSON.stringify(given)}`,
      );
    }
    const taskList = init.task_list ?? init.taskList;
    if (!Array.isArray(taskList) || taskList.some((t) => !(t instanceof Task))) {
      throw new TypeError("Invalid submission.task_list: expected a list of Task objects");
    }
    if (!(init.machine instanceof Machine)) {
      throw new TypeError(
        "Invalid submission.machine: expected a Machine (Machine.load_from_json(...))",
      );
    }
    if (!(init.resources instanceof Resources)) {
      throw new TypeError(
        "Invalid submission.resources: expected a Resources (new Resources({...}))",
      );
    }
    const root = init.machine.loaded.localRoot ?? ".";
    const workBase = given.startsWith("/") ? given : `${root.replace(/\/$/, "")}/${given}`;
    this.#builder = dispatch({ workBase })
      .on(init.machine.loaded.target)
      .with(init.resources.value)
      .tasks(taskList.map((t) => t.value))
      .forwardCommonFiles(...(init.forward_common_files ?? init.forwardCommonFiles ?? []))
      .backwardCommonFiles(...(init.backward_common_files ?? init.backwardCommonFiles ?? []));
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
    const sink = options.log === false ? undefined : options.log ?? ((l: string) => console.log(l));
    const ids = new Map<string, string>();
    const onEvent = sink && ((e: RunEvent) => {
      const line = dpdispatcherLogLine(e, ids);
      if (line !== undefined) sink(line);
    });
    if (options.dryRun ?? options.dry_run) {
      await dryRunPlan(plan, this.#builder.target, onEvent);
      return (await recorded())!;
    }
    return await this.#builder.run({
      retryCount: this.#retryCount,
      until: options.exitOnSubmit ?? options.exit_on_submit ? "submitted" : "end",
      clean: options.clean ?? false,
      onEvent,
    });
  }

  /** dpdispatcher's name for {@linkcode Submission.runSubmission}. */
  run_submission(options: RunSubmissionOptions = {}): Promise<RunReport> {
    return this.runSubmission(options);
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
