import { posix } from "node:path";
import { capture, parseMarkers } from "../../../shell/marker_output.ts";
import { quote } from "../../../shell/quote.ts";
import { lazyLocal } from "../../../transports/local.ts";
import type { ExecResult, Transport } from "../../../transports/transport.ts";
import { lsfClock } from "../lsf/header.ts";
import type {
  BatchTarget,
  Scheduler,
  SchedulerStatus,
  ScriptJob,
  SubmitOutcome,
  SubmitRequest,
} from "../scheduler.ts";
import { attemptName, batchTarget, checkGrace } from "../target.ts";
import { FATAL, QUEUE_LIMIT } from "./codes.ts";
import { jhStatus, readJjobs } from "./parse.ts";

/**
 * The JH UniScheduler job name of one attempt, `<stable name>-<attempt>`: stable, so
 * `jjobs -J` can answer "was it submitted?".
 *
 * @example
 * ```ts
 * import { jhJobName } from "./jh_unischeduler.ts";
 *
 * console.log(jhJobName({ name: "dpd-0123456789ab", attempt: 2 })); // "dpd-0123456789ab-2"
 * ```
 */
export function jhJobName(request: { name: string; attempt: number }): string {
  return attemptName(request);
}

/** `kwargs.custom_gpu_line` (or `customGpuLine`): a non-empty header line, or undefined. */
function customGpuLine(job: ScriptJob): string | undefined {
  const kwargs = job.resources.kwargs;
  const key = kwargs.customGpuLine !== undefined ? "customGpuLine" : "custom_gpu_line";
  const line = kwargs[key];
  if (line === undefined || line === null || line === "") return undefined;
  if (typeof line !== "string") {
    throw new TypeError(
      `Invalid resources.kwargs.${key}: expected a header line (a string), got ${
        JSON.stringify(line)
      }; put further lines in customFlags`,
    );
  }
  return line;
}

function header(job: ScriptJob): string {
  const r = job.resources;
  const lines = [
    "#!/bin/bash -l",
    "#JSUB -e %J.err",
    "#JSUB -o %J.out",
    `#JSUB -n ${r.numberNode * r.cpuPerNode}`,
    `#JSUB -R 'span[ptile=${r.cpuPerNode}]'`,
  ];
  if (r.queueName) lines.push(`#JSUB -q ${quote(r.queueName)}`);
  lines.push(customGpuLine(job) ?? `#JSUB -gpgpu ${r.gpuPerNode}`);
  if (r.walltime !== undefined) lines.push(`#JSUB -W ${lsfClock(r.walltime)}`);
  if (r.memory !== undefined) lines.push(`#JSUB -M ${r.memory}MB`);
  if (r.account) lines.push(`#JSUB -P ${quote(r.account)}`);
  return lines.join("\n");
}

// Unknown answers count as transient: the attempt keeps its intent and the next round looks it
// up by name before submitting again, so a job that was queued after all is never lost or doubled.
function classify(error: string): "transient" | "limit" | "fatal" {
  if (QUEUE_LIMIT.some((re) => re.test(error))) return "limit";
  if (FATAL.some((re) => re.test(error))) return "fatal";
  return "transient";
}

// Prints each job's jsub answer between marker lines: one exec submits a whole batch. jsub reads
// the script from stdin, in the jobs directory (dpdispatcher: `cd <root> && jsub < script`), and
// passes the submitting environment to the job, as LSF's bsub does: the attempt goes as
// DPD_ATTEMPT. -J/-o/-e on the command line override the script's own #JSUB lines.
const SUBMIT_FN = `dpd_jsub() { # hash, job name, attempt, prefix, script, dir
  printf -- '--- %s\\n' "$1"
  cd "$6" 2>&1 && DPD_ATTEMPT="$3" jsub -J "$2" -o "$4.out" -e "$4.err" 2>&1 < "$5"
  printf -- '\\n--- %s rc %s\\n' "$1" "$?"
}`;

