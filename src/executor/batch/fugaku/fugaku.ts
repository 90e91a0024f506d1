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
import { attemptName, batchTarget, checkGrace } from "../target.ts";
import { FATAL, QUEUE_LIMIT } from "./codes.ts";
import { readPjstat, statusById } from "./parse.ts";

/**
 * The PJM job name of one attempt, `<stable name>-<attempt>` (PJM allows 63 bytes): stable, so
 * `pjstat` can answer "was it submitted?".
 *
 * @example
 * ```ts
 * import { fugakuJobName } from "./fugaku.ts";
 *
 * console.log(fugakuJobName({ name: "dpd-0123456789ab", attempt: 2 })); // "dpd-0123456789ab-2"
 * ```
 */
export function fugakuJobName(request: { name: string; attempt: number }): string {
  return attemptName(request);
}

/** A `-L`/`--mpi` value in double quotes as dpdispatcher writes it, or shell-quoted if it must be. */
const dq = (value: string) => /^[\w.:=/+-]*$/.test(value) ? `"${value}"` : quote(value);

function header(job: ScriptJob): string {
  const r = job.resources;
  const lines = ["#!/bin/bash"];
  if (r.queueName) lines.push(`#PJM -L ${dq(`rscgrp=${r.queueName}`)}`);
  lines.push(`#PJM -L "node=${r.numberNode}"`);
  lines.push(`#PJM --mpi "max-proc-per-node=${r.cpuPerNode}"`);
  if (r.walltime !== undefined) lines.push(`#PJM -L "elapse=${formatClock(r.walltime)}"`);
  if (r.account) lines.push(`#PJM -g ${quote(r.account)}`);
  return lines.join("\n");
}

// Unknown answers count as transient: the attempt keeps its intent and the next round looks it
// up by name before submitting again, so a job that was queued after all is never lost or doubled.
function classify(error: string): "transient" | "limit" | "fatal" {
  if (QUEUE_LIMIT.some((re) => re.test(error))) return "limit";
  if (FATAL.some((re) => re.test(error))) return "fatal";
  return "transient";
}

// Prints each job's pjsub answer between marker lines: one exec submits a whole batch. pjsub
// runs in the jobs directory (dpdispatcher: `cd <root> && pjsub <script>`); -x passes the attempt
// number to the job; -N/-o/-e on the command line override the script's own #PJM lines.
const SUBMIT_FN = `dpd_pjsub() { # hash, job name, attempt, prefix, script, dir
  printf -- '--- %s\\n' "$1"
  cd "$6" 2>&1 && pjsub -N "$2" -o "$4.out" -e "$4.err" -x "DPD_ATTEMPT=$3" "$5" 2>&1
  printf -- '\\n--- %s rc %s\\n' "$1" "$?"
}`;

/** The fields every status poll asks for (`pjstat --choose`): id, state, exit, PJM code, signal. */
const STATUS_FIELDS = "jid,st,ec,pc,sn";

function makeScheduler(graceMs: number): Scheduler {
  return Object.freeze({
    name: "fugaku",
    env: { jobId: "PJM_JOBID" },
    endFileGraceMs: graceMs,
    queues: true,
    header,

    submitArgv(requests: readonly SubmitRequest[]): readonly string[] {
      const calls = requests.map((r) => {
        const args = [
          r.hash,
          quote(fugakuJobName(r)),
          r.attempt,
          quote(r.attemptPrefix),
          quote(r.script),
          quote(posix.dirname(r.script)),
        ];
        return `dpd_pjsub ${args.join(" ")}`;
      });
      return ["bash", "-c", [SUBMIT_FN, ...calls].join("\n")];
    },

    parseSubmit(result: ExecResult, requests: readonly SubmitRequest[]): readonly SubmitOutcome[] {
      const answers = parseMarkers(result.stdout);
      return requests.map((r): SubmitOutcome => {
        const answer = answers.get(r.hash);
        // "[INFO] PJM 0000 pjsub Job 12345 submitted.": pjsub may exit 0 after an [ERR.] line.
        const id = answer?.lines.map((l) => /^\[INFO\] PJM 0000 pjsub Job (\d+) submitted/.exec(l))
          .find(Boolean)?.[1];
        // An id with no exit line means the script was cut off after pjsub answered: still ours.
        if (id && (answer!.code === 0 || answer!.code === undefined)) return { ok: true, id };
        const error = answer && answer.lines.length > 0
          ? answer.lines.join(" ")
          : answer?.code !== undefined
          ? `pjsub exited with code ${answer.code} and printed nothing`
          : `pjsub printed no job id${result.stderr.trim() ? `: ${result.stderr.trim()}` : ""}`;
        return { ok: false, error, kind: classify(error) };
      });
    },

    // One program for every id: live jobs first, then the history (-H) of ended ones, so a job
    // that ends between the two shows in the second (dpdispatcher: `pjstat`, then `pjstat -H`).
    statusArgv(jobs: readonly { id: string }[]): readonly string[] {
      const ids = jobs.map((j) => j.id).filter((id) => /^\d+$/.test(id)).join(" ");
      const ask = (flag: string) => `pjstat ${flag}--data --choose=${STATUS_FIELDS} ${ids}`;
      return [
        "bash",
        "-c",
        [capture("pjstat", ask("")), capture("pjstat-H", ask("-H ")), "true"].join("\n"),
      ];
    },

    parseStatus(
      result: ExecResult,
      jobs: readonly { id: string }[],
    ): ReadonlyMap<string, SchedulerStatus> {
      const parts = parseMarkers(result.stdout);
      const live = readPjstat(parts.get("pjstat"), "read the job status");
      const history = readPjstat(parts.get("pjstat-H"), "read the ended jobs");
      const known = statusById(live.rows, history.rows);
      // Neither live nor in the history (kept for days): gone, and the end file decides.
      return new Map(jobs.map((j) => [j.id, known.get(j.id) ?? { state: "gone" }]));
    },

    cancelArgv(ids: readonly string[]): readonly string[] {
      return ["pjdel", ...ids];
    },

    // A job that already ended ("does not exist") is no failure; any other [ERR.] line is.
    parseCancel(result: ExecResult): boolean {
      if (result.exitCode === 0) return true;
      const lines = `${result.stdout}\n${result.stderr}`.split("\n").map((l) => l.trim())
        .filter(Boolean);
      return result.exitCode !== null && lines.length > 0 &&
        lines.every((l) =>
          /^\[INFO\] PJM 0000 pjdel Job \S+ deleted/.test(l) ||
          /^\[ERR\.\] PJM \d+ pjdel Job \S+ does not exist/.test(l)
        );
    },

    // pjsub and pjstat run inside bash programs; only pjdel is started directly.
    permissions: () => ({ run: ["bash", "pjdel"] }),

    // Every job of the user, live and ended, with its name: one pair of pjstat for all requests.
    lookupArgv(): readonly string[] {
      const ask = (flag: string) => `pjstat ${flag}--data --choose=jid,jnam`;
      return [
        "bash",
        "-c",
        [capture("lookup", ask("")), capture("lookup-H", ask("-H ")), "true"].join("\n"),
      ];
    },

    // Fails closed: if pjstat cannot be read, recovery must not conclude "never submitted".
    parseLookup(
      result: ExecResult,
      requests: readonly SubmitRequest[],
    ): ReadonlyMap<string, string> {
      const parts = parseMarkers(result.stdout);
      const rows = [
        ...readPjstat(parts.get("lookup"), "look up submitted jobs").rows,
        ...readPjstat(parts.get("lookup-H"), "look up submitted jobs").rows,
      ];
      const found = new Map<string, string>();
      for (const r of requests) {
        const name = fugakuJobName(r);
        const row = rows.find((x) => x.get("JOB_NAME") === name && /^\d+$/.test(x.get("JOB_ID")!));
        if (row) found.set(r.hash, row.get("JOB_ID")!);
      }
      return found;
    },
  });
}

