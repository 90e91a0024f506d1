import { posix } from "node:path";
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
import { FATAL, QUEUE_LIMIT } from "./codes.ts";
import { lsfHeader } from "./header.ts";
import { baseId, readBjobs, statusById } from "./parse.ts";
import { arrayChunkOf, attemptName, batchTarget, checkThrottle } from "../target.ts";

/**
 * The LSF job name of one attempt, `<stable name>-<attempt>`: stable, so `bjobs -J` can answer
 * "was it submitted?".
 *
 * @example
 * ```ts
 * import { lsfJobName } from "./lsf.ts";
 *
 * console.log(lsfJobName({ name: "dpd-0123456789ab", attempt: 2 })); // "dpd-0123456789ab-2"
 * ```
 */
export function lsfJobName(request: { name: string; attempt: number }): string {
  return attemptName(request);
}

/** The `bjobs -o` fields the status poll reads (section 4.2 of the scheduler notes). */
const STATUS_FIELDS = "jobid job_name stat exit_code exit_reason pend_reason";

// Unknown answers count as transient: the attempt keeps its intent and the next round looks it
// up by name before submitting again, so a job that was queued after all is never lost or doubled.
function classify(error: string): "transient" | "limit" | "fatal" {
  if (QUEUE_LIMIT.some((re) => re.test(error))) return "limit";
  if (FATAL.some((re) => re.test(error))) return "fatal";
  return "transient";
}

// Prints each job's bsub answer between marker lines: one exec submits a whole batch. bsub reads
// the script from stdin (so its #BSUB lines always count) and passes the submitting environment
// to the job: the attempt number goes as DPD_ATTEMPT. The job starts where bsub ran, so bsub runs
// in the jobs directory, on the shared filesystem (dpdispatcher: `cd <root> && bsub < script`).
// -J/-o/-e on the command line override the script's own #BSUB lines.
const SUBMIT_FN =
  `dpd_bsub() { # hash, job name, attempt, prefix, script, dir, [index list, [max running]]
  local name="$2" logs="$4"
  if [ -n "$7" ]; then name="$2[$7]\${8:+%$8}"; logs="$4.%I"; fi
  printf -- '--- %s\\n' "$1"
  cd "$6" 2>&1 && DPD_ATTEMPT="$3" bsub -J "$name" -o "$logs.out" -e "$logs.err" 2>&1 < "$5"
  printf -- '\\n--- %s rc %s\\n' "$1" "$?"
}`;

/**
 * LSF's array index list for the elements to run (0-based here, 1-based in LSF): runs of
 * consecutive indexes as ranges, `[0, 1, 2, 4]` -> `1-3,5`.
 */
function indexList(elements: readonly number[]): string {
  const ids = [...new Set(elements)].sort((a, b) => a - b).map((k) => k + 1);
  const parts: string[] = [];
  for (let i = 0; i < ids.length;) {
    let j = i;
    while (j + 1 < ids.length && ids[j + 1] === ids[j] + 1) j++;
    parts.push(j > i ? `${ids[i]}-${ids[j]}` : String(ids[i]));
    i = j + 1;
  }
  return parts.join(",");
}

/** A job name as bjobs shows it, without an array's or element's `[...]` and throttle. */
const plainName = (name: string) => name.replace(/\[[^\]]*\](%\d+)?$/, "");

