import { readFileSync } from "node:fs";
import { z } from "npm:zod@^4.1.0";
import { parseMemory, parseWalltime } from "./units.ts";
import { envName, parseWith } from "./validate.ts";

/** A JSON value, as allowed in `kwargs`. */
export type JsonValue = string | number | boolean | null | JsonValue[] | {
  [key: string]: JsonValue;
};

/** What you pass to {@linkcode resources}: dpdispatcher's Resources keys in camelCase plus typed extras. */
export interface ResourcesInput {
  /** Tasks per job; 0 puts every task in one job. */
  readonly groupSize: number;
  /** Nodes per job. @default 1 */
  readonly numberNode?: number;
  /** CPUs (tasks) per node: each scheduler writes its own directive for it. @default 1 */
  readonly cpuPerNode?: number;
  /** GPUs per node: each scheduler writes its own directive for it. @default 0 */
  readonly gpuPerNode?: number;
  /** Partition or queue; empty means the scheduler's default. @default "" */
  readonly queueName?: string;
  /** Raw header lines added after the generated ones. @default [] */
  readonly customFlags?: readonly string[];
  /** Script strategies. @default {} */
  readonly strategy?: {
    /** Export `CUDA_VISIBLE_DEVICES` per task as dpdispatcher does: `paraDeg` tasks to a GPU, in turn over `gpuPerNode`, paraDeg × gpuPerNode at once. @default false */
    readonly ifCudaMultiDevices?: boolean;
    /** Once at least (1 - ratio) of the tasks finished, cancel the rest. @default 0 */
    readonly ratioUnfinished?: number;
    /** A file whose text replaces the scheduler header; `{name}` placeholders are filled. */
    readonly customizedScriptHeaderTemplateFile?: string;
    /** The template's text, read from the file by `resources()` (or given instead of a file). */
    readonly customizedScriptHeaderTemplate?: string;
  };
  /** Tasks run concurrently inside one job. @default 1 */
  readonly paraDeg?: number;
  /** Shell fragments sourced before the tasks, each written as `source <entry>` (`"activate /opt/env"` passes an argument). @default [] */
  readonly sourceList?: readonly string[];
  /** Emit `module purge`. @default false */
  readonly modulePurge?: boolean;
  /** Modules to unload. @default [] */
  readonly moduleUnloadList?: readonly string[];
  /** Modules to load. @default [] */
  readonly moduleList?: readonly string[];
  /** Variables exported for every task (`export K=V`; a one-word V is written as given, so `$VAR` and `~` expand; others are double-quoted); a list gives one export per element. @default {} */
  readonly envs?: Readonly<Record<string, string | number | readonly (string | number)[]>>;
  /** Raw lines before the tasks. @default [] */
  readonly prependScript?: readonly string[];
  /** Raw lines after the tasks. @default [] */
  readonly appendScript?: readonly string[];
  /** Seconds to wait after each submission. @default 0 */
  readonly waitTime?: number;
  /** Scheduler-specific extras, read by the scheduler that knows them. @default {} */
  readonly kwargs?: Readonly<Record<string, JsonValue>>;
  /** Time limit: `"90m"`, `"1h30m"`, `"01:30:00"`, `"1-00:00:00"` or seconds. */
  readonly walltime?: string | number;
  /** Memory per node: `"4G"`, `"512M"` or MiB. */
  readonly memory?: string | number;
  /** Account to charge. */
  readonly account?: string;
  /** Quality of service. */
  readonly qos?: string;
  /** Job name shown by the scheduler; defaults to the job's stable `dpd-<hash>` name. */
  readonly jobName?: string;
}

/** Validated, frozen resources with every default filled; `walltime` in seconds, `memory` in MiB. */
export interface Resources {
  /** Always `"resources"`. */
  readonly kind: "resources";
  /** Tasks per job (0 = all in one). */
  readonly groupSize: number;
  /** Nodes per job. */
  readonly numberNode: number;
  /** CPUs per node. */
  readonly cpuPerNode: number;
  /** GPUs per node. */
  readonly gpuPerNode: number;
  /** Partition or queue ("" for default). */
  readonly queueName: string;
  /** Raw header lines. */
  readonly customFlags: readonly string[];
  /** Strategies. */
  readonly strategy: {
    readonly ifCudaMultiDevices: boolean;
    readonly ratioUnfinished: number;
    readonly customizedScriptHeaderTemplateFile?: string;
    /** The template's text, read from the file by `resources()` (or given instead of a file). */
    readonly customizedScriptHeaderTemplate?: string;
  };
  /** Concurrent tasks per job. */
  readonly paraDeg: number;
  /** Files sourced before the tasks. */
  readonly sourceList: readonly string[];
  /** Emit `module purge`. */
  readonly modulePurge: boolean;
  /** Modules to unload. */
  readonly moduleUnloadList: readonly string[];
  /** Modules to load. */
  readonly moduleList: readonly string[];
  /** Exports (lists give several). */
  readonly envs: Readonly<Record<string, string | readonly string[]>>;
  /** Raw lines before the tasks. */
  readonly prependScript: readonly string[];
  /** Raw lines after the tasks. */
  readonly appendScript: readonly string[];
  /** Seconds to wait after each submission. */
  readonly waitTime: number;
  /** Scheduler-specific extras. */
  readonly kwargs: Readonly<Record<string, JsonValue>>;
  /** Time limit in seconds. */
  readonly walltime?: number;
  /** Memory per node in MiB. */
  readonly memory?: number;
  /** Account to charge. */
  readonly account?: string;
  /** Quality of service. */
  readonly qos?: string;
  /** Scheduler job name. */
  readonly jobName?: string;
}