function makeScheduler(graceMs: number): Scheduler {
  return Object.freeze({
    name: "jhUniScheduler",
    // JH's job-id variable is not known (LSF's LSB_JOBID is likely): the job's PID names it.
    env: {},
    endFileGraceMs: graceMs,
    queues: true,
    header,

    submitArgv(requests: readonly SubmitRequest[]): readonly string[] {
      const calls = requests.map((r) => {
        const args = [
          r.hash,
          quote(jhJobName(r)),
          r.attempt,
          quote(r.attemptPrefix),
          quote(r.script),
          quote(posix.dirname(r.script)),
        ];
        return `dpd_jsub ${args.join(" ")}`;
      });
      return ["bash", "-c", [SUBMIT_FN, ...calls].join("\n")];
    },

    parseSubmit(result: ExecResult, requests: readonly SubmitRequest[]): readonly SubmitOutcome[] {
      const answers = parseMarkers(result.stdout);
      return requests.map((r): SubmitOutcome => {
        const answer = answers.get(r.hash);
        // dpdispatcher takes the second word of the first line without its <>: "Job <123> is ...".
        const id = answer?.lines.map((l) => /^Job <(\d+)> is submitted/.exec(l)?.[1])
          .find(Boolean);
        if (id && (answer!.code === 0 || answer!.code === undefined)) return { ok: true, id };
        const error = answer && answer.lines.length > 0
          ? answer.lines.join(" ")
          : answer?.code !== undefined
          ? `jsub exited with code ${answer.code} and printed nothing`
          : `jsub printed no job id${result.stderr.trim() ? `: ${result.stderr.trim()}` : ""}`;
        return { ok: false, error, kind: classify(error) };
      });
    },

    // One jjobs for every id (dpdispatcher asks `jjobs <id>` per job); ended jobs stay listed
    // for a while (LSF's CLEAN_PERIOD), then become "not found" and the end file decides.
    statusArgv(jobs: readonly { id: string }[]): readonly string[] {
      const ids = jobs.map((j) => j.id).filter((id) => /^\d+$/.test(id));
      return ["bash", "-c", [capture("jjobs", `jjobs ${ids.join(" ")}`), "true"].join("\n")];
    },

    parseStatus(
      result: ExecResult,
      jobs: readonly { id: string }[],
    ): ReadonlyMap<string, SchedulerStatus> {
      const answer = readJjobs(parseMarkers(result.stdout).get("jjobs"), "read the job status");
      return new Map(jobs.map((j) => {
        const stat = answer.stats.get(j.id);
        return [j.id, stat === undefined ? { state: "gone" } : jhStatus(stat)];
      }));
    },

    cancelArgv(ids: readonly string[]): readonly string[] {
      return ["jctrl", "kill", ...ids];
    },

    // A job that already ended ("not found", "already finished") is no failure; anything else is.
    parseCancel(result: ExecResult): boolean {
      if (result.exitCode === 0) return true;
      const lines = `${result.stdout}\n${result.stderr}`.split("\n").map((l) => l.trim())
        .filter(Boolean);
      return result.exitCode !== null && lines.length > 0 &&
        lines.every((l) =>
          /^Job <\d+> is being (terminated|signaled)/.test(l) ||
          /^Job <\d+>(: | is )(No matching job found|Job has already finished|not found)/i.test(l)
        );
    },

    // jsub and jjobs run inside bash programs; only jctrl is started directly.
    permissions: () => ({ run: ["bash", "jctrl"] }),

    lookupArgv(requests: readonly SubmitRequest[]): readonly string[] {
      const calls = requests.map((r) =>
        capture(`lookup-${r.hash}`, `jjobs -a -J ${quote(jhJobName(r))}`)
      );
      return ["bash", "-c", [...calls, "true"].join("\n")];
    },

    // Fails closed: if jjobs cannot be read, recovery must not conclude "never submitted".
    parseLookup(
      result: ExecResult,
      requests: readonly SubmitRequest[],
    ): ReadonlyMap<string, string> {
      const parts = parseMarkers(result.stdout);
      const found = new Map<string, string>();
      for (const r of requests) {
        const answer = readJjobs(parts.get(`lookup-${r.hash}`), "look up submitted jobs");
        const id = [...answer.stats.keys()].at(-1);
        if (id) found.set(r.hash, id);
      }
      return found;
    },
  });
}

