/**
 * The one map of built-in backends: batch systems and transports by the names dpdispatcher's
 * JSON uses (`batch_type`, `context_type`, any case) and by the names a plan records. The CLI,
 * the compat loaders and their error messages all read it; adding a scheduler adds one entry.
 *
 * @module
 */

import { fugaku } from "./executor/batch/fugaku/fugaku.ts";
import { jhUniScheduler } from "./executor/batch/jh_unischeduler/jh_unischeduler.ts";
import { lsf, lsfJobArray } from "./executor/batch/lsf/lsf.ts";
import { pbs, pbsJobArray } from "./executor/batch/pbs/pbs.ts";
import { sge, sgeJobArray } from "./executor/batch/sge/sge.ts";
import { shell } from "./executor/batch/shell/shell.ts";
import { slurm, slurmJobArray } from "./executor/batch/slurm/slurm.ts";
import { torque } from "./executor/batch/torque/torque.ts";
import { recordedBohrium } from "./executor/bohrium/mod.ts";
import type { Target } from "./executor/executor.ts";
import type { PlanTarget } from "./plan/plan.ts";
import { lazyLocal, local } from "./transports/local.ts";
import type { Transport } from "./transports/transport.ts";

/** A built-in batch system: its dpdispatcher spelling and its target over a transport. */
export interface BuiltinBatch {
  /** How dpdispatcher spells its `batch_type`. */
  readonly batchType: string;
  /** The name a plan records (`Scheduler.name`). */
  readonly scheduler: string;
  /** Its target over a transport. */
  readonly make: (transport: Transport) => Target;
}

/**
 * The batch systems this version runs, by lower-case `batch_type`.
 *
 * @example
 * ```ts
 * import { BATCH_TYPES } from "./builtins.ts";
 *
 * console.log(Object.values(BATCH_TYPES).map((b) => b.batchType).join(", "));
 * // "Shell, Slurm, SlurmJobArray, SGE, PBS, LSF, Torque, Fugaku, JH_UniScheduler"
 * ```
 */
export const BATCH_TYPES: Readonly<Record<string, BuiltinBatch>> = Object.freeze({
  shell: { batchType: "Shell", scheduler: "shell", make: shell },
  slurm: { batchType: "Slurm", scheduler: "slurm", make: slurm },
  slurmjobarray: {
    batchType: "SlurmJobArray",
    scheduler: "slurmJobArray",
    make: (t: Transport) => slurmJobArray(t),
  },
  sge: { batchType: "SGE", scheduler: "sge", make: sge },
  pbs: { batchType: "PBS", scheduler: "pbs", make: pbs },
  lsf: { batchType: "LSF", scheduler: "lsf", make: lsf },
  torque: { batchType: "Torque", scheduler: "torque", make: torque },
  fugaku: { batchType: "Fugaku", scheduler: "fugaku", make: (t: Transport) => fugaku(t) },
  jh_unischeduler: {
    batchType: "JH_UniScheduler",
    scheduler: "jhUniScheduler",
    make: (t: Transport) => jhUniScheduler(t),
  },
});

/**
 * Batch types dpdispatcher has that this version does not run yet, by lower-case name: refused
 * with "not supported yet", never listed as valid.
 */
export const UNSUPPORTED_BATCH_TYPES: readonly string[] = Object.freeze([
  "distributedshell",
]);

/** Context types dpdispatcher has that this version does not support yet (lower case, no `Context`). */
export const UNSUPPORTED_CONTEXT_TYPES: readonly string[] = Object.freeze([
  "hdfs",
]);

/** The context types this version supports, as dpdispatcher spells them. */
export const CONTEXT_TYPES: readonly string[] = Object.freeze([
  "LazyLocalContext",
  "LocalContext",
  "SSHContext",
  "BohriumContext",
  "OpenAPIContext",
]);

/**
 * The cloud batch types (no transport: the cloud is the context too), as dpdispatcher spells
 * them; `DpCloudServer` and `Lebesgue` are `Bohrium`'s aliases.
 */
export const CLOUD_BATCH_TYPES: readonly string[] = Object.freeze(["Bohrium", "OpenAPI"]);

/**
 * Words listing names for an error message: `"A, B or C"`.
 *
 * @example
 * ```ts
 * import { orList } from "./builtins.ts";
 *
 * console.log(orList(["Shell", "Slurm", "SlurmJobArray"])); // "Shell, Slurm or SlurmJobArray"
 * ```
 */
export function orList(names: readonly string[]): string {
  return names.length <= 1 ? names.join("") : `${names.slice(0, -1).join(", ")} or ${names.at(-1)}`;
}

/** Every built-in target by the scheduler name a plan records (job arrays included). */
const RECORDED_SCHEDULERS: Readonly<Record<string, (t: Transport) => Target>> = {
  shell,
  slurm,
  slurmJobArray: (t) => slurmJobArray(t),
  sge,
  sgeJobArray: (t) => sgeJobArray(t),
  pbs,
  pbsJobArray: (t) => pbsJobArray(t),
  lsf,
  lsfJobArray: (t) => lsfJobArray(t),
  torque,
  fugaku: (t) => fugaku(t),
  jhUniScheduler: (t) => jhUniScheduler(t),
};

/** Transports a recorded plan can be reopened with (those that need no secrets). */
const RECORDED_TRANSPORTS: Readonly<Record<string, (o: PlanTarget["options"]) => Transport>> = {
  lazyLocal: () => lazyLocal(),
  local: (o) => local({ remoteRoot: String(o.remoteRoot), symlink: o.symlink === true }),
};

/**
 * Rebuilds the target a plan recorded, or undefined when the names are not built in or its
 * transport needs secrets (SSH).
 *
 * @example
 * ```ts
 * import { recordedTarget } from "./builtins.ts";
 *
 * console.log(recordedTarget({ scheduler: "shell", transport: "lazyLocal", options: {} })?.kind); // "target"
 * console.log(recordedTarget({ scheduler: "shell", transport: "ssh", options: {} })); // undefined
 * ```
 */
export function recordedTarget(recorded: PlanTarget): Target | undefined {
  const cloud = recordedBohrium(recorded);
  if (cloud) return cloud;
  const transport = Object.hasOwn(RECORDED_TRANSPORTS, recorded.transport)
    ? RECORDED_TRANSPORTS[recorded.transport]
    : undefined;
  const make = Object.hasOwn(RECORDED_SCHEDULERS, recorded.scheduler)
    ? RECORDED_SCHEDULERS[recorded.scheduler]
    : undefined;
  return transport && make ? make(transport(recorded.options)) : undefined;
}
