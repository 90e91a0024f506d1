import type { Resources } from "../plan/resources.ts";
import type { Task } from "../plan/task.ts";
import { STATE_DIR } from "../layout.ts";
import { quote, quoteEnv } from "./quote.ts";

/**
 * The environment variables a scheduler sets in a running job, as the job script reads them.
 *
 * @example Slurm's and Grid Engine's
 * ```ts
 * import type { SchedulerEnv } from "./job_script.ts";
 *
 * const slurm: SchedulerEnv = { jobId: "SLURM_JOB_ID", arrayIndex: "SLURM_ARRAY_TASK_ID", arrayBase: 0 };
 * const sge: SchedulerEnv = { jobId: "JOB_ID", arrayIndex: "SGE_TASK_ID", arrayBase: 1 };
 * ```
 */
export interface SchedulerEnv {
  /** The variable holding the job's id (`SLURM_JOB_ID`, `PBS_JOBID`); unset: the shell's PID. */
  readonly jobId?: string;
  /** The variable holding an array element's index (`SLURM_ARRAY_TASK_ID`, `SGE_TASK_ID`). */
  readonly arrayIndex?: string;
  /** The index of an array's first element: 0 (Slurm, PBS) or 1 (Grid Engine, LSF). @default 0 */
  readonly arrayBase?: 0 | 1;
}

/** Everything a scheduler needs to write one job's script. Pure data. */
export interface ScriptJob {
  /** The job's stable hash. */
  readonly hash: string;
  /** The job's stable scheduler name, `dpd-<12 hex>`. */
  readonly name: string;
  /** The run this job belongs to. */
  readonly runId: string;
  /** The job's tasks, in run order. */
  readonly tasks: readonly Task[];
  /** The resources shared by every job of the run. */
  readonly resources: Resources;
  /** Absolute directory (on the execution side) holding the task directories. */
  readonly runRoot: string;
  /** Absolute directory (on the execution side) holding scripts and per-attempt state. */
  readonly jobsDir: string;
  /** For job-array schedulers: tasks per array element (element k runs tasks k*n .. k*n+n-1). */
  readonly arrayChunk?: number;
  /** The scheduler's environment: its job-id and array-index variables. */
  readonly env: SchedulerEnv;
}

function exportLines(envs: Readonly<Record<string, string | readonly string[]>>): string[] {
  const lines: string[] = [];
  for (const [key, value] of Object.entries(envs)) {
    for (const v of typeof value === "string" ? [value] : value) {
      lines.push(`export ${key}=${quoteEnv(v)}`);
    }
  }
  return lines;
}

/**
 * With `strategy.ifCudaMultiDevices`, as in dpdispatcher: tasks take the GPUs in turn, `paraDeg`
 * tasks to a GPU (task k gets GPU floor(k / paraDeg) mod gpuPerNode), and paraDeg x gpuPerNode
 * tasks run at once; without it, paraDeg tasks run at once.
 */
function gpuOf(index: number, r: Resources): number {
  return Math.floor(index / r.paraDeg) % r.gpuPerNode;
}

function taskFunction(task: Task, index: number, job: ScriptJob): string {
  const { resources } = job;
  const lines = [`dpd_t${index}() {`];
  if (resources.strategy.ifCudaMultiDevices) {
    lines.push(`  export CUDA_VISIBLE_DEVICES=${gpuOf(index, resources)}`);
  }
  for (const line of exportLines(task.envs)) lines.push(`  ${line}`);
  // The blank line ends the command even if it ends in a backslash or a comment.
  lines.push(
    `  { ${task.command}`,
    "",
    `  } >>${quote(task.outlog)} 2>>${quote(task.errlog)}`,
    "}",
  );
  return lines.join("\n");
}

// Bookkeeping uses shell builtins only (read, test, printf, noclobber redirections). Every task
// but a job's last runs in a subshell, so tasks cannot leak state into each other; the last one
// runs in the job's own shell: under Slurm that fork cost about 25 ms of CPU per job (cgroup
// accounting on a forked login shell), more than the rest of the script.
/** The signals that end bash by default (and would run its EXIT trap on the way). */
const SIGNALS = "HUP INT TERM USR1 USR2 ALRM PIPE XCPU XFSZ VTALRM PROF";

