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
import { FATAL, PENDING_WORDS, QUEUE_LIMIT, SLURM_ENDED, SLURM_LIVE } from "./codes.ts";
import { arrayChunkOf, attemptName, batchTarget, checkThrottle } from "../target.ts";

/** The Slurm job name of one attempt: stable, so the queue can answer "was it submitted?". */
export function slurmJobName(request: { name: string; attempt: number }): string {
  return attemptName(request);
}

function header(job: ScriptJob): string {
  const r = job.resources;
  const lines = [
    "#!/bin/bash -l",
    `#SBATCH --nodes=${r.numberNode}`,
    `#SBATCH --ntasks-per-node=${r.cpuPerNode}`,
  ];
  const gpuLine = r.kwargs.customGpuLine ?? r.kwargs.custom_gpu_line;
  if (typeof gpuLine === "string" && gpuLine !== "") lines.push(gpuLine);
  else if (r.gpuPerNode > 0) lines.push(`#SBATCH --gres=gpu:${r.gpuPerNode}`);
  if (r.queueName) lines.push(`#SBATCH --partition=${quote(r.queueName)}`);
  if (r.walltime !== undefined) lines.push(`#SBATCH --time=${formatClock(r.walltime)}`);
  if (r.memory !== undefined) lines.push(`#SBATCH --mem=${r.memory}M`);
  if (r.account) lines.push(`#SBATCH --account=${r.account}`);
  if (r.qos) lines.push(`#SBATCH --qos=${r.qos}`);
  return lines.join("\n");
}

/**
 * A job array's own `--array=0-<n-1>[%throttle]`, as dpdispatcher's SlurmJobArray writes it (after
 * a header template too): submitted by hand, the script runs every element. sbatch's `--array` on
 * the command line overrides it, so a retry runs only the unfinished elements.
 */
function arrayHeader(job: ScriptJob, throttle?: number): string {
  const last = Math.ceil(job.tasks.length / arrayChunk(job.resources)) - 1;
  return `#SBATCH --array=0-${last}${throttle ? `%${throttle}` : ""}`;
}

// Unknown answers count as transient: the attempt keeps its intent and the next round looks it
// up by name before submitting again, so a job that was queued after all is never lost or doubled.
function classify(error: string): "transient" | "limit" | "fatal" {
  if (QUEUE_LIMIT.some((re) => re.test(error))) return "limit";
  if (FATAL.some((re) => re.test(error))) return "fatal";
  return "transient";
}

// Prints "<hash> <id>" or "<hash> ERR <message>" per job: one exec submits a whole batch.
// The attempt number goes to the script as $1, not through --export=ALL,VAR=...: Slurm 22.05
// treats such an --export list as a request to load the user's login environment (su - user).
const SUBMIT_FN = `dpd_sbatch() { # hash, job name, attempt, prefix, script, [array elements]
  local array=() logs="$4"
  if [ -n "$6" ]; then array=(--array="$6"); logs="$4.%a"; fi
  # sbatch writes straight to stdout between two marker lines: capturing it with $(...) costs
  # a subshell (a fork, ~6 ms here) per job, and a stderr file per job cost 4 ms.
  printf -- '--- %s\\n' "$1"
  sbatch --parsable --job-name="$2" "\${array[@]}" --output="$logs.out" --error="$logs.err" "$5" "$3" 2>&1
  printf -- '\\n--- %s rc %s\\n' "$1" "$?"
}`;

// One squeue for every id (array elements show as <id>_<k>); sacct only for the ids the
// controller no longer remembers.
function statusScript(ids: readonly string[]): string {
  const list = ids.join(",");
  const each = ids.join(" ");
  return `${capture("squeue", `squeue -h -t all -o '%i %T %r' -j ${list}`)}
missing=
flat=" \${dpd_o//$'\\n'/ } "
for id in ${each}; do case "$flat" in *" $id "*|*" \${id}_"*) ;; *) missing="$missing,$id";; esac; done
if [ -n "$missing" ]; then ${
    capture("sacct", `sacct -X -P -n -o JobID,State,ExitCode -j "\${missing#,}"`)
  }; fi
true`;
}

function ended(state: string, reason?: string): SchedulerStatus {
  const word = state.split(" ")[0].replace(/\+$/, "");
  const failure = SLURM_ENDED[word];
  return { state: "gone", failure, reason: reason && reason !== "None" ? reason : undefined };
}

/**
 * The Slurm scheduler as pure functions: `#SBATCH` headers, one `sbatch` batch per submission,
 * one `squeue` (plus `sacct` for jobs that left the controller) per poll for every job, one
 * `scancel` for all, and lookup by job name for exactly-once recovery.
 *
 * @example The header for typical resources
 * ```ts
 * import { dispatch, slurm, task } from "@deepmodeling/dpdispatcher";
 *
 * const [job] = dispatch({ workBase: "/w" }).on(slurm())
 *   .with({ groupSize: 1, cpuPerNode: 4, queueName: "debug", walltime: "1h30m", memory: "4G" })
 *   .tasks(task({ command: "lmp -i in.lammps", taskWorkPath: "t0" }))
 *   .render();
 * // #!/bin/bash -l
 * // #SBATCH --nodes=1
 * // #SBATCH --ntasks-per-node=4
 * // #SBATCH --partition=debug
 * // #SBATCH --time=01:30:00
 * // #SBATCH --mem=4096M
 * console.log(job.script.split("\n").slice(0, 6).join("\n"));
 * ```
 */
