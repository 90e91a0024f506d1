import { readFileSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parse as parseYaml } from "npm:yaml@^2.9.1";
import { z } from "npm:zod@^4.1.0";
import { type Dispatch, dispatch } from "../api/dispatch.ts";
import { parseWith, relativePath } from "../plan/validate.ts";
import { type JsonValue, type Resources, resources } from "../plan/resources.ts";
import { type Task, task } from "../plan/task.ts";
import {
  BATCH_TYPES,
  CLOUD_BATCH_TYPES,
  CONTEXT_TYPES,
  orList,
  UNSUPPORTED_BATCH_TYPES,
  UNSUPPORTED_CONTEXT_TYPES,
} from "../builtins.ts";
import type { Target } from "../executor/executor.ts";
import { lazyLocal, local } from "../transports/local.ts";
import type { Transport } from "../transports/transport.ts";
import { camel, isObject, type Json, object, unknownKeys, warn } from "./_keys.ts";
import { sshFromProfile } from "./_ssh_profile.ts";
import { bohriumFromProfile, bohriumKind } from "./_bohrium_profile.ts";
import {
  canonical,
  DP_BATCH_TYPES,
  DP_CONTEXT_TYPES,
  kwargsKeys,
  kwargsName,
  MACHINE_KEYS,
  REMOTE_PROFILE_KEYS,
  RESOURCES_KEYS,
  STRATEGY_KEYS,
  SUBMISSION_KEYS,
  TASK_KEYS,
} from "./_dpdispatcher_keys.ts";
import { checkKwargs, didYouMean, resourcesBatchType, withCpuReason } from "./_values.ts";

/** Options of the dpdispatcher loaders. */
export interface LoadOptions {
  /** Make unknown keys errors instead of warnings. @default false */
  readonly strict?: boolean;
  /** Receives one line per unknown key (with a did-you-mean suggestion when one is close). */
  readonly onWarning?: (message: string) => void;
}

/** A dpdispatcher machine, loaded: where jobs run, and the retry budget. */
export interface LoadedMachine {
  /** The target (scheduler over transport). */
  readonly target: Target;
  /** `local_root`: the default work base. */
  readonly localRoot?: string;
  /** `retry_count` (dpdispatcher's default 3). */
  readonly retryCount: number;
}

/** The zod schema of a dpdispatcher machine dict (after `machine_type` became `batch_type`). */
export const machineSchema = z.object({
  batch_type: z.string().min(1),
  context_type: z.string().min(1),
  local_root: z.string().nullable().optional(),
  remote_root: z.string().nullable().optional(),
  clean_asynchronously: z.boolean().optional(),
  retry_count: z.number().int("expected an integer").min(0, "expected an integer >= 0").optional(),
  remote_profile: z.record(z.string(), z.unknown()).optional(),
}).loose();

/**
 * Loads a dpdispatcher machine dict (`batch_type` or `machine_type`, `context_type`, ...). Batch
 * and context types are case-insensitive and the `Context` suffix is optional, as in dpdispatcher.
 * A type this version does not support yet is a clear error, never a silent fallback.
 *
 * @example
 * ```ts
 * import { loadMachine } from "@deepmodeling/dpdispatcher";
 *
 * const m = loadMachine({ batch_type: "Shell", context_type: "LazyLocalContext", local_root: "./" });
 * console.log(m.target.executor.record.scheduler, m.target.executor.record.transport); // "shell" "lazyLocal"
 * ```
 */