const RUNTIME = String.raw`dpd_ready() { # task hash, task dir, errlog: false if it already exited 0
  local rc=
  [ -f "$dpd_tasks/$1.rc" ] && read -r rc < "$dpd_tasks/$1.rc"
  [ "$rc" = 0 ] && return 1
  [ -d "$dpd_root/$2" ] || mkdir -p "$dpd_root/$2" || return 1
  [ -s "$dpd_root/$2/$3" ] && wc -c < "$dpd_root/$2/$3" >| "$dpd_tasks/$1.errpos"
  return 0
}
dpd_run() { # task hash, task dir, function, errlog
  dpd_ready "$1" "$2" "$4" || return 0
  # A set -e from prependScript stops the task at its first failure, not the job before the code is kept.
  local e=$-
  set +e
  ( case $e in *e*) set -e;; esac; cd "$dpd_root/$2" && "$3" < /dev/null )
  echo "$?" >| "$dpd_tasks/$1.rc"
  case $e in *e*) set -e;; esac
}
dpd_last() { # like dpd_run, in this shell: exit or set -e in the task ends in dpd_exit
  dpd_ready "$1" "$2" "$4" || return 0
  dpd_last_task=$1
  # A signal (time limit, scancel, sbatch --signal) ends the job by that signal, with no exit
  # code and no end file, as it ended a subshell's parent: the scheduler then says why. Left
  # untrapped, bash would run the EXIT trap with the status of the last finished command.
  for dpd_s in ${SIGNALS}; do trap "dpd_killed $dpd_s" "$dpd_s"; done
  trap 'dpd_exit $?' EXIT
  cd "$dpd_root/$2" && "$3" < /dev/null
  dpd_code=$?
  trap - EXIT ${SIGNALS}
  set +eu
  cd "$dpd_root" && echo "$dpd_code" >| "$dpd_tasks/$1.rc"
}
dpd_exit() { # the last task called exit, or set -e stopped it: keep its code and finish the job
  trap - EXIT ${SIGNALS}
  set +eu
  cd "$dpd_root" && echo "$1" >| "$dpd_tasks/$dpd_last_task.rc"
  dpd_finish
  exit
}
dpd_killed() { # re-raise it; a task forked just as it came missed it, so when this shell leads
  # its process group (setsid, Slurm) the group gets it: that group is this job alone
  trap - EXIT ${SIGNALS}
  local pgrp= x
  { read -r x x x x pgrp x < "/proc/$$/stat"; } 2>/dev/null # pid (comm) state ppid pgrp
  [ "$pgrp" = "$$" ] && kill -s "$1" -- "-$$"
  kill -s "$1" "$$"
}
dpd_end() { # (task hash, task dir, errlog)...; the end file is written last, in one write, ending in a marker
  local failed="" failed_err="" failed_pos=0 rc now out
  printf -v now '%(%s)T' -1
  out="dpd-end 1"$'\n'"start $dpd_start"$'\n'"end $now"$'\n'
  while [ $# -ge 3 ]; do
    rc=-
    [ -f "$dpd_tasks/$1.rc" ] && read -r rc < "$dpd_tasks/$1.rc"
    out+="rc $1 $rc"$'\n'
    if [ "$rc" != 0 ] && [ -z "$failed" ]; then
      failed=$1; failed_err="$dpd_root/$2/$3"; failed_pos=0
      [ -f "$dpd_tasks/$1.errpos" ] && read -r failed_pos < "$dpd_tasks/$1.errpos"
    fi
    shift 3
  done
  if [ -n "$failed" ]; then
    out+="--- stderr $failed"$'\n'"$(tail -c +$((failed_pos + 1)) "$failed_err" 2>/dev/null | tail -n 20 | tail -c 2000)"$'\n'
  fi
  printf '%sdpd-end-ok\n' "$out" >| "$dpd_prefix.end"
  [ -z "$failed" ]
}`;

/** The line that sets `dpd_element`, the 0-based array element, from the scheduler's index. */
function elementLine(env: SchedulerEnv): string {
  const name = env.arrayIndex;
  if (!name) {
    throw new TypeError(
      "Invalid scheduler: a job-array scheduler must name its arrayIndex variable",
    );
  }
  return env.arrayBase === 1
    ? `dpd_element=$((\${${name}:-1} - 1))`
    : `dpd_element="\${${name}:-0}"`;
}

/**
 * Whether a task may run in the job's own shell: `exec` would replace that shell (and skip the
 * end file) and a `trap` of its own would replace ours, so such commands keep their subshell.
 */
function inShell(task: Task): boolean {
  return !/\b(exec|trap)\b/.test(task.command);
}

/**
 * Renders a complete job script: the scheduler's header, custom flags, environment, the
 * tasks (each in its directory, skipped when it already exited 0; the last one in the job's own
 * shell, the others in a subshell), and the end file written last. Every path and name is
 * shell-quoted. The user's environment lines mean what dpdispatcher's mean, in its order:
 * `module purge`, `module unload X`, `module load X`, `source X` (each X a shell fragment as the
 * user wrote it: `source activate /opt/env` passes an argument), the `DPDISPATCHER_*` exports,
 * `export K=V` per `envs` value (see `quoteEnv`), then the prepend lines; the script's own
 * arguments are cleared first, so a sourced file sees none, as under dpdispatcher.
 */
