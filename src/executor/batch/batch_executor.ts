import { posix } from "node:path";
import { CommandError, ConnectionError } from "../../errors.ts";
import { jobsDirOf, TASKS_DIR } from "../../layout.ts";
import type { PermissionNeeds } from "../../plan/permissions.ts";
import type { Plan } from "../../plan/plan.ts";
import type { Connection, Transport } from "../../transports/transport.ts";
import type {
  Attempt,
  Collected,
  CollectRequest,
  Executor,
  ExecutorSession,
  LiveAttempt,
  OpenOptions,
  Staged,
  Submitted,
} from "../executor.ts";
import { AttemptFiles } from "./attempts.ts";
import { EndWatch } from "./end_watch.ts";
import { pollBatch, type PollMemory } from "./poll.ts";
import { renderJobs } from "./render.ts";
import type { Scheduler } from "./scheduler.ts";

/** Attempts per submit command: each batch is one exec (one SSH round trip). */
export const SUBMIT_BATCH = 200;

/** A run root written as `~/...` (dpdispatcher's examples do) lives in the login's home. */
function expandHome(path: string, home: string | undefined): string {
  return home && /^~(\/|$)/.test(path) ? `${home}${path.slice(1)}` : path;
}

/**
 * The executor of a batch system: a pure scheduler over a transport, plus the job script's end
 * files (psij's `BatchSchedulerExecutor`). Staging is one upload and one write of every script;
 * a submission is one command per batch; a poll reads every end file at once and asks the
 * scheduler once about the jobs without one; a cancel is one command.
 *
 * @example
 * ```ts
 * import { batchExecutor, lazyLocal, shellScheduler } from "@deepmodeling/dpdispatcher";
 *
 * const executor = batchExecutor(shellScheduler, lazyLocal());
 * console.log(executor.record); // { scheduler: "shell", transport: "lazyLocal", options: {} }
 * ```
 */
export function batchExecutor(scheduler: Scheduler, transport: Transport): Executor {
  return Object.freeze({
    record: Object.freeze({
      scheduler: scheduler.name,
      transport: transport.name,
      options: transport.options,
    }),
    host: transport.host,
    queues: scheduler.queues ?? false,
    submitBatch: SUBMIT_BATCH,
    permissions(): PermissionNeeds {
      const commands = scheduler.permissions?.() ?? {};
      // A transport that says nothing runs the scheduler's commands here and needs nothing more.
      return transport.permissions ? transport.permissions(commands) : commands;
    },
    runRoot: (workBase: string, runId: string) => transport.runRoot(workBase, runId),
    render(plan: Plan, workBase: string) {
      const runRoot = transport.runRoot(workBase, plan.runId);
      return renderJobs(plan, scheduler, { runRoot, jobsDir: jobsDirOf(runRoot, plan.runId) });
    },
    async open(plan: Plan, options: OpenOptions): Promise<ExecutorSession> {
      const conn = await transport.connect({
        onWarning: (message) => options.onWarning?.(message),
      });
      const runRoot = expandHome(transport.runRoot(options.workBase, plan.runId), conn.home);
      return new BatchSession(scheduler, transport, conn, plan, options, runRoot);
    },
  });
}

class BatchSession implements ExecutorSession {
  readonly runRoot: string;
  readonly #scheduler: Scheduler;
  readonly #transport: Transport;
  readonly #conn: Connection;
  readonly #plan: Plan;
  readonly #workBase: string;
  readonly #now: () => number;
  readonly #files: AttemptFiles;
  readonly #memory: PollMemory = { goneSince: new Map(), deferred: new Map(), statusAt: 0 };
  readonly #watch?: EndWatch;