export function loadMachine(input: unknown, options: LoadOptions = {}): LoadedMachine {
  const raw = object(input, "machine");
  const withAlias = { ...raw, batch_type: raw.batch_type ?? raw.machine_type };
  delete (withAlias as Json).machine_type;
  const m = parseWith(machineSchema, withAlias, "machine");
  unknownKeys(raw, MACHINE_KEYS, "machine", options);
  // The cloud: its batch type and context come together, with their own remote_profile.
  if (bohriumKind(m.batch_type) || bohriumKind(m.context_type)) {
    const target = bohriumFromProfile(m.batch_type, m.context_type, m.remote_profile, options);
    return { target, localRoot: m.local_root ?? undefined, retryCount: m.retry_count ?? 3 };
  }
  const context = m.context_type.toLowerCase().replace(/context$/, "");
  let transport: Transport;
  const contextName = canonical(DP_CONTEXT_TYPES, m.context_type) ??
    canonical(DP_CONTEXT_TYPES, context);
  // SSH profiles are checked by sshFromProfile; cloud ones by their own loaders.
  if (m.remote_profile && (contextName === "LocalContext" || contextName === "LazyLocalContext")) {
    unknownKeys(
      m.remote_profile,
      REMOTE_PROFILE_KEYS[contextName!],
      "machine.remote_profile",
      options,
    );
  }
  if (context === "lazylocal") transport = lazyLocal();
  else if (context === "local") {
    if (!m.remote_root) {
      throw new TypeError(
        m.remote_root === undefined
          ? `Invalid machine.remote_root: missing (required for ${m.context_type})`
          : `Invalid machine.remote_root: required for ${m.context_type}, got ${
            JSON.stringify(m.remote_root)
          }`,
      );
    }
    const symlink = m.remote_profile?.symlink;
    transport = local({
      remoteRoot: m.remote_root,
      symlink: typeof symlink === "boolean" ? symlink : true,
    });
  } else if (context === "ssh") {
    transport = sshFromProfile(m.remote_root, m.remote_profile, m.context_type, options);
  } else if (UNSUPPORTED_CONTEXT_TYPES.includes(context) || contextName) {
    throw new TypeError(
      `Unsupported machine.context_type: "${m.context_type}" is not supported yet (supported: ${
        CONTEXT_TYPES.join(", ")
      })`,
    );
  } else {
    throw new TypeError(
      `Invalid machine.context_type: expected ${orList(CONTEXT_TYPES)}, got "${m.context_type}"${
        didYouMean(m.context_type, DP_CONTEXT_TYPES)
      }`,
    );
  }
  const batch = m.batch_type.toLowerCase();
  const supported = [...Object.values(BATCH_TYPES).map((b) => b.batchType), ...CLOUD_BATCH_TYPES];
  const builtin = BATCH_TYPES[batch];
  if (
    !builtin &&
    (UNSUPPORTED_BATCH_TYPES.includes(batch) || canonical(DP_BATCH_TYPES, m.batch_type))
  ) {
    throw new TypeError(
      `Unsupported machine.batch_type: "${m.batch_type}" is not supported yet (supported: ${
        supported.join(", ")
      })`,
    );
  }
  if (!builtin) {
    throw new TypeError(
      `Invalid machine.batch_type: expected ${orList(supported)}, got "${m.batch_type}"${
        didYouMean(m.batch_type, DP_BATCH_TYPES)
      }`,
    );
  }
  const target = builtin.make(transport);
  return { target, localRoot: m.local_root ?? undefined, retryCount: m.retry_count ?? 3 };
}

/**
 * Loads a dpdispatcher resources dict (snake_case keys, dpdispatcher's defaults).
 *
 * @example
 * ```ts
 * import { loadResources } from "@deepmodeling/dpdispatcher";
 *
 * const r = loadResources({ number_node: 1, cpu_per_node: 4, gpu_per_node: 1, queue_name: "GPUV100", group_size: 5 });
 * console.log(r.cpuPerNode, r.groupSize); // 4 5
 * ```
 */
export function loadResources(input: unknown, options: LoadOptions = {}): Resources {
  return resourcesFor(input, options, undefined);
}

/** {@linkcode loadResources} for a machine's batch type (its kwargs, its reasons). */
function resourcesFor(input: unknown, options: LoadOptions, machineBatch?: string): Resources {
  const raw = object(input, "resources");
  const batchType = resourcesBatchType(raw.batch_type) ?? machineBatch;
  for (const key of Object.keys(raw)) {
    // dpdispatcher's Resources(**dict) takes such a key as a kwarg; its JSON loader ignores it.
    if (!RESOURCES_KEYS.includes(key) && kwargsKeys().includes(key)) {
      warn(
        `Unknown key resources.${key} (dpdispatcher reads it as resources.kwargs.${key})`,
        options,
      );
    }
  }
  unknownKeys(
    Object.fromEntries(Object.entries(raw).filter(([k]) => !kwargsKeys().includes(k))),
    RESOURCES_KEYS,
    "resources",
    options,
  );
  const converted: Json = {};
  for (const [key, value] of Object.entries(raw)) {
    if (!RESOURCES_KEYS.includes(key) || key === "batch_type") continue;
    if (key === "strategy" && isObject(value)) {
      unknownKeys(value as Json, STRATEGY_KEYS, "resources.strategy", options);
      converted.strategy = Object.fromEntries(
        Object.entries(value as Json).filter(([k]) => STRATEGY_KEYS.includes(k)).map((
          [k, v],
        ) => [camel(k), v]),
      );
    } else if (key === "kwargs" && isObject(value)) {
      const template = isObject(raw.strategy)
        ? raw.strategy.customized_script_header_template_file
        : undefined;
      checkKwargs(value, batchType, templateText(template), options);
      converted.kwargs = Object.fromEntries(
        Object.entries(value as Json).map(([k, v]) => [camel(kwargsName(k)), v as JsonValue]),
      );
    } else converted[camel(key)] = value;
  }
  try {
    return resources(converted as never);
  } catch (e) {
    throw withCpuReason(snakeError(e), raw, batchType);
  }
}

