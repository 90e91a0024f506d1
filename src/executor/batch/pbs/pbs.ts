import { formatClock } from "../../../plan/units.ts";
import { capture, parseMarkers } from "../../../shell/marker_output.ts";
import { quote } from "../../../shell/quote.ts";
import { lazyLocal } from "../../../transports/local.ts";
import type { ExecResult, Transport } from "../../../transports/transport.ts";
import type {
  BatchTarget,
  Scheduler,
  SchedulerStatus,
  ScriptJob,
  SubmitOutcome,
  SubmitRequest,
} from "../scheduler.ts";
import { FATAL, HISTORY_OFF, QUEUE_LIMIT } from "./codes.ts";
import { pbsStatuses } from "./parse.ts";
import { arrayChunkOf, attemptName, batchTarget } from "../target.ts";

/**
 * The PBS job name of one attempt, `<stable name>-<attempt>`: stable, so `qselect -N` can
 * answer "was it submitted?".
 *
 * @example
 * ```ts
 * import { pbsJobName } from "./pbs.ts";
 *
 * console.log(pbsJobName({ name: "dpd-0123456789ab", attempt: 2 })); // "dpd-0123456789ab-2"
 * ```
 */
export function pbsJobName(request: { name: string; attempt: number }): string {
  return attemptName(request);
}

function header(job: ScriptJob): string {
  const r = job.resources;
  // Memory is a chunk resource inside select (SCHEDULERS.md 1.6: a job-wide `-l mem=` is refused
  // beside select), so it counts per chunk: per node, as Slurm's --mem. PBS's mb is 2^20 bytes.
  const select = [
    `select=${r.numberNode}`,
    `ncpus=${r.cpuPerNode}`,
    ...(r.gpuPerNode > 0 ? [`ngpus=${r.gpuPerNode}`] : []),
    ...(r.memory !== undefined ? [`mem=${r.memory}mb`] : []),
  ];
  const lines = ["#!/bin/bash -l", `#PBS -l ${select.join(":")}`, "#PBS -j oe"];
  if (r.queueName) lines.push(`#PBS -q ${quote(r.queueName)}`);
  if (r.walltime !== undefined) lines.push(`#PBS -l walltime=${formatClock(r.walltime)}`);
  if (r.account) lines.push(`#PBS -A ${quote(r.account)}`);
  return lines.join("\n");
}

// Unknown answers count as transient: the attempt keeps its intent and the next round looks it
// up by name before submitting again, so a job that was queued after all is never lost or doubled.
function classify(error: string): "transient" | "limit" | "fatal" {
  if (QUEUE_LIMIT.some((re) => re.test(error))) return "limit";
  if (FATAL.some((re) => re.test(error))) return "fatal";
  return "transient";
}

// Prints each job's qsub answer between marker lines: one exec submits a whole batch. PBS passes
// no arguments to a job script: the attempt number goes in DPD_ATTEMPT (-v).
const SUBMIT_FN = `dpd_qsub() { # hash, job name, attempt, log prefix, script, [index range]
  local array=()
  if [ -n "$6" ]; then array=(-J "$6"); fi
  printf -- '--- %s\\n' "$1"
  qsub -N "$2" -o "$4.out" -e "$4.err" -v "DPD_ATTEMPT=$3" "\${array[@]}" "$5" 2>&1
  printf -- '\\n--- %s rc %s\\n' "$1" "$?"
}`;

/**
 * `-J` takes one range `X-Y[:Z]` of indices with Y > X (`-J 3-3` is "qsub: illegal -J value"):
 * the elements as one step range when evenly spaced, else from the first to the last. Elements
 * inside it whose tasks all finished run again as no-ops. A single element k > 0 runs as
 * `k-1` to `k` (k-1 finished, or it would be listed too); element 0 alone runs as a plain job,
 * where PBS_ARRAY_INDEX is unset and the job script reads element 0.
 */
function indexRange(elements: readonly number[]): string {
  const ids = [...new Set(elements)].sort((a, b) => a - b);
  const [first, last] = [ids[0], ids[ids.length - 1]];
  if (ids.length === 1) return first === 0 ? "" : `${first - 1}-${first}`;
  const step = ids[1] - ids[0];
  const even = ids.every((id, i) => id === first + i * step);
  return even && step > 1 ? `${first}-${last}:${step}` : `${first}-${last}`;
}

/** A capture of `command` (which holds `-x`), run again without `-x` on a server without history. */
function withHistory(key: string, command: string): string {
  return `${capture(key, command)}
case "$dpd_o" in *${quote(HISTORY_OFF)}*) ${capture(key, command.replace(" -x", ""))};; esac`;
}

