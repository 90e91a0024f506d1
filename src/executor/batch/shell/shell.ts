import { quote } from "../../../shell/quote.ts";
import { lazyLocal } from "../../../transports/local.ts";
import type { ExecResult, Transport } from "../../../transports/transport.ts";
import type {
  BatchTarget,
  Scheduler,
  SchedulerStatus,
  SubmitOutcome,
  SubmitRequest,
} from "../scheduler.ts";
import { batchTarget } from "../target.ts";

// Launches one attempt detached (own session, so it outlives the runner and one signal stops its
// whole process group). Idempotent: the attempt directory is the lock, so launching the same
// attempt twice prints the first launch's pid instead of starting the job again.
const LAUNCHER = String
  .raw`if command -v setsid >/dev/null; then dpd_detach=setsid; else dpd_detach=nohup; fi
set -C # the .pid file is the launch lock: created at most once (O_EXCL)
dpd_launch() { # attempt prefix, script, attempt, hash
  local pid=
  if { : > "$1.pid"; } 2>/dev/null; then
    ( exec "$dpd_detach" bash "$2" "$3" >|"$1.out" 2>|"$1.err" </dev/null ) &
    echo "$!" >| "$1.pid"
    echo "$4 $!"
    return
  fi
  read -r pid < "$1.pid"
  # A launcher killed between the lock and the pid: the job names itself in .run if it started.
  [ -z "$pid" ] && [ -s "$1.run" ] && read -r pid < "$1.run"
  if [ -z "$pid" ] && [ -n "$(find "$1.pid" -mmin +0.5 2>/dev/null)" ]; then
    rm -f "$1.pid" && dpd_launch "$@" # it never started: launch it now
    return
  fi
  echo "$4 $pid"
}`;

/**
 * The Shell scheduler as plain data and pure functions: jobs run as detached background
 * shells on the transport's host, job id = PID, status from one `ps` for all jobs.
 *
 * @example
 * ```ts
 * import { shellScheduler } from "@deepmodeling/dpdispatcher";
 *
 * console.log(shellScheduler.statusArgv([{ id: "4242", hash: "abc" }]));
 * // ["ps", "-o", "pid=,stat=,args=", "-p", "4242"]
 * ```
 */
export const shellScheduler: Scheduler = Object.freeze({
  name: "shell",

  header(): string {
    return "#!/bin/bash";
  },

  submitArgv(requests: readonly SubmitRequest[]): readonly string[] {
    const calls = requests.map((r) =>
      `dpd_launch ${quote(r.attemptPrefix)} ${quote(r.script)} ${r.attempt} ${r.hash}`
    );
    return ["bash", "-c", [LAUNCHER, ...calls].join("\n")];
  },

  parseSubmit(result: ExecResult, requests: readonly SubmitRequest[]): readonly SubmitOutcome[] {
    const ids = new Map<string, string>();
    for (const line of result.stdout.split("\n")) {
      const [hash, id] = line.trim().split(" ");
      if (hash) ids.set(hash, id || "-");
    }
    return requests.map((r): SubmitOutcome => {
      const id = ids.get(r.hash);
      if (id && /^\d+$/.test(id)) return { ok: true, id };
      const why = id === "-"
        ? "its pid file exists but holds no pid yet"
        : "the launcher printed no pid";
      return {
        ok: false,
        error: `${why}${result.stderr.trim() ? `: ${result.stderr.trim()}` : ""}`,
        kind: "transient",
      };
    });
  },

  statusArgv(jobs: readonly { id: string }[]): readonly string[] {
    return ["ps", "-o", "pid=,stat=,args=", "-p", jobs.map((j) => j.id).join(",")];
  },

  parseStatus(
    result: ExecResult,
    jobs: readonly { id: string; hash: string }[],
  ): ReadonlyMap<string, SchedulerStatus> {
    // ps exits 1 when none of the pids exists; anything else with stderr is an error.
    if (result.exitCode !== 0 && (result.exitCode !== 1 || result.stderr.trim() !== "")) {
      throw new Error(`ps exited with code ${result.exitCode}: ${result.stderr.trim()}`);
    }
    const alive = new Map<string, string>();
    for (const line of result.stdout.split("\n")) {
      const match = /^\s*(\d+)\s+(\S+)\s+(.*)$/.exec(line);
      if (match && !match[2].startsWith("Z")) alive.set(match[1], match[3]);
    }
    const out = new Map<string, SchedulerStatus>();
    for (const job of jobs) {
      // A recycled pid runs some other program: only our script's command line counts.
      const args = alive.get(job.id);
      out.set(job.id, args?.includes(job.hash) ? { state: "running" } : { state: "gone" });
    }
    return out;
  },

  cancelArgv(ids: readonly string[]): readonly string[] {
    return [
      "bash",
      "-c",
      `for p in ${
        ids.join(" ")
      }; do kill -TERM -- "-$p" 2>/dev/null || kill -TERM "$p" 2>/dev/null; done; true`,
    ];
  },

  // kill of a job that already ended fails quietly inside the loop; the loop itself never does.
  parseCancel: (result: ExecResult) => result.exitCode === 0,

  // Submit and cancel run bash (kill is its builtin); status runs ps.
  permissions: () => ({ run: ["bash", "ps"] }),
});

/**
 * Runs jobs as background shells on the transport's machine, like dpdispatcher's Shell batch
 * type. Jobs survive the runner's death; the next run re-attaches to them.
 *
 * @example Run in place, or copy to a separate directory first
 * ```ts
 * import { dispatch, lazyLocal, local, shell } from "@deepmodeling/dpdispatcher";
 *
 * const inPlace = dispatch().on(shell(lazyLocal()));
 * const copied = dispatch().on(shell(local({ remoteRoot: "/tmp/dpd-runs" })));
 * ```
 */
export function shell(transport: Transport = lazyLocal()): BatchTarget {
  return batchTarget(shellScheduler, transport);
}
