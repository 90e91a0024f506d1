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
import { parseQstatFull, statusesOf } from "./parse.ts";
import { attemptName, batchTarget } from "../target.ts";

/**
 * The Torque job name of one attempt, `<stable name>-<attempt>`: stable, so a listing of the
 * server's jobs can answer "was it submitted?".
 *
 * @example
 * ```ts
 * import { torqueJobName } from "./torque.ts";
 *
 * console.log(torqueJobName({ name: "dpd-0123456789ab", attempt: 2 })); // "dpd-0123456789ab-2"
 * ```
 */
export function torqueJobName(request: { name: string; attempt: number }): string {
  return attemptName(request);
}

// dpdispatcher's Torque header is `#!/bin/bash -l`, `#PBS -l nodes=N:ppn=C[:gpus=G]`, `#PBS -j
// oe` and `#PBS -q`. `-j oe` is left out: qsub gets `-o <prefix>.out -e <prefix>.err` on its
// command line, and on real Torque `-j oe` would still merge stderr into the .out file and drop
// the .err path (the wrappers ignore every #PBS -o/-e/-j anyway, SCHEDULERS.md 2.2).
function header(job: ScriptJob): string {
  const r = job.resources;
  const nodes = [
    `nodes=${r.numberNode}`,
    `ppn=${r.cpuPerNode}`,
    ...(r.gpuPerNode > 0 ? [`gpus=${r.gpuPerNode}`] : []),
  ];
  const lines = ["#!/bin/bash -l", `#PBS -l ${nodes.join(":")}`];
  if (r.queueName) lines.push(`#PBS -q ${quote(r.queueName)}`);
  if (r.walltime !== undefined) lines.push(`#PBS -l walltime=${formatClock(r.walltime)}`);
  if (r.memory !== undefined) lines.push(`#PBS -l mem=${r.memory}mb`);
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

// Prints each job's qsub answer between marker lines: one exec submits a whole batch. Torque
// passes no arguments to a job script: the attempt number goes in DPD_ATTEMPT (-v). Jobs start
// in $HOME (Torque) or the submitting directory (the wrappers): the job script cds itself.
const SUBMIT_FN = `dpd_qsub() { # hash, job name, attempt, log prefix, script
  printf -- '--- %s\\n' "$1"
  qsub -N "$2" -o "$4.out" -e "$4.err" -v "DPD_ATTEMPT=$3" "$5" 2>&1
  printf -- '\\n--- %s rc %s\\n' "$1" "$?"
}`;

// `-1`: one line per attribute, never folded (both real Torque and the wrappers take it).
const listing = (ids: readonly string[]) =>
  ["bash", "-c", capture("qstat", ["qstat -f -1", ...ids.map(quote)].join(" "))] as const;

// qsub prints the new id alone on a line: `1234.server` (real Torque, `1234[].server` for an
// array) or the bare Slurm number (the wrappers).
const ID = /^\d+(?:\[\d*\])?(?:\.[\w.-]+)?$/;

/**
 * The Torque scheduler as pure functions: `#PBS` headers, one `qsub` batch per submission, one
 * `qstat -f -1 <ids>` per poll for every job, one `qdel` for all, and lookup by job name (one
 * `qstat -f -1` of every job the server lists) for exactly-once recovery. It reads real Torque's
 * answers (`1234.server` ids, `job_state = C` with `exit_status`) and those of the Debian
 * `slurm-wlm-torque` wrappers over Slurm (bare ids, no `exit_status`).
 *
 * The header is dpdispatcher's (`#!/bin/bash -l`, `-l nodes=<numberNode>:ppn=<cpuPerNode>`
 * with `:gpus=<gpuPerNode>` when set, `-q`), plus `-l walltime`, `-l mem=<MiB>mb` (Torque's
 * job-wide memory) and `-A`; not `-j oe`, since qsub's own `-o`/`-e` keep stdout and stderr
 * apart. `qos` has no Torque directive and is not written.
 *
 * A completed job's `exit_status` classes it (`-11` timeout, `-10` oom, `256+9` and `256+15`
 * cancelled, other negative codes node_fail; see `codes.ts`). The wrappers print none: a job
 * killed by its time limit or by `qdel` reads as gone, and without an end file it is `lost`.
 * Lookup lists every job the server still shows (the wrappers: every job slurmctld remembers,
 * every user's; about 20 lines each) since the wrappers have no `qselect`; jobs purged after
 * `keep_completed` or MinJobAge are not found, and their resubmitted attempt then exits at once
 * (the job script runs an attempt at most once). The wrappers build sbatch's command line as a
 * shell string without quoting: paths with spaces or quotes do not survive them.
 *
 * @example The header for typical resources
 * ```ts
 * import { dispatch, task } from "@deepmodeling/dpdispatcher";
 * import { torque } from "./torque.ts";
 *
 * const [job] = dispatch({ workBase: "/w" }).on(torque())
 *   .with({ groupSize: 1, cpuPerNode: 4, queueName: "batch", walltime: "1h30m", memory: "4G" })
 *   .tasks(task({ command: "lmp -i in.lammps", taskWorkPath: "t0" }))
 *   .render();
 * // #!/bin/bash -l
 * // #PBS -l nodes=1:ppn=4
 * // #PBS -q batch
 * // #PBS -l walltime=01:30:00
 * // #PBS -l mem=4096mb
 * console.log(job.script.split("\n").slice(0, 5).join("\n"));
 * ```
 */
export const torqueScheduler: Scheduler = Object.freeze({
  name: "torque",
  // PBS_JOBID needs Slurm's spank_pbs plugin under the wrappers; unset, the job names itself by
  // its shell's PID. No job-array variant: one job per job.
  env: { jobId: "PBS_JOBID", arrayIndex: "PBS_ARRAYID", arrayBase: 0 as const },
  endFileGraceMs: 30_000,
  queues: true,
  header,

  submitArgv(requests: readonly SubmitRequest[]): readonly string[] {
    const calls = requests.map((r) =>
      `dpd_qsub ${r.hash} ${quote(torqueJobName(r))} ${r.attempt} ${quote(r.attemptPrefix)} ${
        quote(r.script)
      }`
    );
    return ["bash", "-c", [SUBMIT_FN, ...calls].join("\n")];
  },

  parseSubmit(result: ExecResult, requests: readonly SubmitRequest[]): readonly SubmitOutcome[] {
    const answers = parseMarkers(result.stdout);
    return requests.map((r): SubmitOutcome => {
      const answer = answers.get(r.hash);
      const id = answer?.lines.find((l) => ID.test(l));
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

  statusArgv(jobs: readonly { id: string }[]): readonly string[] {
    return listing(jobs.map((j) => j.id));
  },

  parseStatus(
    result: ExecResult,
    jobs: readonly { id: string }[],
  ): ReadonlyMap<string, SchedulerStatus> {
    const answer = read(result, "read the job status");
    return statusesOf(answer, jobs.map((j) => j.id));
  },

  cancelArgv(ids: readonly string[]): readonly string[] {
    return ["qdel", ...ids];
  },

  // rc 0: done. Real Torque: `qdel: nonexistent job id: <id>` (stderr, rc 153) for each id it
  // does not know, that is one that ended and was purged: no failure. The wrappers say nothing
  // for an id Slurm calls unknown or already done, exit with the number of ids that failed, and
  // print one line for any other failure (`qdel: Kill job error on job id N: Unable to contact
  // slurm controller ...`): silence with rc <= the number of ids means every failed id had ended.
  parseCancel(result: ExecResult, ids: readonly string[]): boolean {
    if (result.exitCode === 0) return true;
    if (result.exitCode === null) return false;
    const lines = `${result.stdout}\n${result.stderr}`.split("\n").map((l) => l.trim())
      .filter(Boolean);
    if (lines.length === 0) return result.exitCode <= ids.length;
    return result.exitCode === 153 &&
      lines.every((l) => /^qdel: (nonexistent job id:|Unknown Job Id(?: Error)?) \S+$/.test(l));
  },

  // qsub and qstat run inside bash programs; only qdel is started directly.
  permissions: () => ({ run: ["bash", "qdel"] }),

  lookupArgv(): readonly string[] {
    return listing([]);
  },

  // Fails closed: if the listing cannot be read, recovery must not conclude "never submitted".
  parseLookup(
    result: ExecResult,
    requests: readonly SubmitRequest[],
  ): ReadonlyMap<string, string> {
    const answer = read(result, "look up submitted jobs");
    const found = new Map<string, string>();
    for (const r of requests) {
      const name = torqueJobName(r);
      const ids = answer.jobs.filter((j) => j.name === name).map((j) => j.id);
      if (ids.length > 0) found.set(r.hash, ids[ids.length - 1]);
    }
    return found;
  },
});

function read(result: ExecResult, what: string) {
  const section = parseMarkers(result.stdout).get("qstat");
  try {
    return parseQstatFull(section);
  } catch (e) {
    const why = section
      ? (e as Error).message
      : `no qstat answer: ${
        result.stderr.trim() || result.stdout.trim() || `exit code ${result.exitCode}`
      }`;
    throw new Error(`Cannot ${what}: ${why}`, { cause: e });
  }
}

/**
 * Runs jobs on a Torque cluster (or Slurm's `slurm-wlm-torque` wrappers) through a transport:
 * `torque(local({ remoteRoot }))` on the cluster itself, `torque(ssh({...}))` from a laptop. See
 * {@linkcode torqueScheduler}.
 *
 * @example
 * ```ts
 * import { dispatch, local } from "@deepmodeling/dpdispatcher";
 * import { torque } from "./torque.ts";
 *
 * const builder = dispatch({ workBase: "project" })
 *   .on(torque(local({ remoteRoot: "/scratch/runs" })))
 *   .with({ groupSize: 1, cpuPerNode: 2, queueName: "batch" });
 * ```
 */
export function torque(transport: Transport = lazyLocal()): BatchTarget {
  return batchTarget(torqueScheduler, transport);
}