function makeScheduler(array: boolean): Scheduler {
  return Object.freeze({
    name: array ? "pbsJobArray" : "pbs",
    // OpenPBS array indices may start at 0 (`-J 0-9`), and PBS_ARRAY_INDEX is the index itself.
    env: { jobId: "PBS_JOBID", arrayIndex: "PBS_ARRAY_INDEX", arrayBase: 0 as const },
    endFileGraceMs: 30_000,
    // An array job is one job here however many subjobs wait: a window of them bounds nothing.
    queues: !array,
    header,
    ...(array ? { arrayChunk } : {}),

    submitArgv(requests: readonly SubmitRequest[]): readonly string[] {
      const calls = requests.map((r) => {
        const elements = r.elements && r.elements.length > 0 ? r.elements : undefined;
        const range = elements ? indexRange(elements) : "";
        const logs = range
          ? `${r.attemptPrefix}.^array_index^`
          : elements
          ? `${r.attemptPrefix}.0`
          : r.attemptPrefix;
        const args = [r.hash, quote(pbsJobName(r)), r.attempt, quote(logs), quote(r.script)];
        return `dpd_qsub ${args.join(" ")}${range ? ` ${range}` : ""}`;
      });
      return ["bash", "-c", [SUBMIT_FN, ...calls].join("\n")];
    },

    parseSubmit(result: ExecResult, requests: readonly SubmitRequest[]): readonly SubmitOutcome[] {
      const answers = parseMarkers(result.stdout);
      return requests.map((r): SubmitOutcome => {
        const answer = answers.get(r.hash);
        // "<seq>.<server>", "<seq>[].<server>" for an array: the full string is the id.
        const id = answer?.lines.find((l) => /^\d+(?:\[\])?\.\S+$/.test(l));
        // An id with no exit line means the script was cut off after qsub answered: still ours.
        if (id && (answer!.code === 0 || answer!.code === undefined)) return { ok: true, id };
        const error = answer && answer.lines.length > 0
          ? answer.lines.join(" ")
          : answer?.code !== undefined
          ? `qsub exited with code ${answer.code} and printed nothing`
          : `qsub printed no job id${result.stderr.trim() ? `: ${result.stderr.trim()}` : ""}`;
        return { ok: false, error, kind: classify(error) };
      });
    },

    // One qstat for every live job: -x adds finished jobs (history) with their Exit_status.
    statusArgv(jobs: readonly { id: string }[]): readonly string[] {
      const ids = jobs.map((j) => quote(j.id)).join(" ");
      return ["bash", "-c", `${withHistory("qstat", `qstat -f -F json -x ${ids}`)}\ntrue`];
    },

    parseStatus(
      result: ExecResult,
      jobs: readonly { id: string }[],
    ): ReadonlyMap<string, SchedulerStatus> {
      if (jobs.length === 0) return new Map();
      const qstat = parseMarkers(result.stdout).get("qstat");
      if (!qstat) {
        throw new Error(`Cannot read qstat's answer: ${result.stderr.trim() || result.stdout}`);
      }
      return pbsStatuses(qstat, jobs.map((j) => j.id));
    },

    cancelArgv(ids: readonly string[]): readonly string[] {
      return ["qdel", ...ids];
    },

    // qdel is silent on success; a job that already ended ("Unknown Job Id", or "Job has
    // finished" with history) is no failure; an unreachable server is.
    parseCancel(result: ExecResult): boolean {
      if (result.exitCode === 0) return true;
      const lines = `${result.stdout}\n${result.stderr}`.split("\n").map((l) => l.trim())
        .filter(Boolean);
      return result.exitCode !== null && lines.length > 0 &&
        lines.every((l) => /^qdel: (?:Unknown Job Id|Job has finished) \S+$/.test(l));
    },

    // qsub, qstat and qselect run inside bash programs; only qdel is started directly.
    permissions: () => ({ run: ["bash", "qdel"] }),

    lookupArgv(requests: readonly SubmitRequest[]): readonly string[] {
      const each = requests.map((r) =>
        withHistory(`lookup-${r.hash}`, `qselect -x -N ${quote(pbsJobName(r))}`)
      );
      return ["bash", "-c", [...each, "true"].join("\n")];
    },

    // Fails closed: if qselect cannot be read, recovery must not conclude "never submitted".
    parseLookup(
      result: ExecResult,
      requests: readonly SubmitRequest[],
    ): ReadonlyMap<string, string> {
      const parts = parseMarkers(result.stdout);
      const found = new Map<string, string>();
      for (const r of requests) {
        const answer = parts.get(`lookup-${r.hash}`);
        const ids = answer?.lines ?? [];
        if (
          !answer || answer.code !== 0 || !ids.every((l) => /^\d+(?:\[\])?\.\S+$/.test(l))
        ) {
          const said = answer?.lines.join(" ") || result.stderr.trim() || "no answer";
          throw new Error(`Cannot look up submitted jobs with qselect: ${said}`);
        }
        if (ids.length > 0) found.set(r.hash, ids[ids.length - 1]);
      }
      return found;
    },
  });
}