const count = (min: number) =>
  z.number().int(`expected an integer`).min(min, `expected an integer >= ${min}`);
const strings = z.array(z.string()).default([]);
const name = z.string().regex(/^[^\s'"\\]+$/, "must be one word without quotes or spaces");
const json: z.ZodType<JsonValue> = z.lazy(() =>
  z.union([
    z.string(),
    z.number(),
    z.boolean(),
    z.null(),
    z.array(json),
    z.record(z.string(), json),
  ])
);

const schema = z.object({
  groupSize: count(0),
  numberNode: count(1).default(1),
  cpuPerNode: count(1).default(1),
  gpuPerNode: count(0).default(0),
  // A header directive is one line: a line break would end it and run the rest as shell code.
  queueName: z.string().regex(/^[^\n\r]*$/, "must be one line").default(""),
  customFlags: strings,
  strategy: z.object({
    ifCudaMultiDevices: z.boolean().default(false),
    ratioUnfinished: z.number().min(0, "expected a ratio from 0 to below 1").lt(
      1,
      "expected a ratio from 0 to below 1",
    )
      .default(0),
    customizedScriptHeaderTemplateFile: z.string().min(1).optional(),
    customizedScriptHeaderTemplate: z.string().optional(),
  }).strict().default({ ifCudaMultiDevices: false, ratioUnfinished: 0 }),
  paraDeg: count(1).default(1),
  sourceList: strings,
  modulePurge: z.boolean().default(false),
  moduleUnloadList: strings,
  moduleList: strings,
  envs: z.record(
    envName,
    z.union([
      z.string(),
      z.number().transform(String),
      z.array(z.union([z.string(), z.number().transform(String)])),
    ]),
  ).default({}),
  prependScript: strings,
  appendScript: strings,
  waitTime: z.number().min(0, "expected seconds >= 0").default(0),
  kwargs: z.record(z.string(), json).default({}),
  walltime: z.union([z.string(), z.number()]).transform((v, ctx) => {
    const seconds = parseWalltime(v);
    if (seconds === undefined) {
      ctx.addIssue({
        code: "custom",
        message: 'expected a duration like "90m", "1h30m" or "01:30:00"',
      });
      return z.NEVER;
    }
    return seconds;
  }).optional(),
  memory: z.union([z.string(), z.number()]).transform((v, ctx) => {
    const mib = parseMemory(v);
    if (mib === undefined) {
      ctx.addIssue({ code: "custom", message: 'expected a size like "4G" or "512M"' });
      return z.NEVER;
    }
    return mib;
  }).optional(),
  account: name.optional(),
  qos: name.optional(),
  jobName: name.optional(),
}).strict();

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === "object" && !Object.isFrozen(value)) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/**
 * Describes the resources of every job: dpdispatcher's Resources (camelCase) plus typed
 * `walltime`, `memory`, `account`, `qos` and `jobName`. Throws a `TypeError` naming the field
 * and value for bad input, before anything runs.
 *
 * @example
 * ```ts
 * import { resources } from "@deepmodeling/dpdispatcher";
 *
 * const res = resources({ groupSize: 5, cpuPerNode: 4, queueName: "debug", walltime: "1h30m", memory: "4G" });
 * console.log(res.walltime, res.memory); // 5400 4096
 * ```
 */
export function resources(input: ResourcesInput): Resources {
  const r = parseWith(schema, input, "resources");
  if (r.strategy.ifCudaMultiDevices && r.gpuPerNode === 0) {
    throw new TypeError(
      "Invalid resources.strategy.ifCudaMultiDevices: needs gpuPerNode > 0, got gpuPerNode 0",
    );
  }
  if (r.strategy.ifCudaMultiDevices && r.numberNode !== 1) {
    // dpdispatcher refuses it too: the round robin numbers the GPUs of one node.
    throw new TypeError(
      `Invalid resources.strategy.ifCudaMultiDevices: needs numberNode 1, got numberNode ${r.numberNode}`,
    );
  }
  for (const key of ["customGpuLine", "custom_gpu_line"]) {
    const line = r.kwargs[key];
    // A list would be dropped by the schedulers' string test and the default GPU line written.
    if (line !== undefined && line !== null && typeof line !== "string") {
      throw new TypeError(
        `Invalid resources.kwargs.${key}: expected one header line (a string), got ${
          JSON.stringify(line)
        }; put further lines in customFlags`,
      );
    }
  }
  const file = r.strategy.customizedScriptHeaderTemplateFile;
  if (file !== undefined && r.strategy.customizedScriptHeaderTemplate === undefined) {
    // Read here, at the boundary: the plan holds the text, so render() is pure and the job
    // hash follows what the header says, not where the file happens to be.
    r.strategy.customizedScriptHeaderTemplate = readTemplate(file);
  }
  return deepFreeze({ kind: "resources" as const, ...r });
}

function readTemplate(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch {
    throw new TypeError(
      `Invalid resources.strategy.customizedScriptHeaderTemplateFile: cannot read "${file}"`,
    );
  }
}

/** The zod schema behind {@linkcode ResourcesInput}, for generating a JSON Schema. */
export const resourcesSchema: typeof schema = schema;
