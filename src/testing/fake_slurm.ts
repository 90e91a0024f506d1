import type { ExecResult } from "../transports/transport.ts";
import { type FakeTransport, fakeTransport } from "./fake_transport.ts";

/** How a fake Slurm job ends: its tasks' exit code, a kill by Slurm, or vanishing without a word. */
export type FakeOutcome =
  | { readonly exit: number }
  | { readonly killed: "TIMEOUT" | "OUT_OF_MEMORY" | "NODE_FAIL" | "CANCELLED" }
  | { readonly lost: true };

/** What `sbatch` answers for one job: an id (the default), or an error message and exit code. */
export type FakeSbatch = "ok" | { readonly error: string; readonly rc?: number };

/** One job the fake Slurm holds. */
export interface FakeSlurmJob {
  /** Its Slurm id. */
  readonly id: string;
  /** Its Slurm job name (`dpd-<12 hex>-<attempt>`). */
  readonly name: string;
  /** The dpdispatcher job hash. */
  readonly hash: string;
  /** The attempt number. */
  readonly attempt: number;
  /** `PENDING`, `RUNNING`, then an end state (`COMPLETED`, `FAILED`, `TIMEOUT`, ...). */
  state: string;
}

/** Options of {@linkcode fakeSlurm}. */
export interface FakeSlurmOptions {
  /** How each job ends. @default every task exits 0 */
  readonly outcome?: (job: FakeSlurmJob) => FakeOutcome;
  /** What sbatch answers for each job. @default an id */
  readonly sbatch?: (job: { hash: string; name: string; attempt: number }) => FakeSbatch;
  /** Status queries answered with "Unable to contact slurm controller" before it answers again. */
  readonly controllerDownFor?: number;
  /** Where runs live. @default "/remote" */
  readonly remoteRoot?: string;
  /** Called after each command was answered, as the runner would see it; may throw (a crash). */
  readonly afterExec?: (argv: readonly string[], result: ExecResult) => void;
}

/** A scripted Slurm behind a fake transport, for runner tests with `slurm(fake.transport)`. */
export interface FakeSlurm {
  /** The transport to run `slurm()` over. */
  readonly transport: FakeTransport;
  /** Every job submitted, by id. */
  readonly jobs: Map<string, FakeSlurmJob>;
  /** The name of every job sbatch accepted, in order (a name twice is a double submission). */
  readonly submitted: string[];
  /** Status queries answered so far. */
  readonly statusQueries: () => number;
}

const ENDED: Record<string, string> = { exit0: "COMPLETED", exit: "FAILED" };

/**
 * A fake Slurm: it answers the commands `slurmScheduler` builds (`dpd_sbatch` batches, `squeue`
 * plus `sacct`, lookup by name, `scancel`) in Slurm's own formats, and runs each job in two
 * status queries (PENDING, RUNNING, then its outcome), writing end files and exit-code files as
 * the job script would.
 *
 * @example
 * ```ts
 * import { dispatch, slurm, task } from "@deepmodeling/dpdispatcher";
 * import { fakeSlurm } from "@deepmodeling/dpdispatcher/testing";
 *
 * const cluster = fakeSlurm({ outcome: () => ({ exit: 0 }) });
 * const builder = dispatch({ workBase: "work" }).on(slurm(cluster.transport))
 *   .tasks(task({ command: "true", taskWorkPath: "t0" }));
 * console.log(builder.toPlan().target.scheduler); // "slurm"
 * ```
 */