function makeScheduler(array?: { throttle?: number }): Scheduler {
  return Object.freeze({
    name: array ? "lsfJobArray" : "lsf",
    env: { jobId: "LSB_JOBID", arrayIndex: "LSB_JOBINDEX", arrayBase: 1 as const },
    endFileGraceMs: 30_000,
    // An array job is one job here however many elements wait: a window of them bounds nothing.
    queues: !array,
    header: lsfHeader,
    ...(array ? { arrayChunk } : {}),

    submitArgv(requests: readonly SubmitRequest[]): readonly string[] {
      const calls = requests.map((r) => {
        const args = [
          r.hash,
          quote(lsfJobName(r)),
          r.attempt,
          quote(r.attemptPrefix),
          quote(r.script),
          quote(posix.dirname(r.script)),
        ];
        if (r.elements && r.elements.length > 0) {
          args.push(indexList(r.elements));
          if (array?.throttle) args.push(array.throttle);
        }
        return `dpd_bsub ${args.join(" ")}`;
      });
      return ["bash", "-c", [SUBMIT_FN, ...calls].join("\n")];
    },

    parseSubmit(result: ExecResult, requests: readonly SubmitRequest[]): readonly SubmitOutcome[] {
      const answers = parseMarkers(result.stdout);
      return requests.map((r): SubmitOutcome => {
        const answer = answers.get(r.hash);
        // "Job <123> is submitted to [default ]queue <normal>.", maybe after "Please wait" lines.
        const id = answer?.lines.map((l) => /Job <(\d+)> is submitted to /.exec(l)?.[1])
          .find(Boolean);
        // An id with no exit line means the script was cut off after bsub answered: still ours.
        if (id && (answer!.code === 0 || answer!.code === undefined)) return { ok: true, id };
        const error = answer && answer.lines.length > 0
          ? answer.lines.join(" ")
          : answer?.code !== undefined
          ? `bsub exited with code ${answer.code} and printed nothing`
          : `bsub printed no job id${result.stderr.trim() ? `: ${result.stderr.trim()}` : ""}`;
        return { ok: false, error, kind: classify(error) };
      });
    },

    // One bjobs for every id; -a keeps DONE/EXIT jobs (for CLEAN_PERIOD, an hour by default).
    statusArgv(jobs: readonly { id: string }[]): readonly string[] {
      const ids = jobs.map((j) => j.id).filter((id) => /^\d+$/.test(id));
      return [
        "bash",
        "-c",
        [capture("bjobs", `bjobs -a -o "${STATUS_FIELDS}" -json ${ids.join(" ")}`), "true"]
          .join("\n"),
      ];
    },

    parseStatus(
      result: ExecResult,
      jobs: readonly { id: string }[],
    ): ReadonlyMap<string, SchedulerStatus> {
      const answer = readBjobs(parseMarkers(result.stdout).get("bjobs"), "read the job status");
      const known = statusById(answer.records);
      // Not found (cleaned after CLEAN_PERIOD, or never known): gone, and the end file decides.
      return new Map(jobs.map((j) => [j.id, known.get(j.id) ?? { state: "gone" }]));
    },

    cancelArgv(ids: readonly string[]): readonly string[] {
      return ["bkill", ...ids];
    },

    // bkill exits 255 if any id failed: a job that already ended ("No matching job found", "Job
    // has already finished") is no failure; an unreachable mbatchd, or a denial, is.
    parseCancel(result: ExecResult): boolean {
      if (result.exitCode === 0) return true;
      const lines = `${result.stdout}\n${result.stderr}`.split("\n").map((l) => l.trim())
        .filter(Boolean);
      return result.exitCode !== null && lines.length > 0 &&
        lines.every((l) =>
          /^Job <[\d[\]]+> is being (terminated|signaled|stopped|resumed)/.test(l) ||
          /^Job <[\d[\]]+>(: | is )(No matching job found|Job has already finished|not found)/i
            .test(l)
        );
    },

    // bsub and bjobs run inside bash programs; only bkill is started directly.
    permissions: () => ({ run: ["bash", "bkill"] }),

    lookupArgv(requests: readonly SubmitRequest[]): readonly string[] {
      const calls = requests.map((r) =>
        capture(
          `lookup-${r.hash}`,
          `bjobs -a -J ${quote(lsfJobName(r))} -o "jobid job_name" -json`,
        )
      );
      return ["bash", "-c", [...calls, "true"].join("\n")];
    },

    // Fails closed: if bjobs cannot be read, recovery must not conclude "never submitted".
    parseLookup(
      result: ExecResult,
      requests: readonly SubmitRequest[],
    ): ReadonlyMap<string, string> {
      const parts = parseMarkers(result.stdout);
      const found = new Map<string, string>();
      for (const r of requests) {
        const name = lsfJobName(r);
        const answer = readBjobs(parts.get(`lookup-${r.hash}`), "look up submitted jobs");
        for (const record of answer.records) {
          const shown = plainName(record.get("JOB_NAME") ?? name);
          // bjobs -J already matched the name; a width-cut name starts with "*".
          const same = shown === name || (shown.startsWith("*") && name.endsWith(shown.slice(1)));
          const id = baseId(record);
          if (same && /^\d+$/.test(id) && !found.has(r.hash)) found.set(r.hash, id);
        }
      }
      return found;
    },
  });
}

