import { z } from "npm:zod@^4.1.0";
import { resourcesSchema } from "../plan/resources.ts";
import { taskSchema } from "../plan/task.ts";
import { BATCH_TYPES, CONTEXT_TYPES } from "../builtins.ts";
import { machineSchema } from "./load.ts";

/** The dpdispatcher inputs that {@linkcode jsonSchema} describes. */
export type SchemaKind = "machine" | "resources" | "task" | "submission";

/** Every kind {@linkcode jsonSchema} knows, in the order `dpdisp schema --help` lists them. */
export const SCHEMA_KINDS: readonly SchemaKind[] = ["submission", "machine", "resources", "task"];

// Editors suggest what runs: the built-ins map is the one list.
const SUPPORTED_BATCH_TYPES = Object.values(BATCH_TYPES).map((b) => b.batchType);

// Hover text for editors, keyed by snake_case key (the same text wherever the key appears).
const DESCRIPTIONS: Readonly<Record<string, string>> = {
  work_base: "Directory holding the task directories, relative to machine.local_root",
  machine: "Where the jobs run: batch type (scheduler) and context (how files and commands move)",
  resources: "What every job asks the scheduler for, and how its script is written",
  task_list: "The tasks; they are grouped into jobs of resources.group_size tasks",
  forward_common_files: "Files (relative to work_base) uploaded once for every task",
  backward_common_files: "Files or globs (relative to work_base) downloaded once at the end",
  batch_type: `Scheduler, case-insensitive: ${SUPPORTED_BATCH_TYPES.join(", ")}`,
  machine_type: "Old name of batch_type",
  context_type:
    "How files and commands reach the execution side, case-insensitive, Context suffix optional",
  local_root: "Local project directory; a relative work_base is taken from it",
  remote_root: "Absolute directory on the execution side (required for LocalContext and SSH)",
  clean_asynchronously: "Remove the remote directory in the background",
  retry_count: "Resubmissions of a failed job before giving up (0: fail at once)",
  remote_profile: "Context settings (LocalContext: symlink)",
  group_size: "Tasks per job; 0 puts every task in one job",
  number_node: "Nodes per job",
  cpu_per_node: "CPUs (tasks) per node, in the scheduler's own directive",
  gpu_per_node: "GPUs per node, in the scheduler's own directive (none at 0)",
  queue_name: "Partition or queue; empty for the scheduler's default",
  custom_flags: "Raw header lines added after the generated ones",
  strategy: "Script strategies",
  if_cuda_multi_devices: "Export CUDA_VISIBLE_DEVICES round robin over gpu_per_node",
  ratio_unfinished: "Once at least (1 - ratio) of the tasks finished, cancel the rest",
  customized_script_header_template_file:
    "File whose text replaces the scheduler header; {name} placeholders are filled",
  para_deg: "Tasks run concurrently inside one job",
  source_list: "Files sourced before the tasks",
  module_purge: "Emit `module purge`",
  module_unload_list: "Modules to unload",
  module_list: "Modules to load",
  envs: "Variables exported (a list gives one export per element)",
  prepend_script: "Raw lines before the tasks",
  append_script: "Raw lines after the tasks",
  wait_time: "Seconds to wait after each submission",
  kwargs: "Scheduler-specific extras (custom_gpu_line, slurm_job_size, ...)",
  walltime: 'Time limit: "90m", "1h30m", "01:30:00", "1-00:00:00" or seconds',
  memory: 'Memory per node: "4G", "512M" or MiB',
  account: "Account to charge",
  qos: "Quality of service",
  job_name: "Job name shown by the scheduler (default: the job's stable dpd-<hash> name)",
  command: "Shell command run inside task_work_path",
  task_work_path: "The task's directory, relative to work_base; must stay inside it",
  forward_files: "Files, directories or globs (relative to the task directory) sent before the run",
  backward_files: "Files or globs (relative to the task directory) brought back after the run",
  outlog: "File in the task directory receiving the command's stdout",
  errlog: "File in the task directory receiving the command's stderr",
};