  constructor(
    scheduler: Scheduler,
    transport: Transport,
    conn: Connection,
    plan: Plan,
    options: OpenOptions,
    runRoot: string,
  ) {
    this.#scheduler = scheduler;
    this.#transport = transport;
    this.#conn = conn;
    this.#plan = plan;
    this.#workBase = options.workBase;
    this.#now = options.now ?? Date.now;
    this.runRoot = runRoot;
    this.#files = new AttemptFiles(plan, scheduler, runRoot);
    // Where reading files costs a round trip (SSH), one watcher streams every end file instead.
    if (conn.stream) {
      this.#watch = new EndWatch(conn, this.#files.jobsDir, {
        host: transport.host,
        now: this.#now,
        onWarning: options.onWarning,
      });
    }
  }

  get #host(): string {
    return this.#transport.host;
  }

  async stage(): Promise<Staged> {
    const plan = this.#plan;
    const entries = [
      ...plan.forwardCommonFiles,
      ...plan.tasks.flatMap((t) => t.forwardFiles.map((f) => posix.join(t.taskWorkPath, f))),
    ];
    const sent = await this.#conn.upload(this.#workBase, this.runRoot, [...new Set(entries)]);
    if (sent.missing.length > 0) {
      throw new TypeError(
        `Invalid forward file: "${sent.missing[0]}" does not exist in "${this.#workBase}"`,
      );
    }
    const scripts = renderJobs(plan, this.#scheduler, this.#files);
    // Task directories and the exit-code directory exist before any job starts, so no job
    // script forks a mkdir for them.
    const dirs = [
      posix.join(this.runRoot, TASKS_DIR),
      ...new Set(plan.tasks.map((t) => posix.join(this.runRoot, t.taskWorkPath))),
    ];
    await this.#conn.writeFiles(scripts.map((s) => ({ path: s.path, content: s.script })), {
      dirs,
    });
    return { files: sent.files, bytes: sent.bytes, scripts: scripts.length };
  }

  async submit(attempts: readonly Attempt[]): Promise<readonly Submitted[]> {
    const scheduler = this.#scheduler;
    const requests = attempts.map((a) => this.#files.request(a));
    const argv = scheduler.submitArgv(requests);
    const started = Date.now();
    let result;
    try {
      result = await this.#conn.exec(argv);
    } catch (e) {
      // A link that cannot be restored stops the run (a rerun resumes); a drop mid-submit is
      // transient: the intent stays, and the next try looks the job up before submitting.
      if (e instanceof ConnectionError && !e.retryable) throw e;
      const error = e instanceof Error ? e : new Error(String(e));
      return requests.map(() => ({ ok: false, error, kind: "transient" }));
    }
    const outcomes = scheduler.parseSubmit(result, requests);
    const what = `Cannot submit ${requests.length} jobs to ${scheduler.name}`;
    const all = result.exitCode !== 0 && outcomes.every((o) => !o.ok)
      ? CommandError.of(what, argv, this.#host, result, started)
      : undefined;
    const command = all ?? CommandError.of(what, argv, this.#host, result, started);
    return outcomes.map((o): Submitted => {
      if (o.ok) return o;
      if (all) return { ok: false, error: all, kind: "transient" };
      // The scheduler's own words are the message; the command's result is the cause.
      return { ok: false, error: new Error(o.error, { cause: command }), kind: o.kind };
    });
  }

  get lookup(): ExecutorSession["lookup"] {
    const scheduler = this.#scheduler;
    if (!scheduler.lookupArgv || !scheduler.parseLookup) return undefined;
    return async (attempts: readonly Attempt[]) => {
      const requests = attempts.map((a) => this.#files.request(a));
      const result = await this.#conn.exec(scheduler.lookupArgv!(requests), { idempotent: true });
      return scheduler.parseLookup!(result, requests);
    };
  }

  async poll(live: readonly LiveAttempt[]) {
    const scheduler = this.#scheduler;
    const watch = this.#watch;
    watch?.ensure();
    watch?.keepOnly(live.flatMap((a) => this.#files.endFiles(a).map((f) => f.path)));
    return await pollBatch({
      conn: this.#conn,
      scheduler,
      files: this.#files,
      graceMs: this.#transport.endFileGraceMs ?? scheduler.endFileGraceMs ?? 0,
      memory: this.#memory,
      now: this.#now,
      exitCodes: (jobs) => this.exitCodes(jobs),
      watched: watch && ((paths) => watch.texts(paths)),
    }, live);
  }

  /** Resolves when the end-file watcher brings news; undefined without one. */
  news(): Promise<void> | undefined {
    return this.#watch?.news();
  }

  async exitCodes(jobs: readonly string[]): Promise<Record<string, number | null>[]> {
    const files = this.#files.exitCodeFiles(jobs);
    const texts = await this.#conn.readFiles(files.flat().map((f) => f.path));
    let at = 0;
    return files.map((list) =>
      Object.fromEntries(list.map((f) => {
        const text = texts[at++]?.trim();
        return [f.task, text && /^\d+$/.test(text) ? Number(text) : null];
      }))
    );
  }

  async collect(_job: string | undefined, patterns: readonly string[]) {
    if (patterns.length === 0) return { files: 0, bytes: 0, missing: [] };
    return await this.#conn.download(this.runRoot, this.#workBase, patterns);
  }

  /** Every request's patterns in one download; each request gets its own unmatched ones. */
  async collectMany(requests: readonly CollectRequest[]): Promise<Collected[]> {
    const patterns = [...new Set(requests.flatMap((r) => r.patterns))];
    const got = await this.collect(undefined, patterns);
    const missing = new Set(got.missing);
    // Files and bytes are the whole transfer's: they are counted once, on the first request.
    return requests.map((r, i) => ({
      files: i === 0 ? got.files : 0,
      bytes: i === 0 ? got.bytes : 0,
      missing: r.patterns.filter((p) => missing.has(p)),
    }));
  }

  async cancel(live: readonly LiveAttempt[]): Promise<void> {
    if (live.length === 0) return;
    const scheduler = this.#scheduler;
    const ids = live.map((a) => a.id);
    const argv = scheduler.cancelArgv(ids);
    const started = Date.now();
    const result = await this.#conn.exec(argv, { idempotent: true });
    // A job that ended meanwhile is no failure to cancel; anything else (controller unreachable)
    // is: journaling "cancelled" then would let the next run start a second copy beside it.
    const ok = scheduler.parseCancel?.(result, ids) ?? result.exitCode === 0;
    if (!ok) {
      throw CommandError.of(
        `Cannot cancel ${ids.length} jobs on ${scheduler.name}`,
        argv,
        this.#host,
        result,
        started,
      );
    }
  }

  async clean(): Promise<string> {
    const path = this.#transport.inPlace ? this.#files.jobsDir : this.runRoot;
    await this.#conn.remove(path);
    return path;
  }

  preview(attempts: readonly Attempt[]): readonly string[] {
    if (attempts.length === 0) return [];
    return this.#scheduler.submitArgv(attempts.map((a) => this.#files.request(a)));
  }

  close(): Promise<void> {
    this.#watch?.close();
    return this.#conn.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