export function renderScript(header: string, job: ScriptJob): string {
  const r = job.resources;
  const chunk = job.arrayChunk;
  const out: string[] = [header.trimEnd()];
  out.push(...r.customFlags);
  out.push(
    "",
    `# dpdispatcher job ${job.name} of run ${job.runId}; attempt number in $1 or $DPD_ATTEMPT`,
    `dpd_attempt="\${1:-\${DPD_ATTEMPT:-0}}"`,
    `set --`,
    `dpd_root=${quote(job.runRoot)}`,
    ...(chunk ? [elementLine(job.env)] : []),
    `dpd_prefix=${quote(job.jobsDir)}/${job.hash}."$dpd_attempt"${chunk ? `."$dpd_element"` : ""}`,
    `dpd_tasks="$dpd_root/${STATE_DIR}/tasks"`,
    `[ -d "$dpd_tasks" ] || mkdir -p "$dpd_tasks" || exit 1`,
    `# Each attempt runs at most once, even if submitted twice: creating .run is the lock.`,
    `set -C`,
    `# It holds who runs the attempt, for recovery.`,
    `if ! { echo "${
      job.env.jobId ? `\${${job.env.jobId}:-$$}` : "$$"
    }" > "$dpd_prefix.run"; } 2>/dev/null; then echo "attempt $dpd_attempt of ${job.name} already ran" >&2; exit 0; fi`,
    `set +C`,
    `printf -v dpd_start '%(%s)T' -1`,
    `cd "$dpd_root" || exit 1`,
    "",
  );
  if (r.modulePurge) out.push("module purge");
  for (const m of r.moduleUnloadList) out.push(`module unload ${m}`);
  for (const m of r.moduleList) out.push(`module load ${m}`);
  for (const s of r.sourceList) out.push(`source ${s}`);
  out.push(
    `export DPDISPATCHER_NUMBER_NODE=${r.numberNode}`,
    `export DPDISPATCHER_CPU_PER_NODE=${r.cpuPerNode}`,
    `export DPDISPATCHER_GPU_PER_NODE=${r.gpuPerNode}`,
    `export DPDISPATCHER_QUEUE_NAME=${r.queueName === "" ? "" : quote(r.queueName)}`,
    `export DPDISPATCHER_GROUP_SIZE=${r.groupSize}`,
  );
  out.push(...exportLines(r.envs), ...r.prependScript, "", RUNTIME, "");
  job.tasks.forEach((t, i) => out.push(taskFunction(t, i, job)));
  out.push("");
  const width = r.strategy.ifCudaMultiDevices ? r.paraDeg * r.gpuPerNode : r.paraDeg;
  const parallel = width > 1;
  // Runs a slice of the tasks (all of them, or one array element's) and writes its end file.
  const block = (from: number, to: number, indent: string) => {
    const slice = job.tasks.slice(from, to);
    const args = slice.map((t) => `${t.hash} ${quote(t.taskWorkPath)} ${quote(t.errlog)}`);
    const last = !parallel && inShell(slice[slice.length - 1]) ? slice.length - 1 : -1;
    if (last >= 0) {
      // What follows the last task, also run by dpd_exit if that task calls exit.
      out.push(`${indent}dpd_finish() {`);
      for (const line of r.appendScript) out.push(`${indent}  ${line}`);
      out.push(`${indent}  dpd_end ${args.join(" ")}`, `${indent}}`);
    }
    slice.forEach((t, k) => {
      const i = from + k;
      const run = k === last ? "dpd_last" : "dpd_run";
      out.push(
        `${indent}${run} ${t.hash} ${quote(t.taskWorkPath)} dpd_t${i} ${quote(t.errlog)}${
          parallel ? " &" : ""
        }`,
      );
      if (parallel && (k + 1) % width === 0 && k + 1 < slice.length) out.push(`${indent}wait`);
    });
    if (parallel) out.push(`${indent}wait`);
    if (last >= 0) out.push(`${indent}dpd_finish`);
    else {
      for (const line of r.appendScript) out.push(`${indent}${line}`);
      out.push(`${indent}dpd_end ${args.join(" ")}`);
    }
  };
  if (!chunk) block(0, job.tasks.length, "");
  else {
    out.push(`case "$dpd_element" in`);
    for (let k = 0; k * chunk < job.tasks.length; k++) {
      out.push(`  ${k})`);
      block(k * chunk, (k + 1) * chunk, "    ");
      out.push("    ;;");
    }
    out.push(`  *) echo "unknown array element $dpd_element" >&2; exit 1;;`, "esac");
  }
  out.push("");
  return out.join("\n");
}
