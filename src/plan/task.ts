import { posix } from "node:path";
import { z } from "npm:zod@^4.1.0";
import { hashOf } from "./hash.ts";
import { envName, parseWith, relativePath } from "./validate.ts";

/** What you pass to {@linkcode task}: dpdispatcher's Task keys in camelCase. */
export interface TaskInput {
  /** The shell command to run inside the task's directory. */
  readonly command: string;
  /** The task's directory, relative to the work base (`"bct-0/"`). */
  readonly taskWorkPath: string;
  /** Files, directories or globs (relative to the task directory) sent before the run. @default [] */
  readonly forwardFiles?: readonly string[];
  /** Files or globs (relative to the task directory) brought back after the run. @default [] */
  readonly backwardFiles?: readonly string[];
  /** File (in the task directory) that receives the command's stdout. @default "log" */
  readonly outlog?: string;
  /** File (in the task directory) that receives the command's stderr. @default "err" */
  readonly errlog?: string;
  /** Variables exported for this task only; values may reference `$VAR`. @default {} */
  readonly envs?: Readonly<Record<string, string>>;
}

/** A validated, frozen task: JSON-safe data with a stable hash of what it means. */
export interface Task {
  /** Always `"task"`. */
  readonly kind: "task";
  /** The shell command. */
  readonly command: string;
  /** Normalised directory relative to the work base (`"."` for the base itself). */
  readonly taskWorkPath: string;
  /** Normalised forward entries. */
  readonly forwardFiles: readonly string[];
  /** Normalised backward entries (globs allowed). */
  readonly backwardFiles: readonly string[];
  /** The stdout file name. */
  readonly outlog: string;
  /** The stderr file name. */
  readonly errlog: string;
  /** The task's own environment variables. */
  readonly envs: Readonly<Record<string, string>>;
  /** sha256 (16 hex) of command, paths, file lists, logs and envs; never of absolute paths. */
  readonly hash: string;
}

const fileInTask = relativePath("a path");

const schema = z.object({
  command: z.string().refine((c) => c.trim() !== "", "must be a non-empty shell command"),
  taskWorkPath: relativePath("taskWorkPath"),
  forwardFiles: z.array(fileInTask).default([]),
  backwardFiles: z.array(fileInTask).default([]),
  outlog: z.string().min(1).default("log"),
  errlog: z.string().min(1).default("err"),
  envs: z.record(envName, z.string()).default({}),
}).strict();

/**
 * Describes one task: a shell command, the directory it runs in and the files it needs and
 * produces. Throws a `TypeError` naming the field and value for bad input.
 *
 * @example
 * ```ts
 * import { task } from "@deepmodeling/dpdispatcher";
 *
 * const md = task({
 *   command: "lmp -i input.lammps",
 *   taskWorkPath: "bct-0/",
 *   forwardFiles: ["conf.lmp", "input.lammps"],
 *   backwardFiles: ["log.lammps"],
 * });
 * console.log(md.taskWorkPath, md.outlog); // "bct-0" "log"
 * ```
 */
export function task(input: TaskInput): Task {
  // A task spread into a new input (`task({ ...t, command })`) brings its derived fields along.
  const { kind: _kind, hash: _hash, ...rest } = input as TaskInput & {
    kind?: unknown;
    hash?: unknown;
  };
  const t = parseWith(schema, (input as { kind?: unknown }).kind === "task" ? rest : input, "task");
  for (const [field, name] of [["outlog", t.outlog], ["errlog", t.errlog]] as const) {
    const normal = posix.normalize(name);
    if (posix.isAbsolute(normal) || normal.startsWith("../")) {
      throw new TypeError(
        `Invalid task.${field}: must be a file inside the task directory, got "${name}"`,
      );
    }
  }
  for (const file of t.forwardFiles) {
    if (posix.join(t.taskWorkPath, file).startsWith("..")) {
      throw new TypeError(
        `Invalid task.forwardFiles: must stay inside the work base, got "${file}"`,
      );
    }
  }
  const meaning = {
    command: t.command,
    taskWorkPath: t.taskWorkPath,
    forwardFiles: t.forwardFiles,
    backwardFiles: t.backwardFiles,
    outlog: t.outlog,
    errlog: t.errlog,
    envs: t.envs,
  };
  return Object.freeze({
    kind: "task" as const,
    ...meaning,
    forwardFiles: Object.freeze(t.forwardFiles),
    backwardFiles: Object.freeze(t.backwardFiles),
    envs: Object.freeze(t.envs),
    hash: hashOf(meaning).slice(0, 16),
  });
}

/** The zod schema behind {@linkcode TaskInput}, for generating a JSON Schema. */
export const taskSchema: typeof schema = schema;