/** Tasks per array element: `kwargs.lsfJobSize` (or `lsf_job_size`), 1 by default. */
function arrayChunk(resources: ScriptJob["resources"]): number {
  return arrayChunkOf(resources, "lsfJobSize", "lsf_job_size");
}

/**
 * The IBM Spectrum LSF scheduler as pure functions: `#BSUB` headers, one `bsub` batch per
 * submission, one `bjobs -a -o ... -json` per poll for every job, one `bkill` for all, and
 * lookup by job name (`bjobs -a -J`) for exactly-once recovery.
 *
 * The header is dpdispatcher's line for line, with its GPU line from `kwargs` (`gpu_usage`,
 * `gpu_new_syntax`, `gpu_exclusive`, `custom_gpu_line`, or their camelCase names), plus
 * `-W` (walltime, rounded up to minutes), `-M` (memory, in MB) and `-P` (account). Its
 * `-e %J.err`/`-o %J.out` are kept, for a script submitted by hand; bsub's own `-o`/`-e`
 * override them, so each attempt logs to its own files. `qos` and `jobName` are not written
 * (LSF has no QOS; bsub's `-J <stable name>-<attempt>` names the job). Without `gpu_usage`,
 * `gpuPerNode` writes no GPU line, as in dpdispatcher.
 *
 * @example The header for typical resources
 * ```ts
 * import { dispatch, task } from "@deepmodeling/dpdispatcher";
 * import { lsf } from "./lsf.ts";
 *
 * const [job] = dispatch({ workBase: "/w" }).on(lsf())
 *   .with({ groupSize: 1, cpuPerNode: 4, queueName: "normal", walltime: "1h30m", memory: "4G" })
 *   .tasks(task({ command: "lmp -i in.lammps", taskWorkPath: "t0" }))
 *   .render();
 * // #!/bin/bash -l
 * // #BSUB -e %J.err
 * // #BSUB -o %J.out
 * // #BSUB -n 4
 * // #BSUB -R 'span[ptile=4]'
 * // #BSUB -q normal
 * // #BSUB -W 01:30
 * // #BSUB -M 4096MB
 * console.log(job.script.split("\n").slice(0, 8).join("\n"));
 * ```
 */
export const lsfScheduler: Scheduler = makeScheduler();

/**
 * Runs jobs on an IBM Spectrum LSF cluster through a transport: `lsf(local({ remoteRoot }))` on
 * the cluster itself, `lsf(ssh({...}))` from a laptop. See {@linkcode lsfScheduler}.
 *
 * @example
 * ```ts
 * import { dispatch, local } from "@deepmodeling/dpdispatcher";
 * import { lsf } from "./lsf.ts";
 *
 * const builder = dispatch({ workBase: "project" }).on(lsf(local({ remoteRoot: "/scratch/runs" })))
 *   .with({ groupSize: 1, cpuPerNode: 4, queueName: "normal" });
 * ```
 */
export function lsf(transport: Transport = lazyLocal()): BatchTarget {
  return batchTarget(lsfScheduler, transport);
}

/** Options of {@linkcode lsfJobArray}. */
export interface LsfJobArrayOptions {
  /** At most this many array elements run at once (`bsub -J "name[1-100]%10"`). */
  readonly throttle?: number;
}

/**
 * Like {@linkcode lsf}, but each job is submitted as one LSF job array (`bsub -J "name[1-5]"`):
 * element k (1-based, `LSB_JOBINDEX`) runs `kwargs.lsfJobSize` tasks (default 1). A retry
 * resubmits only the elements whose tasks did not finish (`name[2-3,5]`).
 *
 * @example Ten tasks in one job array of five elements, two at a time
 * ```ts
 * import { dispatch, task } from "@deepmodeling/dpdispatcher";
 * import { lsfJobArray } from "./lsf.ts";
 *
 * const builder = dispatch({ workBase: "project" })
 *   .on(lsfJobArray(undefined, { throttle: 2 }))
 *   .with({ groupSize: 10, kwargs: { lsfJobSize: 2 } })
 *   .tasks(Array.from({ length: 10 }, (_, i) => task({ command: "run", taskWorkPath: `t${i}` })));
 * ```
 */
export function lsfJobArray(
  transport: Transport = lazyLocal(),
  options: LsfJobArrayOptions = {},
): BatchTarget {
  const throttle = checkThrottle(options.throttle, "lsfJobArray");
  return batchTarget(makeScheduler({ throttle }), transport);
}