/**
 * The Fujitsu Technical Computing Suite (PJM) scheduler of Fugaku as pure functions: `#PJM`
 * headers, one `pjsub` batch per submission, one `pjstat --data` of the live jobs and one of the
 * history (`-H`) per poll for every job, one `pjdel` for all, and lookup by job name for
 * exactly-once recovery.
 *
 * The header is dpdispatcher's `Fugaku.gen_script_header` line for line (`-L "rscgrp=<queue>"`,
 * `-L "node=<numberNode>"`, `--mpi "max-proc-per-node=<cpuPerNode>"`) after a `#!/bin/bash`
 * line (dpdispatcher writes none), without its trailing space, and without the queue line when
 * `queueName` is empty; then `-L "elapse=<walltime>"` and `-g <account>` (the group to charge).
 * Memory is not written (PJM gives jobs whole nodes), nor GPUs (Fugaku has none), nor `qos`.
 *
 * @example The header for typical resources
 * ```ts
 * import { dispatch, task } from "@deepmodeling/dpdispatcher";
 * import { fugaku } from "./fugaku.ts";
 *
 * const [job] = dispatch({ workBase: "/w" }).on(fugaku())
 *   .with({ groupSize: 1, cpuPerNode: 48, queueName: "small", walltime: "4h", account: "hp000000" })
 *   .tasks(task({ command: "lmp -i in.lammps", taskWorkPath: "t0" }))
 *   .render();
 * // #!/bin/bash
 * // #PJM -L "rscgrp=small"
 * // #PJM -L "node=1"
 * // #PJM --mpi "max-proc-per-node=48"
 * // #PJM -L "elapse=04:00:00"
 * // #PJM -g hp000000
 * console.log(job.script.split("\n").slice(0, 6).join("\n"));
 * ```
 */
export const fugakuScheduler: Scheduler = makeScheduler(30_000);

/** Options of {@linkcode fugaku}. */
export interface FugakuOptions {
  /**
   * Milliseconds to wait for a job's end file after PJM says it ended normally, before calling
   * the job lost: compute nodes write through LLIO's cache to the second-layer storage.
   * @default 30000
   */
  readonly endFileGraceMs?: number;
}

/**
 * Runs jobs on Fugaku (or another Fujitsu TCS / PJM cluster) through a transport:
 * `fugaku(ssh({...}))` from a laptop, `fugaku(local({ remoteRoot }))` on a login node. See
 * {@linkcode fugakuScheduler}.
 *
 * @example
 * ```ts
 * import { dispatch, local } from "@deepmodeling/dpdispatcher";
 * import { fugaku } from "./fugaku.ts";
 *
 * const builder = dispatch({ workBase: "project" })
 *   .on(fugaku(local({ remoteRoot: "/vol0004/data/hp000000/runs" }), { endFileGraceMs: 60_000 }))
 *   .with({ groupSize: 1, cpuPerNode: 48, queueName: "small", account: "hp000000" });
 * ```
 */
export function fugaku(
  transport: Transport = lazyLocal(),
  options: FugakuOptions = {},
): BatchTarget {
  const grace = checkGrace(options.endFileGraceMs, "fugaku");
  return batchTarget(grace === undefined ? fugakuScheduler : makeScheduler(grace), transport);
}
