import type { JsonValue } from "../../../plan/resources.ts";
import { quote } from "../../../shell/quote.ts";
import type { ScriptJob } from "../scheduler.ts";

/** A kwarg by its camelCase or snake_case name: the name found and its value. */
function kwarg(job: ScriptJob, names: readonly string[]): [string, JsonValue | undefined] {
  const kwargs = job.resources.kwargs;
  const key = names.find((n) => kwargs[n] !== undefined) ?? names[names.length - 1];
  return [key, kwargs[key]];
}

/** A boolean kwarg (dpdispatcher's `is True` tests), or `fallback` when absent or null. */
function flag(job: ScriptJob, names: readonly string[], fallback: boolean): boolean {
  const [key, value] = kwarg(job, names);
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") {
    throw new TypeError(
      `Invalid resources.kwargs.${key}: expected true or false, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * The GPU line exactly as dpdispatcher's `LSF.gen_script_header` writes it: `custom_gpu_line`
 * when set (non-empty), else with `gpu_usage` true and `gpuPerNode > 0` the new `-gpu` syntax
 * (`gpu_new_syntax`; `j_exclusive` from `gpu_exclusive`, default true) or the old `-R` one;
 * else none.
 */
function gpuLine(job: ScriptJob): string | undefined {
  const [key, custom] = kwarg(job, ["customGpuLine", "custom_gpu_line"]);
  if (custom !== undefined && custom !== null && typeof custom !== "string") {
    throw new TypeError(
      `Invalid resources.kwargs.${key}: expected a header line (a string), got ${
        JSON.stringify(custom)
      }; ` +
        "put further lines in customFlags",
    );
  }
  if (custom) return custom;
  const gpus = job.resources.gpuPerNode;
  if (!flag(job, ["gpuUsage", "gpu_usage"], false) || gpus === 0) return undefined;
  if (!flag(job, ["gpuNewSyntax", "gpu_new_syntax"], false)) {
    return `#BSUB -R "select[ngpus >0] rusage[ngpus_excl_p=${gpus}]"`;
  }
  const exclusive = flag(job, ["gpuExclusive", "gpu_exclusive"], true) ? "yes" : "no";
  return `#BSUB -gpu 'num=${gpus}:mode=shared:j_exclusive=${exclusive}'`;
}

/**
 * LSF's `-W [hours:]minutes` for a walltime in seconds, rounded up to whole minutes (at least
 * one): a limit a few seconds longer than asked, never shorter.
 *
 * @example
 * ```ts
 * import { lsfClock } from "./header.ts";
 *
 * console.log(lsfClock(5400), lsfClock(90), lsfClock(36 * 3600)); // "01:30" "00:02" "36:00"
 * ```
 */
export function lsfClock(seconds: number): string {
  const minutes = Math.max(1, Math.ceil(seconds / 60));
  const h = String(Math.floor(minutes / 60)).padStart(2, "0");
  return `${h}:${String(minutes % 60).padStart(2, "0")}`;
}

/**
 * The `#BSUB` header of one job: dpdispatcher's LSF header line for line (`#!/bin/bash -l`,
 * `-e %J.err`, `-o %J.out`, `-n <numberNode * cpuPerNode>`, `-R 'span[ptile=<cpuPerNode>]'`,
 * `-q <queue>` when set, its GPU line), then `-W` (walltime), `-M` (memory) and `-P` (account).
 *
 * @example
 * ```ts
 * import { resources } from "@deepmodeling/dpdispatcher";
 * import { lsfHeader } from "./header.ts";
 *
 * const res = resources({ groupSize: 1, cpuPerNode: 4, queueName: "gpu", gpuPerNode: 1,
 *   kwargs: { gpu_usage: true, gpu_new_syntax: true, gpu_exclusive: false } });
 * const job = { hash: "h", name: "dpd-h", runId: "r", tasks: [], resources: res, runRoot: "/r", jobsDir: "/r/j", env: {} };
 * console.log(lsfHeader(job).split("\n").at(-1)); // "#BSUB -gpu 'num=1:mode=shared:j_exclusive=no'"
 * ```
 */
export function lsfHeader(job: ScriptJob): string {
  const r = job.resources;
  const lines = [
    "#!/bin/bash -l",
    "#BSUB -e %J.err",
    "#BSUB -o %J.out",
    `#BSUB -n ${r.numberNode * r.cpuPerNode}`,
    `#BSUB -R 'span[ptile=${r.cpuPerNode}]'`,
  ];
  if (r.queueName) lines.push(`#BSUB -q ${quote(r.queueName)}`);
  const gpu = gpuLine(job);
  if (gpu !== undefined) lines.push(gpu);
  if (r.walltime !== undefined) lines.push(`#BSUB -W ${lsfClock(r.walltime)}`);
  if (r.memory !== undefined) lines.push(`#BSUB -M ${r.memory}MB`);
  if (r.account) lines.push(`#BSUB -P ${quote(r.account)}`);
  return lines.join("\n");
}