export const slurmScheduler: Scheduler = makeScheduler();

/** Tasks per array element: dpdispatcher's `slurm_job_size` (kwargs), 1 by default. */
function arrayChunk(resources: ScriptJob["resources"]): number {
  return arrayChunkOf(resources, "slurmJobSize", "slurm_job_size");
}

function makeScheduler(array?: { throttle?: number }): Scheduler {
  return Object.freeze({
    name: array ? "slurmJobArray" : "slurm",
    env: { jobId: "SLURM_JOB_ID", arrayIndex: "SLURM_ARRAY_TASK_ID", arrayBase: 0 as const },
    endFileGraceMs: 30_000,
    // An array job is one job here however many elements wait: a window of them bounds nothing.
    queues: !array,
    header,
    ...(array
      ? { arrayChunk, arrayHeader: (job: ScriptJob) => arrayHeader(job, array.throttle) }
      : {}),

    submitArgv(requests: readonly SubmitRequest[]): readonly string[] {
      const calls = requests.map((r) => {
        const elements = r.elements && r.elements.length > 0
          ? ` ${r.elements.join(",")}${array?.throttle ? `%${array.throttle}` : ""}`
          : "";
        const args = [
          r.hash,
          quote(slurmJobName(r)),
          r.attempt,
          quote(r.attemptPrefix),
          quote(r.script),
        ];
        return `dpd_sbatch ${args.join(" ")}${elements}`;
      });
      // One sbatch after the other, as a hand-written loop: measured here, eight at once were
      // no faster (the controller and munge serialize them) and a stderr file per call cost 4 ms.
      return ["bash", "-c", [SUBMIT_FN, ...calls].join("\n")];
    },

    parseSubmit(result: ExecResult, requests: readonly SubmitRequest[]): readonly SubmitOutcome[] {
      const answers = parseMarkers(result.stdout);
      return requests.map((r): SubmitOutcome => {
        const answer = answers.get(r.hash);
        // --parsable prints "<id>" or "<id>;<cluster>"; warnings may surround it.
        const id = answer?.lines.map((l) => /^(\d+)(?:;.*)?$/.exec(l)?.[1]).find(Boolean);
        // An id with no exit line means the script was cut off after sbatch answered: still ours.
        if (id && (answer!.code === 0 || answer!.code === undefined)) return { ok: true, id };
        const error = answer && answer.lines.length > 0
          ? answer.lines.join(" ")
          : answer?.code !== undefined
          ? `sbatch exited with code ${answer.code} and printed nothing`
          : `sbatch printed no job id${result.stderr.trim() ? `: ${result.stderr.trim()}` : ""}`;
        return { ok: false, error, kind: classify(error) };
      });
    },

    statusArgv(jobs: readonly { id: string }[]): readonly string[] {
      return ["bash", "-c", statusScript(jobs.map((j) => j.id))];
    },

    parseStatus(
      result: ExecResult,
      jobs: readonly { id: string }[],
    ): ReadonlyMap<string, SchedulerStatus> {
      const parts = parseMarkers(result.stdout);
      const squeue = parts.get("squeue");
      if (!squeue) {
        throw new Error(
          `Cannot read squeue's answer: ${result.stderr.trim() || result.stdout.trim()}`,
        );
      }
      // Array elements (<id>_<k>, or <id>_[2-5] while pending) count for their array's id: it is
      // running while any element runs, pending while any waits, and gone with the first failure.
      const listed = new Map<string, SchedulerStatus>();
      const rank = { running: 3, pending: 2, gone: 1 };
      const note = (raw: string, st: SchedulerStatus) => {
        const id = raw.split("_")[0];
        const old = listed.get(id);
        if (
          !old || rank[st.state] > rank[old.state] ||
          (st.state === "gone" && old.state === "gone" && !old.failure)
        ) {
          listed.set(id, st);
        }
      };
      const invalidId = squeue.lines.some((l) => /Invalid job id/i.test(l));
      if (squeue.code === undefined) throw new Error("squeue's answer was cut off");
      if (squeue.code !== 0 && !invalidId) {
        throw new Error(`squeue exited with code ${squeue.code}: ${squeue.lines.join(" ")}`);
      }
      for (const line of squeue.lines) {
        const [id, state, ...reason] = line.split(" ");
        const live = SLURM_LIVE[state];
        const why = reason.join(" ");
        if (live === "pending") {
          note(id, { state: "pending", reason: PENDING_WORDS[why] ?? why });
        } else if (live === "running") note(id, { state: "running" });
        else if (state) note(id, ended(state, why));
      }
      const sacct = parts.get("sacct");
      // Accounting may be disabled ("Slurm accounting storage is disabled"): the end files decide.
      if (sacct && sacct.code === 0) {
        for (const line of sacct.lines) {
          const [id, state] = line.split("|");
          if (
            id && state && !squeue.lines.some((l) => new RegExp(`^${id.split("_")[0]}[ _]`).test(l))
          ) {
            const live = SLURM_LIVE[state];
            note(id, live ? { state: live } : ended(state));
          }
        }
      }
      return new Map(jobs.map((j) => [j.id, listed.get(j.id) ?? { state: "gone" }]));
    },

    cancelArgv(ids: readonly string[]): readonly string[] {
      return ["scancel", ...ids];
    },

    // scancel says so, and exits non-zero, for a job that already ended: no failure to cancel.
    parseCancel: (result: ExecResult) =>
      result.exitCode === 0 ||
      /invalid job id|already complet|job\/step already/i.test(result.stderr),

    // sbatch, squeue and sacct run inside bash scripts; only scancel is started directly.
    permissions: () => ({ run: ["bash", "scancel"] }),

    lookupArgv(requests: readonly SubmitRequest[]): readonly string[] {
      const names = quote(requests.map(slurmJobName).join(","));
      return [
        "bash",
        "-c",
        [
          capture("squeue", `squeue --me -h -t all -o '%i %j' --name=${names}`),
          capture("sacct", `sacct -X -P -n -o JobID,JobName -S now-30days --name=${names}`),
        ].join("\n"),
      ];
    },

    // Fails closed: if the queue cannot be read, recovery must not conclude "never submitted".
    parseLookup(
      result: ExecResult,
      requests: readonly SubmitRequest[],
    ): ReadonlyMap<string, string> {
      const parts = parseMarkers(result.stdout);
      const squeue = parts.get("squeue");
      const sacct = parts.get("sacct");
      if (!squeue || squeue.code !== 0) {
        throw new Error(
          `Cannot look up submitted jobs with squeue: ${
            squeue?.lines.join(" ") ?? result.stderr.trim()
          }`,
        );
      }
      const accountingOff = sacct?.lines.some((l) => /accounting storage is disabled/i.test(l)) ??
        false;
      if (!sacct || (sacct.code !== 0 && !accountingOff)) {
        throw new Error(
          `Cannot look up submitted jobs with sacct: ${sacct?.lines.join(" ") ?? ""}`,
        );
      }
      const byName = new Map(requests.map((r) => [slurmJobName(r), r.hash]));
      const found = new Map<string, string>();
      const lines = [
        ...squeue.lines,
        ...(accountingOff ? [] : sacct.lines.map((l) => l.replace("|", " "))),
      ];
      for (const line of lines) {
        const [id, name] = line.trim().split(" ");
        const hash = name ? byName.get(name) : undefined;
        const base = id?.split("_")[0];
        if (hash && base && /^\d+$/.test(base) && !found.has(hash)) found.set(hash, base);
      }
      return found;
    },
  });
}