const machineInput = machineSchema.extend({
  batch_type: z.string().min(1).optional(),
  machine_type: z.string().min(1).optional(),
});

// dpdispatcher's resources also take the batch type (it picks the kwargs it checks).
const resourcesInput = resourcesSchema.extend({ batchType: z.string().min(1).optional() });

const ZOD: Readonly<Record<SchemaKind, z.ZodType>> = {
  machine: machineInput,
  resources: resourcesInput,
  task: taskSchema,
  submission: z.object({
    work_base: z.string().min(1),
    machine: machineInput,
    resources: resourcesInput,
    task_list: z.array(taskSchema).min(1),
    forward_common_files: z.array(z.string().min(1)).default([]),
    backward_common_files: z.array(z.string().min(1)).default([]),
  }),
};

type Node = Record<string, unknown>;
const snake = (key: string) => key.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`);
const isNode = (v: unknown): v is Node => v !== null && typeof v === "object" && !Array.isArray(v);

/** Renames camelCase keys to dpdispatcher's snake_case, adds hover text and editor hints. */
function dpdispatcherKeys(node: unknown, key?: string): unknown {
  if (Array.isArray(node)) return node.map((n) => dpdispatcherKeys(n));
  if (!isNode(node)) return node;
  const out: Node = {};
  for (const [k, v] of Object.entries(node)) {
    if (k === "properties" && isNode(v)) {
      out[k] = Object.fromEntries(
        Object.entries(v).map(([name, sub]) => [snake(name), dpdispatcherKeys(sub, snake(name))]),
      );
    } else if (k === "required" && Array.isArray(v)) out[k] = v.map((n) => snake(String(n)));
    else if (k === "default" && isNode(v)) {
      out[k] = Object.fromEntries(Object.entries(v).map(([name, d]) => [snake(name), d]));
    } else out[k] = dpdispatcherKeys(v);
  }
  if (key && DESCRIPTIONS[key] && out.description === undefined) {
    out.description = DESCRIPTIONS[key];
  }
  if (isNode(out.properties)) {
    // dpdispatcher drops keys starting with "_" (comments); any other unknown key is a typo.
    out.patternProperties = { "^_": {} };
    out.additionalProperties = false;
    const props = out.properties as Record<string, Node>;
    if (props.batch_type && props.machine_type) {
      props.batch_type.anyOf = [{ enum: SUPPORTED_BATCH_TYPES }, { type: "string" }];
      props.context_type.anyOf = [{ enum: [...CONTEXT_TYPES] }, { type: "string" }];
      out.anyOf = [{ required: ["batch_type"] }, { required: ["machine_type"] }];
    }
  }
  return out;
}

/**
 * The JSON Schema (draft 2020-12) of a dpdispatcher input, generated from the same zod schemas
 * the loaders validate with, in dpdispatcher's snake_case keys: for editors (`"$schema"` in
 * YAML/JSON language servers) and other tools.
 *
 * @example
 * ```ts
 * import { jsonSchema } from "@deepmodeling/dpdispatcher/compat";
 *
 * const schema = jsonSchema("resources") as { required: string[] };
 * console.log(schema.required); // ["group_size"]
 * ```
 */
export function jsonSchema(kind: SchemaKind = "submission"): Record<string, unknown> {
  const zod = ZOD[kind];
  if (!zod) {
    throw new TypeError(
      `Invalid schema kind: expected ${SCHEMA_KINDS.join(", ")}, got ${JSON.stringify(kind)}`,
    );
  }
  const generated = z.toJSONSchema(zod, { io: "input", unrepresentable: "any" });
  const { $schema, ...rest } = dpdispatcherKeys(generated) as Node;
  return {
    $schema,
    title: `dpdispatcher ${kind}`,
    description: kind === "submission"
      ? "A dpdispatcher submission file, as run by `dpdisp submit FILE`"
      : `A dpdispatcher ${kind} dict`,
    ...rest,
  };
}