/**
 * The JH UniScheduler (JHINNO) scheduler as pure functions: `#JSUB` headers, one `jsub` batch
 * per submission, one `jjobs` per poll for every job, one `jctrl kill` for all, and lookup by job
 * name (`jjobs -a -J`) for exactly-once recovery.
 *
 * The header is dpdispatcher's `JH_UniScheduler.gen_script_header` line for line
 * (`#!/bin/bash -l`, `-e %J.err`, `-o %J.out`, `-n <numberNode * cpuPerNode>`,
 * `-R 'span[ptile=<cpuPerNode>]'`, `-q <queue>`, and `-gpgpu <gpuPerNode>` or
 * `kwargs.custom_gpu_line`), without the queue line when `queueName` is empty; then LSF's
 * `-W` (walltime in minutes), `-M` (memory, MB) and `-P` (account), which JH is assumed to
 * share with LSF. Job-array submission is not offered.
 *
 * `jjobs` prints no exit code or termination reason: an `EXIT` job's end file decides, so a job
 * killed by its time limit or by someone's `jctrl kill` is reported `lost`.
 *
 * @example The header for typical resources
 * ```ts
 * import { dispatch, task } from "@deepmodeling/dpdispatcher";
 * import { jhUniScheduler } from "./jh_unischeduler.ts";
 *
 * const [job] = dispatch({ workBase: "/w" }).on(jhUniScheduler())
 *   .with({ groupSize: 4, cpuPerNode: 4, gpuPerNode: 1, queueName: "gpu" })
 *   .tasks(task({ command: "lmp -i in.lammps", taskWorkPath: "t0" }))
 *   .render();
 * // #!/bin/bash -l
 * // #JSUB -e %J.err
 * // #JSUB -o %J.out
 * // #JSUB -n 4
 * // #JSUB -R 'span[ptile=4]'
 * // #JSUB -q gpu
 * // #JSUB -gpgpu 1
 * console.log(job.script.split("\n").slice(0, 7).join("\n"));
 * ```
 */
export const jhUniSchedulerScheduler: Scheduler = makeScheduler(30_000);

/** Options of {@linkcode jhUniScheduler}. */
export interface JhUniSchedulerOptions {
  /**
   * Milliseconds to wait for a job's end file after jjobs says it ended, before calling the job
   * lost: compute nodes write through a shared filesystem.
   * @default 30000
   */
  readonly endFileGraceMs?: number;
}

/**
 * Runs jobs on a JH UniScheduler cluster through a transport: `jhUniScheduler(ssh({...}))`
 * from a laptop, `jhUniScheduler(local({ remoteRoot }))` on a login node. See
 * {@linkcode jhUniSchedulerScheduler}.
 *
 * @example
 * ```ts
 * import { dispatch, local } from "@deepmodeling/dpdispatcher";
 * import { jhUniScheduler } from "./jh_unischeduler.ts";
 *
 * const builder = dispatch({ workBase: "project" })
 *   .on(jhUniScheduler(local({ remoteRoot: "/data/runs" })))
 *   .with({ groupSize: 4, cpuPerNode: 4, gpuPerNode: 1, queueName: "gpu" });
 * ```
 */
export function jhUniScheduler(
  transport: Transport = lazyLocal(),
  options: JhUniSchedulerOptions = {},
): BatchTarget {
  const grace = checkGrace(options.endFileGraceMs, "jhUniScheduler");
  return batchTarget(
    grace === undefined ? jhUniSchedulerScheduler : makeScheduler(grace),
    transport,
  );
}
