import { posix } from "node:path";
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
import { FATAL, QUEUE_LIMIT } from "./codes.ts";
import { escapeXml, goneStatus, liveStatuses, parseQacct, parseQstatXml } from "./parse.ts";
import { arrayChunkOf, attemptName, batchTarget, checkThrottle } from "../target.ts";

/**
 * The Grid Engine job name of one attempt, `<stable name>-<attempt>`: stable, so the queue and
 * the accounting file can answer "was it submitted?".
 *
 * @example
 * ```ts
 * import { sgeJobName } from "./sge.ts";
 *
 * console.log(sgeJobName({ name: "dpd-0123456789ab", attempt: 2 })); // "dpd-0123456789ab-2"
 * ```
 */
export function sgeJobName(request: { name: string; attempt: number }): string {
  return attemptName(request);
}

/** A string kwarg by its camelCase or snake_case names, or `fallback`. */
function kwarg(job: ScriptJob, names: readonly string[], fallback: string): string {
  const kwargs = job.resources.kwargs;
  const key = names.find((n) => kwargs[n] !== undefined);
  if (key === undefined) return fallback;
  const value = kwargs[key];
  if (typeof value !== "string" || value === "" || /[\n\r]/.test(value)) {
    throw new TypeError(
      `Invalid resources.kwargs.${key}: expected a one-line string, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

function header(job: ScriptJob): string {
  const r = job.resources;
  const pe = kwarg(job, ["peName", "pe_name", "sgePeName", "sge_pe_name"], "mpi");
  // dpdispatcher writes `-N {job_name|wDPjob}`; the stable name is the better default. Either
  // way qsub's own `-N <name>-<attempt>` overrides it, so lookups find the attempt by name.
  const name = kwarg(job, ["jobName", "job_name"], r.jobName ?? job.name);
  const lines = [
    "#!/bin/bash",
    "#$ -S /bin/bash",
    "#$ -cwd",
    `#$ -N ${quote(name)}`,
    `#$ -pe ${quote(pe)} ${r.cpuPerNode}`,
  ];
  if (r.queueName) lines.push(`#$ -q ${quote(r.queueName)}`);
  if (r.walltime !== undefined) lines.push(`#$ -l h_rt=${formatClock(r.walltime)}`);
  if (r.memory !== undefined) lines.push(`#$ -l h_vmem=${r.memory}M`);
  if (r.account) lines.push(`#$ -A ${quote(r.account)}`);
  return lines.join("\n");
}

// Unknown answers count as transient: the attempt keeps its intent and the next round looks it
// up by name before submitting again, so a job that was queued after all is never lost or doubled.
function classify(error: string): "transient" | "limit" | "fatal" {
  if (QUEUE_LIMIT.some((re) => re.test(error))) return "limit";
  if (FATAL.some((re) => re.test(error))) return "fatal";
  return "transient";
}

// Prints each job's qsub answer between marker lines: one exec submits a whole batch. qsub
// passes the words after the script to it: the attempt number is the script's $1. `-wd` (which
// overrides the header's `-cwd`) starts the job in the jobs directory, on the shared filesystem:
// the directory the submitting shell happens to be in may not exist on the execution host.
const SUBMIT_FN =
  `dpd_qsub() { # hash, job name, attempt, prefix, script, dir, [task range, [max running]]
  local array=() logs="$4"
  if [ -n "$7" ]; then array=(-t "$7"); logs="$4".'$TASK_ID'; fi
  if [ -n "$8" ]; then array+=(-tc "$8"); fi
  printf -- '--- %s\\n' "$1"
  qsub -terse -wd "$6" -N "$2" "\${array[@]}" -o "$logs.out" -e "$logs.err" "$5" "$3" 2>&1
  printf -- '\\n--- %s rc %s\\n' "$1" "$?"
}`;

/**
 * SGE's `-t` takes one range `n[-m[:s]]` of 1-based task ids: the elements to run, as one step
 * range when evenly spaced, else one range from the first to the last. Elements inside it
 * whose tasks all finished run again as no-ops (the job script skips finished tasks).
 */
function taskRange(elements: readonly number[]): string {
  const ids = [...new Set(elements)].sort((a, b) => a - b).map((k) => k + 1);
  const [first, last] = [ids[0], ids[ids.length - 1]];
  if (ids.length === 1) return String(first);
  const step = ids[1] - ids[0];
  const even = ids.every((id, i) => id === first + i * step);
  return even && step > 1 ? `${first}-${last}:${step}` : `${first}-${last}`;
}

/** The bash lines that read `qstat -xml` once, then run `qacct` for what it does not list. */
function listThen(missing: (list: string) => string[]): string {
  return [
    capture("qstat", "qstat -xml"),
    `dpd_q=$dpd_o`,
    // Unreadable (qmaster unreachable): no accounting lookups; the parser throws.
    `case "$dpd_q" in ""|*"</job_info>"*) ;; *) exit 0;; esac`,
    ...missing("$dpd_q"),
    "true",
  ].join("\n");
}

function readQstat(result: ExecResult, what: string) {
  const qstat = parseMarkers(result.stdout).get("qstat");
  if (!qstat) {
    throw new Error(`Cannot ${what}: no qstat answer: ${result.stderr.trim() || result.stdout}`);
  }
  if (qstat.code === undefined) throw new Error(`Cannot ${what}: qstat's answer was cut off`);
  if (qstat.code !== 0) {
    throw new Error(
      `Cannot ${what}: qstat exited with code ${qstat.code}: ${qstat.lines.join(" ")}`,
    );
  }
  return parseQstatXml(qstat.lines);
}

function makeScheduler(array?: { throttle?: number }): Scheduler {
  return Object.freeze({
    name: array ? "sgeJobArray" : "sge",
    env: { jobId: "JOB_ID", arrayIndex: "SGE_TASK_ID", arrayBase: 1 as const },
    endFileGraceMs: 30_000,
    // An array job is one job here however many tasks wait: a window of them bounds nothing.
    queues: !array,
    header,
    ...(array ? { arrayChunk } : {}),

    submitArgv(requests: readonly SubmitRequest[]): readonly string[] {
      const calls = requests.map((r) => {
        const args = [
          r.hash,
          quote(sgeJobName(r)),
          r.attempt,
          quote(r.attemptPrefix),
          quote(r.script),
          quote(posix.dirname(r.script)),
        ];
        if (r.elements && r.elements.length > 0) {
          args.push(taskRange(r.elements));
          if (array?.throttle) args.push(array.throttle);
        }
        return `dpd_qsub ${args.join(" ")}`;
      });
      return ["bash", "-c", [SUBMIT_FN, ...calls].join("\n")];
    },

    parseSubmit(result: ExecResult, requests: readonly SubmitRequest[]): readonly SubmitOutcome[] {
      const answers = parseMarkers(result.stdout);
      return requests.map((r): SubmitOutcome => {
        const answer = answers.get(r.hash);
        // -terse prints "<id>", or "<id>.<first>-<last>:<step>" for an array.
        const id = answer?.lines.map((l) => /^(\d+)(?:\.\d+-\d+:\d+)?$/.exec(l)?.[1]).find(Boolean);
        // An id with no exit line means the script was cut off after qsub answered: still ours.
        if (id && (answer!.code === 0 || answer!.code === undefined)) return { ok: true, id };
        const error = answer && answer.lines.length > 0
          ? answer.lines.filter((l) => l !== "Exiting.").join(" ")
          : answer?.code !== undefined
          ? `qsub exited with code ${answer.code} and printed nothing`
          : `qsub printed no job id${result.stderr.trim() ? `: ${result.stderr.trim()}` : ""}`;
        return { ok: false, error, kind: classify(error) };
      });
    },

    // One qstat -xml for every own job (it has no id filter), then one qacct per id it does not
    // list, all in one exec; never a substring match of ids (12 would match 123 and dates).
    statusArgv(jobs: readonly { id: string }[]): readonly string[] {
      const ids = jobs.map((j) => j.id).filter((id) => /^\d+$/.test(id));
      return [
        "bash",
        "-c",
        listThen((q) =>
          ids.length === 0 ? [] : [
            `for id in ${ids.join(" ")}; do`,
            `  case "${q}" in *"<JB_job_number>$id</JB_job_number>"*) continue;; esac`,
            `  ${capture("qacct-$id", `qacct -j "$id"`)}`,
            "done",
          ]
        ),
      ];
    },

    parseStatus(
      result: ExecResult,
      jobs: readonly { id: string }[],
    ): ReadonlyMap<string, SchedulerStatus> {
      const live = liveStatuses(readQstat(result, "read the job status"));
      const parts = parseMarkers(result.stdout);
      return new Map(
        jobs.map((j) => [j.id, live.get(j.id) ?? goneStatus(parts.get(`qacct-${j.id}`))]),
      );
    },

    cancelArgv(ids: readonly string[]): readonly string[] {
      return ["qdel", ...ids];
    },

    // qdel prints one line per id on stdout and exits 1 if any failed: a job that already ended
    // ("denied: job "5" does not exist") is no failure; an unreachable qmaster is.
    parseCancel(result: ExecResult): boolean {
      if (result.exitCode === 0) return true;
      const lines = `${result.stdout}\n${result.stderr}`.split("\n").map((l) => l.trim())
        .filter(Boolean);
      return result.exitCode !== null && lines.length > 0 &&
        lines.every((l) =>
          /^denied: job "\d+" does not exist$/.test(l) ||
          / has (registered|deleted) /.test(l) || /is already in deletion/.test(l)
        );
    },

    // qsub, qstat and qacct run inside bash programs; only qdel is started directly.
    permissions: () => ({ run: ["bash", "qdel"] }),

    lookupArgv(requests: readonly SubmitRequest[]): readonly string[] {
      return [
        "bash",
        "-c",
        listThen((q) =>
          requests.map((r) => {
            const name = sgeJobName(r);
            return `case "${q}" in *'<JB_name>'${quote(escapeXml(name))}'</JB_name>'*) ;; *) ${
              capture(`qacct-${r.hash}`, `qacct -j ${quote(name)}`)
            };; esac`;
          })
        ),
      ];
    },

    // Fails closed: if qstat or qacct cannot be read, recovery must not conclude "never submitted".
    parseLookup(
      result: ExecResult,
      requests: readonly SubmitRequest[],
    ): ReadonlyMap<string, string> {
      const listed = readQstat(result, "look up submitted jobs");
      const parts = parseMarkers(result.stdout);
      const found = new Map<string, string>();
      for (const r of requests) {
        const name = sgeJobName(r);
        const entry = listed.find((e) => e.name === name);
        if (entry) {
          found.set(r.hash, entry.id);
          continue;
        }
        const qacct = parts.get(`qacct-${r.hash}`);
        // No record by that name, or no accounting file at all (no job ever ended here).
        const none = qacct?.lines.some((l) =>
          /^error: job name \S+ not found$/.test(l) || l === "no jobs running since startup"
        );
        if (!qacct || qacct.code === undefined || (qacct.code !== 0 && !none)) {
          throw new Error(
            `Cannot look up submitted jobs with qacct: ${qacct?.lines.join(" ") ?? "no answer"}`,
          );
        }
        const ids = parseQacct(qacct.lines).filter((rec) => rec.get("jobname") === name)
          .map((rec) => rec.get("jobnumber")).filter((id) => id && /^\d+$/.test(id));
        if (ids.length > 0) found.set(r.hash, ids[ids.length - 1]!);
      }
      return found;
    },
  });
}

/** Tasks per array task: `kwargs.sgeJobSize` (or `sge_job_size`), 1 by default. */
function arrayChunk(resources: ScriptJob["resources"]): number {
  return arrayChunkOf(resources, "sgeJobSize", "sge_job_size");
}

/**
 * The Son of Grid Engine scheduler as pure functions: `#$` headers, one `qsub` batch per
 * submission, one `qstat -xml` (plus `qacct` for jobs that left it) per poll for every job, one
 * `qdel` for all, and lookup by job name for exactly-once recovery.
 *
 * The header is dpdispatcher's (`-S /bin/bash`, `-cwd`, `-N <kwargs.jobName>`, `-pe
 * <kwargs.peName|mpi> <cpuPerNode>`, `-q`), plus `-l h_rt` (walltime), `-l h_vmem` (memory) and
 * `-A` (account). Without `kwargs.jobName` (`job_name`), `-N` is `resources.jobName` or the job's
 * stable name (dpdispatcher: `wDPjob`); qsub's own `-N <stable name>-<attempt>` overrides it.
 * Grid Engine has no directive for a node count: `-pe` counts slots, and the PE's allocation
 * rule spreads them, so `numberNode` is not written (dpdispatcher ignores it too). Nor has it a
 * built-in GPU resource (`-l gpu=1` is refused unless the site defines one): like dpdispatcher,
 * nothing is written for `gpuPerNode`; add the site's request to `customFlags`
 * (`"#$ -l gpu=2"`). `qos` has no counterpart and is not written either. `h_vmem` is Grid
 * Engine's per-process memory limit (a program over it fails to allocate), not a cap on the job
 * as a whole; sites that make it a consumable count it per slot.
 *
 * @example The header for typical resources
 * ```ts
 * import { dispatch, task } from "@deepmodeling/dpdispatcher";
 * import { sge } from "./sge.ts";
 *
 * const [job] = dispatch({ workBase: "/w" }).on(sge())
 *   .with({ groupSize: 1, cpuPerNode: 4, queueName: "all.q", walltime: "1h30m", memory: "4G" })
 *   .tasks(task({ command: "lmp -i in.lammps", taskWorkPath: "t0" }))
 *   .render();
 * // #!/bin/bash
 * // #$ -S /bin/bash
 * // #$ -cwd
 * // #$ -N dpd-...
 * // #$ -pe mpi 4
 * // #$ -q all.q
 * // #$ -l h_rt=01:30:00
 * // #$ -l h_vmem=4096M
 * console.log(job.script.split("\n").slice(0, 8).join("\n"));
 * ```
 */
export const sgeScheduler: Scheduler = makeScheduler();

/**
 * Runs jobs on a Son of Grid Engine cluster through a transport: `sge(local({ remoteRoot }))` on
 * the cluster itself, `sge(ssh({...}))` from a laptop. See {@linkcode sgeScheduler}.
 *
 * @example
 * ```ts
 * import { dispatch, local } from "@deepmodeling/dpdispatcher";
 * import { sge } from "./sge.ts";
 *
 * const builder = dispatch({ workBase: "project" }).on(sge(local({ remoteRoot: "/scratch/runs" })))
 *   .with({ groupSize: 1, cpuPerNode: 2, kwargs: { peName: "smp" } });
 * ```
 */
export function sge(transport: Transport = lazyLocal()): BatchTarget {
  return batchTarget(sgeScheduler, transport);
}

/** Options of {@linkcode sgeJobArray}. */
export interface SgeJobArrayOptions {
  /** At most this many array tasks run at once (`qsub -tc 10`). */
  readonly throttle?: number;
}

/**
 * Like {@linkcode sge}, but each job is submitted as one Grid Engine array job (`qsub -t`):
 * array task k (1-based, `SGE_TASK_ID`) runs `kwargs.sgeJobSize` tasks (default 1). A retry
 * resubmits the tasks whose work did not finish as one range (`-t 2-5`, or `-t 2-6:2` when evenly
 * spaced), since `-t` takes a single range: finished tasks inside it exit at once.
 *
 * @example Ten tasks in one array job of five array tasks, two at a time
 * ```ts
 * import { dispatch, task } from "@deepmodeling/dpdispatcher";
 * import { sgeJobArray } from "./sge.ts";
 *
 * const builder = dispatch({ workBase: "project" })
 *   .on(sgeJobArray(undefined, { throttle: 2 }))
 *   .with({ groupSize: 10, kwargs: { sgeJobSize: 2 } })
 *   .tasks(Array.from({ length: 10 }, (_, i) => task({ command: "run", taskWorkPath: `t${i}` })));
 * ```
 */
export function sgeJobArray(
  transport: Transport = lazyLocal(),
  options: SgeJobArrayOptions = {},
): BatchTarget {
  const throttle = checkThrottle(options.throttle, "sgeJobArray");
  return batchTarget(makeScheduler({ throttle }), transport);
}