/** Tasks per subjob: `kwargs.pbsJobSize` (or `pbs_job_size`), 1 by default. */
function arrayChunk(resources: ScriptJob["resources"]): number {
  return arrayChunkOf(resources, "pbsJobSize", "pbs_job_size");
}

/**
 * The OpenPBS / PBS Professional scheduler as pure functions: `#PBS` headers, one `qsub` batch
 * per submission, one `qstat -f -F json -x` per poll for every job, one `qdel` for all, and
 * lookup by job name (`qselect -x -N`) for exactly-once recovery.
 *
 * The header is dpdispatcher's (`#!/bin/bash -l`, `-l select=<numberNode>:ncpus=<cpuPerNode>`
 * with `:ngpus=<gpuPerNode>` when set, `-j oe`, `-q`), plus `:mem=<MiB>mb` in the select
 * (memory per node), `-l walltime` and `-A` (account). `-j oe` joins the job script's own
 * stderr into `<attempt>.out`: the tasks write their own logs, and the end file is the job
 * script's, so nothing depends on the `.err` file qsub is still given. PBS has no QOS:
 * `qos` is not written. `-q` is written only when `queueName` is set (dpdispatcher writes
 * `#PBS -q ` even when empty). The chunks may share a node unless the site's default says
 * otherwise: add `"#PBS -l place=scatter"` to `customFlags` for one chunk per node.
 *
 * Finished jobs show in `qstat -x` only on servers with `job_history_enable=True`; elsewhere
 * they become unknown ids (then qstat runs again without `-x`), and the end file decides.
 *
 * @example The header for typical resources
 * ```ts
 * import { dispatch, task } from "@deepmodeling/dpdispatcher";
 * import { pbs } from "./pbs.ts";
 *
 * const [job] = dispatch({ workBase: "/w" }).on(pbs())
 *   .with({ groupSize: 1, cpuPerNode: 4, queueName: "workq", walltime: "1h30m", memory: "4G" })
 *   .tasks(task({ command: "lmp -i in.lammps", taskWorkPath: "t0" }))
 *   .render();
 * // #!/bin/bash -l
 * // #PBS -l select=1:ncpus=4:mem=4096mb
 * // #PBS -j oe
 * // #PBS -q workq
 * // #PBS -l walltime=01:30:00
 * console.log(job.script.split("\n").slice(0, 5).join("\n"));
 * ```
 */
export const pbsScheduler: Scheduler = makeScheduler(false);

/**
 * Runs jobs on an OpenPBS or PBS Professional cluster through a transport:
 * `pbs(local({ remoteRoot }))` on the cluster itself, `pbs(ssh({...}))` from a laptop. See
 * {@linkcode pbsScheduler}.
 *
 * @example
 * ```ts
 * import { dispatch, local } from "@deepmodeling/dpdispatcher";
 * import { pbs } from "./pbs.ts";
 *
 * const builder = dispatch({ workBase: "project" }).on(pbs(local({ remoteRoot: "/scratch/runs" })))
 *   .with({ groupSize: 1, cpuPerNode: 2, queueName: "workq" });
 * ```
 */
export function pbs(transport: Transport = lazyLocal()): BatchTarget {
  return batchTarget(pbsScheduler, transport);
}

/**
 * Like {@linkcode pbs}, but each job is submitted as one PBS array job (`qsub -J`): subjob k
 * (0-based, `PBS_ARRAY_INDEX`) runs `kwargs.pbsJobSize` tasks (default 1). A retry resubmits
 * the subjobs whose work did not finish as one range (`-J 2-5`, or `-J 2-6:2` when evenly
 * spaced), since `-J` takes a single range: finished subjobs inside it exit at once. There is
 * no throttle: SCHEDULERS.md documents no limit of running subjobs in `-J`.
 *
 * @example Ten tasks in one array job of five subjobs
 * ```ts
 * import { dispatch, task } from "@deepmodeling/dpdispatcher";
 * import { pbsJobArray } from "./pbs.ts";
 *
 * const builder = dispatch({ workBase: "project" })
 *   .on(pbsJobArray())
 *   .with({ groupSize: 10, kwargs: { pbsJobSize: 2 } })
 *   .tasks(Array.from({ length: 10 }, (_, i) => task({ command: "run", taskWorkPath: `t${i}` })));
 * ```
 */
export function pbsJobArray(transport: Transport = lazyLocal()): BatchTarget {
  return batchTarget(makeScheduler(true), transport);
}