/**
 * Runs jobs on a Slurm cluster through a transport: `slurm(local({ remoteRoot }))` on the
 * cluster itself, and later `slurm(ssh({...}))` from a laptop.
 *
 * @example
 * ```ts
 * import { dispatch, local, slurm } from "@deepmodeling/dpdispatcher";
 *
 * const builder = dispatch({ workBase: "project" }).on(slurm(local({ remoteRoot: "/scratch/runs" })));
 * ```
 */
export function slurm(transport: Transport = lazyLocal()): BatchTarget {
  return batchTarget(slurmScheduler, transport);
}

/** Options of {@linkcode slurmJobArray}. */
export interface SlurmJobArrayOptions {
  /** At most this many array elements run at once (`--array=0-99%10`). */
  readonly throttle?: number;
}

/**
 * Like {@linkcode slurm}, but each job is submitted as one Slurm job array, like dpdispatcher's
 * `SlurmJobArray`: element k runs `kwargs.slurmJobSize` tasks (default 1). Its script names every
 * element itself (`#SBATCH --array=0-4%2`), so it also runs as written with plain `sbatch`; a
 * retry resubmits only the elements whose tasks did not finish (`sbatch --array=2,5`, which
 * overrides the script's).
 *
 * @example Ten tasks in one job array of five elements, two at a time
 * ```ts
 * import { dispatch, slurmJobArray, task } from "@deepmodeling/dpdispatcher";
 *
 * const builder = dispatch({ workBase: "project" })
 *   .on(slurmJobArray(undefined, { throttle: 2 }))
 *   .with({ groupSize: 10, kwargs: { slurmJobSize: 2 } })
 *   .tasks(Array.from({ length: 10 }, (_, i) => task({ command: "run", taskWorkPath: `t${i}` })));
 * ```
 */
export function slurmJobArray(
  transport: Transport = lazyLocal(),
  options: SlurmJobArrayOptions = {},
): BatchTarget {
  const throttle = checkThrottle(options.throttle, "slurmJobArray");
  return batchTarget(makeScheduler({ throttle }), transport);
}
