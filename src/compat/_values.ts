import { suggest } from "../suggest.ts";
import { canonical, DP_BATCH_TYPES, kwargsKeys } from "./_dpdispatcher_keys.ts";
import { type Json, unknownKeys } from "./_keys.ts";
import type { LoadOptions } from "./load.ts";

/** ` (did you mean "x"?)` for a value close to one of dpdispatcher's spellings, else "". */
export function didYouMean(value: string, table: Readonly<Record<string, readonly string[]>>) {
  const close = suggest(value, Object.entries(table).flatMap(([name, more]) => [name, ...more]));
  return close ? ` (did you mean "${close}"?)` : "";
}

/**
 * The canonical batch type of `resources.batch_type` (dpdispatcher uses it only to pick which
 * kwargs it checks); any case is accepted, another name is refused with a suggestion.
 */
export function resourcesBatchType(value: unknown): string | undefined {
  if (value === undefined) return undefined;
  const name = typeof value === "string"
    ? canonical(DP_BATCH_TYPES, value) ??
      Object.keys(DP_BATCH_TYPES).find((n) => n.toLowerCase() === value.toLowerCase())
    : undefined;
  if (name) return name;
  const shown = JSON.stringify(value);
  const hint = typeof value === "string" ? didYouMean(value, DP_BATCH_TYPES) : "";
  throw new TypeError(
    `Invalid resources.batch_type: expected one of dpdispatcher's batch types, got ${shown}${hint}`,
  );
}

/** `{kwargs[name]}` placeholders of a header template: kwargs it reads. */
function templateKwargs(template: string | undefined): string[] {
  return [...(template ?? "").matchAll(/\{kwargs\[['"]?(\w+)['"]?\]\}/g)].map((m) => m[1]);
}

/**
 * Warns about `resources.kwargs` keys that neither the batch type (or, when it is not known,
 * any batch type) nor the header template reads, with a did-you-mean.
 */
export function checkKwargs(
  kwargs: Json,
  batchType: string | undefined,
  template: string | undefined,
  options: LoadOptions,
): void {
  unknownKeys(
    kwargs,
    [...kwargsKeys(batchType), ...templateKwargs(template)],
    "resources.kwargs",
    options,
  );
}

// Why a batch type cannot take cpu_per_node 0 (dpdispatcher writes the directive as is).
const ZERO_CPU: Readonly<Record<string, string>> = {
  Slurm: 'sbatch refuses "--ntasks-per-node 0"',
  SlurmJobArray: 'sbatch refuses "--ntasks-per-node 0"',
  SGE: 'qsub refuses "-pe mpi 0": a pe range must be greater than zero',
  LSF: 'bsub -n needs at least one task, and dpdispatcher would write "#BSUB -n 0"',
  JH_UniScheduler: 'dpdispatcher would write "#JSUB -n 0", a job of no task',
  PBS: 'dpdispatcher would write "select=N:ncpus=0", a chunk of no CPU',
  Torque: 'dpdispatcher would write "nodes=N:ppn=0", no processor per node',
  Fugaku: 'dpdispatcher would write "max-proc-per-node=0", no process per node',
  Shell: "Shell writes no CPU directive, but a job always runs on at least one CPU here",
};

/** The reason, for `batchType`, that `cpu_per_node` must be at least 1. */
export function zeroCpuReason(batchType: string | undefined): string | undefined {
  return batchType ? ZERO_CPU[batchType] : undefined;
}

/**
 * Adds the batch type's reason to a refused `cpu_per_node: 0`
 * (`... got 0 (Slurm: sbatch refuses "--ntasks-per-node 0")`).
 */
export function withCpuReason(e: unknown, raw: Json, batchType: string | undefined): unknown {
  const why = zeroCpuReason(batchType);
  if (!(e instanceof TypeError) || raw.cpu_per_node !== 0 || !why) return e;
  const message = e.message.replace(
    /(Invalid resources\.cpu_per_node: [^;]*?got 0)/,
    `$1 (${batchType}: ${why})`,
  );
  return new TypeError(message, { cause: e.cause ?? e });
}
