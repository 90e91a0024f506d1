// Runs cloud jobs for real: the status walk 0 -> 3 -> 1 -> 2 / -1 (BOHRIUM.md §6.1.10), the
// input zips unpacked into a fresh directory, `bash -c <cmd>` there as its own process group,
// stdout and stderr kept as the STDOUTERR log, the result zip built from `outFiles` and
// `logFiles`, and kill (6 Terminating, then 5 Stopped).
import { mkdir } from "node:fs/promises";
import { join } from "node:path";
import { STATUS } from "./envelope.ts";
import { consume, matching } from "./inject.ts";
import { resolveInput } from "./jobs.ts";
import { type JobRecord, later, setStatus, type State } from "./state.ts";
import { unzipInto, zipMatching } from "./zip.ts";

const settlers = new WeakMap<JobRecord, () => void>();

/** The work directory where a job's input is unpacked and its command runs. */
export function workDir(state: State, job: JobRecord): string {
  return join(state.root, String(job.id), "work");
}

function settle(state: State, job: JobRecord, status: number, exitCode: number | null): void {
  job.exitCode = exitCode;
  job.endTime = state.config.now();
  setStatus(state, job, status);
  settlers.get(job)?.();
  settlers.delete(job);
}

function note(job: JobRecord, text: string): void {
  job.output.push(new TextEncoder().encode(`[standin] ${text}\n`));
}

/** Starts the status walk of an added job. */
export function startJob(state: State, job: JobRecord): void {
  job.done = new Promise<void>((resolve) => settlers.set(job, resolve));
  setStatus(state, job, STATUS.PENDING);
  const slow = matching(state.rules.slow, job.name)?.pendingMs ?? 0;
  const failure = consume(state.rules.failJob, (rule) => rule.pattern.test(job.name));
  later(state, state.config.pendingMs + slow, () => {
    if (job.killed) return;
    setStatus(state, job, STATUS.SCHEDULING);
    later(state, state.config.schedulingMs, () => {
      if (job.killed) return;
      job.startTime = state.config.now();
      setStatus(state, job, STATUS.RUNNING);
      if (failure) {
        job.errorInfo = `Injected failure: status ${failure.status}, exit code ${failure.exitCode}`;
        note(job, job.errorInfo);
        settle(state, job, failure.status, failure.exitCode);
        return;
      }
      run(state, job).catch((error) => {
        job.errorInfo = `The stand-in could not run job ${job.id}: ${(error as Error).message}`;
        note(job, job.errorInfo);
        if (!job.killed) settle(state, job, STATUS.FAILED, 1);
      });
    });
  });
}

async function run(state: State, job: JobRecord): Promise<void> {
  const dir = workDir(state, job);
  await mkdir(dir, { recursive: true });
  job.dir = join(state.root, String(job.id));
  for (const ref of job.ossPath) {
    const bytes = resolveInput(state, job.api, ref);
    if (!bytes) throw new Error(`input "${ref}" is not stored`);
    await unzipInto(bytes, dir);
  }
  if (job.killed || state.closed) return;
  const env: Record<string, string> = { BOHRIUM_JOB_ID: String(job.id) };
  for (const key of ["PATH", "HOME", "LANG", "TMPDIR", "USER"]) {
    const value = Deno.env.get(key);
    if (value !== undefined) env[key] = value;
  }
  const child = new Deno.Command("bash", {
    args: ["-c", job.cmd],
    cwd: dir,
    env,
    clearEnv: true,
    detached: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  job.pid = child.pid;
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) job.output.push(chunk);
  };
  const [status] = await Promise.all([child.status, pump(child.stdout), pump(child.stderr)]);
  job.pid = undefined;
  const code = status.code;
  if (job.killed) {
    settle(state, job, STATUS.STOPPED, code);
    return;
  }
  if (state.closed) return;
  try {
    const result = await zipMatching(dir, [...job.outFiles, ...job.logFiles]);
    job.result = result.bytes;
    if (result.unmatched.length > 0) {
      note(job, `no file matched ${result.unmatched.map((p) => `"${p}"`).join(", ")}`);
    }
  } catch (error) {
    job.errorInfo = `The result zip could not be built: ${(error as Error).message}`;
  }
  settle(state, job, code === 0 ? STATUS.FINISHED : STATUS.FAILED, code);
}

function signal(pid: number, sig: Deno.Signal): void {
  try {
    Deno.kill(-pid, sig);
  } catch {
    // the group has already gone
  }
}

/** Kills a job: a job not yet running stops at once; a running one is Terminating until it exits. */
export function killJob(state: State, job: JobRecord): void {
  if (job.killed || job.status === STATUS.FAILED || job.status === STATUS.FINISHED) return;
  if (job.status === STATUS.STOPPED) return;
  job.killed = true;
  if (job.pid === undefined) {
    // Pending, scheduling or still unpacking: the walk and `run` see `killed` and stop.
    settle(state, job, STATUS.STOPPED, null);
    return;
  }
  setStatus(state, job, STATUS.TERMINATING);
  const pid = job.pid;
  signal(pid, "SIGTERM");
  later(state, 2000, () => {
    if (job.pid === pid) signal(pid, "SIGKILL");
  });
}

/** Kills every running process group and waits for their jobs to settle. */
export async function stopAll(state: State): Promise<void> {
  const running = [...state.jobs.values()].filter((job) => job.pid !== undefined);
  for (const job of running) {
    job.killed = true;
    signal(job.pid!, "SIGKILL");
  }
  await Promise.all(running.map((job) => job.done));
}