/** The header template's text for its kwargs placeholders (unreadable: none; resources() says so). */
function templateText(file: unknown): string | undefined {
  try {
    return typeof file === "string" ? readFileSync(file, "utf8") : undefined;
  } catch {
    return undefined;
  }
}

/** Loads one dpdispatcher task dict. */
export function loadTask(input: unknown, options: LoadOptions = {}, path = "task"): Task {
  const raw = object(input, path);
  unknownKeys(raw, TASK_KEYS, path, options);
  const converted = Object.fromEntries(
    Object.entries(raw).filter(([k]) => TASK_KEYS.includes(k)).map(([k, v]) => [camel(k), v]),
  );
  try {
    return task(converted as never);
  } catch (e) {
    throw snakeError(e, path);
  }
}

// camelCase names of dpdispatcher's keys, back to snake_case (user keys in envs stay as written).
const SNAKE = new Map(
  [...RESOURCES_KEYS, ...STRATEGY_KEYS, ...TASK_KEYS, ...SUBMISSION_KEYS, ...kwargsKeys()].map((
    k,
  ) => [camel(k), k]),
);

/** `resources.strategy.ratioUnfinished` -> `resources.strategy.ratio_unfinished`. */
function snakeField(field: string): string {
  return field.replace(/(?<=\.|^)([a-z][A-Za-z0-9]*)/g, (segment) => SNAKE.get(segment) ?? segment);
}

/** Rewrites a camelCase field path in an error back to the JSON's snake_case keys. */
function snakeError(e: unknown, root?: string): unknown {
  if (!(e instanceof TypeError)) return e;
  const message = e.message.replace(
    /Invalid (resources|task)((?:\.[A-Za-z0-9_]+|\[\d+\])*)/g,
    (_m, head: string, rest: string) => `Invalid ${root ?? head}${snakeField(rest)}`,
  ).replace(/\b[a-z]+(?:[A-Z][a-z0-9]*)+\b/g, (word) => SNAKE.get(word) ?? word);
  return new TypeError(message, { cause: e });
}

/** A dpdispatcher submission, loaded: the builder to run, and the run options it implies. */
export interface LoadedSubmission {
  /** The immutable builder, ready to `.render()` or `.run()`. */
  readonly builder: Dispatch;
  /** `machine.retry_count`. */
  readonly retryCount: number;
}

/**
 * Loads a dpdispatcher submission dict (the `dpdisp submit FILE` format): `work_base`, `machine`,
 * `resources`, `task_list`, `forward_common_files`, `backward_common_files`. `work_base` is
 * required; a relative one is taken from `local_root` (as dpdispatcher does), or else from
 * `baseDir`.
 *
 * @example
 * ```ts
 * import { loadSubmission } from "@deepmodeling/dpdispatcher";
 *
 * const { builder } = loadSubmission({
 *   work_base: "work/",
 *   machine: { batch_type: "Shell", context_type: "LazyLocalContext", local_root: "./" },
 *   resources: { group_size: 2 },
 *   task_list: [{ command: "echo hi", task_work_path: "t0/" }],
 * });
 * console.log(builder.toPlan().jobs.length); // 1
 * ```
 */