export function fakeSlurm(options: FakeSlurmOptions = {}): FakeSlurm {
  const jobs = new Map<string, FakeSlurmJob>();
  const submitted: string[] = [];
  const prefixes = new Map<string, { prefix: string; script: string }>();
  let nextId = 100;
  let queries = 0;
  let down = options.controllerDownFor ?? 0;
  const outcome = options.outcome ?? (() => ({ exit: 0 }));

  const tasksOf = (files: Map<string, string>, script: string) =>
    [...(files.get(script) ?? "").matchAll(/^\s*dpd_(?:run|last) (\S+) /gm)].map((m) => m[1]);

  const finish = (files: Map<string, string>, job: FakeSlurmJob) => {
    const o = outcome(job);
    const { prefix, script } = prefixes.get(job.id)!;
    const root = prefix.replace(/\/\.dpdispatcher\/[^/]+\/[^/]+$/, "");
    if ("exit" in o) {
      const tasks = tasksOf(files, script);
      for (const t of tasks) files.set(`${root}/.dpdispatcher/tasks/${t}.rc`, `${o.exit}\n`);
      const lines = ["dpd-end 1", "start 1", "end 2", ...tasks.map((t) => `rc ${t} ${o.exit}`)];
      if (o.exit !== 0) lines.push(`--- stderr ${tasks[0]}`, `task failed with ${o.exit}`);
      files.set(`${prefix}.end`, [...lines, "dpd-end-ok", ""].join("\n"));
      job.state = o.exit === 0 ? ENDED.exit0 : ENDED.exit;
    } else if ("killed" in o) job.state = o.killed;
    else jobs.delete(job.id);
  };

  const answer = (argv: readonly string[], files: Map<string, string>): ExecResult => {
    if (argv[0] === "scancel") {
      for (const id of argv.slice(1)) {
        const job = jobs.get(id);
        if (job && (job.state === "PENDING" || job.state === "RUNNING")) job.state = "CANCELLED";
      }
      return { exitCode: 0, stdout: "", stderr: "" };
    }
    const program = argv[0] === "bash" && argv[1] === "-c" ? argv[2] : "";
    if (program.includes("dpd_sbatch() {")) {
      let out = "";
      for (const m of program.matchAll(/^dpd_sbatch (\S+) (\S+) (\d+) (\S+) (\S+)/gm)) {
        const [, hash, name, attempt, prefix, script] = m;
        const said = options.sbatch?.({ hash, name, attempt: Number(attempt) }) ?? "ok";
        if (said !== "ok") {
          out += `--- ${hash}\nsbatch: error: ${said.error}\n\n--- ${hash} rc ${said.rc ?? 1}\n`;
          continue;
        }
        const id = String(nextId++);
        jobs.set(id, { id, name, hash, attempt: Number(attempt), state: "PENDING" });
        prefixes.set(id, { prefix, script });
        submitted.push(name);
        out += `--- ${hash}\n${id}\n\n--- ${hash} rc 0\n`;
      }
      return { exitCode: 0, stdout: out, stderr: "" };
    }
    const status = /squeue -h -t all -o '%i %T %r' -j (\S+)/.exec(program);
    if (status) {
      queries++;
      if (down > 0) {
        down--;
        const err = "slurm_load_jobs error: Unable to contact slurm controller (connect failure)";
        return { exitCode: 0, stdout: `--- squeue\n${err}\n--- squeue rc 1\n`, stderr: "" };
      }
      const ids = status[1].split(",");
      for (const id of ids) {
        const job = jobs.get(id);
        if (job?.state === "PENDING") job.state = "RUNNING";
        else if (job?.state === "RUNNING") finish(files, job);
      }
      const listed = ids.map((id) => jobs.get(id)).filter((j) => j !== undefined);
      const live = listed.filter((j) => j.state === "PENDING" || j.state === "RUNNING");
      const gone = listed.filter((j) => !live.includes(j));
      const q = live.map((j) =>
        `${j.id} ${j.state} ${j.state === "PENDING" ? "Priority" : "None"}`
      );
      let out = `--- squeue\n${q.join("\n")}\n--- squeue rc 0\n`;
      if (gone.length > 0 || listed.length < ids.length) {
        const s = gone.map((j) => `${j.id}|${j.state}|0:0`);
        out += `--- sacct\n${s.join("\n")}\n--- sacct rc 0\n`;
      }
      return { exitCode: 0, stdout: out, stderr: "" };
    }
    const lookup = /squeue --me .*--name=(\S+)/.exec(program);
    if (lookup) {
      const names = new Set(lookup[1].replace(/^'|'$/g, "").split(","));
      const found = [...jobs.values()].filter((j) => names.has(j.name));
      const q = found.map((j) => `${j.id} ${j.name}`).join("\n");
      const s = found.map((j) => `${j.id}|${j.name}`).join("\n");
      return {
        exitCode: 0,
        stdout: `--- squeue\n${q}\n--- squeue rc 0\n--- sacct\n${s}\n--- sacct rc 0\n`,
        stderr: "",
      };
    }
    return { exitCode: 127, stdout: "", stderr: `fake slurm: no answer for ${argv[0]}` };
  };

  const transport = fakeTransport({
    name: "fake",
    remoteRoot: options.remoteRoot ?? "/remote",
    exec: (argv, ctx) => {
      const result = answer(argv, ctx.files);
      options.afterExec?.(argv, result);
      return result;
    },
  });
  return { transport, jobs, submitted, statusQueries: () => queries };
}