export function loadSubmission(
  input: unknown,
  options: LoadOptions & { baseDir?: string } = {},
): LoadedSubmission {
  const raw = object(input, "submission");
  unknownKeys(raw, SUBMISSION_KEYS, "submission", options);
  const machine = loadMachine(raw.machine, options);
  const batch = machine.target.executor.record.scheduler.toLowerCase();
  const machineBatch = Object.values(BATCH_TYPES).find((b) => b.scheduler.toLowerCase() === batch)
    ?.batchType;
  const res = resourcesFor(raw.resources, options, machineBatch);
  if (!Array.isArray(raw.task_list) || raw.task_list.length === 0) {
    throw new TypeError(
      `Invalid submission.task_list: expected a non-empty array of tasks, got ${
        JSON.stringify(raw.task_list)
      }`,
    );
  }
  const tasks = raw.task_list.map((t, i) => loadTask(t, options, `submission.task_list[${i}]`));
  if (typeof raw.work_base !== "string" || raw.work_base.trim() === "") {
    const why = raw.work_base === undefined
      ? "missing (expected a directory path)"
      : `expected a directory path, got ${JSON.stringify(raw.work_base)}`;
    throw new TypeError(`Invalid submission.work_base: ${why}`);
  }
  const root = machine.localRoot ?? options.baseDir ?? ".";
  const base = isAbsolute(raw.work_base) ? raw.work_base : join(root, raw.work_base);
  const builder = dispatch({ workBase: base })
    .on(machine.target)
    .with(res)
    .tasks(tasks)
    .forwardCommonFiles(...commonFiles(raw, "forward_common_files"))
    .backwardCommonFiles(...commonFiles(raw, "backward_common_files"));
  return { builder, retryCount: machine.retryCount };
}

const commonFilesSchema = z.array(relativePath("a common file")).default([]);

function commonFiles(raw: Json, key: string): string[] {
  return parseWith(commonFilesSchema, raw[key], `submission.${key}`);
}

const SNAKE_FIELDS: readonly [RegExp, (...groups: string[]) => string][] = [
  [/^tasks\[(\d+)\]/, (i) => `submission.task_list[${i}]`],
  [/^(forward|backward)CommonFiles/, (which) => `submission.${which}_common_files`],
  [/^workBase/, () => "submission.work_base"],
  [
    /^ssh\.(\w+)/,
    (k) => `machine.remote_profile.${k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)}`,
  ],
];

/** SSH options a message may advise, in the remote_profile spelling of a JSON user. */
const INLINE_OPTIONS: readonly [RegExp, string][] = [
  [
    /\bset hostKeyPolicy: "accept-new"/,
    'set "host_key_policy": "accept-new" in machine.remote_profile',
  ],
];

/**
 * Rewrites the field names in a plan- or run-level error message (`Invalid tasks[0].forwardFiles:
 * ...`) into the JSON keys of a dpdispatcher submission (`Invalid
 * submission.task_list[0].forward_files: ...`), so the CLI names what the user wrote.
 */
export function toSubmissionKeys(message: string): string {
  for (const [pattern, to] of INLINE_OPTIONS) message = message.replace(pattern, to);
  return message.replace(/^Invalid ([A-Za-z_.\[\]\d]+):/, (_m, field: string) => {
    let out = field;
    for (const [pattern, to] of SNAKE_FIELDS) {
      out = out.replace(pattern, (_: string, ...groups: string[]) => to(...groups));
    }
    return `Invalid ${snakeField(out)}:`;
  });
}

/**
 * Reads a JSON or YAML file (by default, YAML when it ends in `.yaml` or `.yml`); a bad file is
 * a one-line `TypeError` naming the file and the position.
 */
export function readInputFile(
  path: string,
  format: "json" | "yaml" = /\.ya?ml$/i.test(path) ? "yaml" : "json",
): { value: unknown; dir: string } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const why = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code;
    const tried = isAbsolute(path) ? "" : ` (looked for ${resolve(path)})`;
    throw new TypeError(`Cannot read "${path}": ${why ?? (e as Error).message}${tried}`);
  }
  if (format === "yaml") {
    try {
      return { value: parseYaml(text), dir: dirname(path) };
    } catch (e) {
      const first = (e as Error).message.split("\n")[0].trim().replace(/:$/, "");
      throw new TypeError(`Invalid YAML in "${path}": ${first}`);
    }
  }
  try {
    return { value: JSON.parse(text), dir: dirname(path) };
  } catch (e) {
    throw new TypeError(`Invalid JSON in "${path}": ${(e as Error).message.split("\n")[0]}`);
  }
}
