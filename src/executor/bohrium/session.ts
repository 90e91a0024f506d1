/**
 * One run on Bohrium, through either API: staging packs each job's archive (inputs and script);
 * a submission uploads it and adds a job named by the attempt's stable name, in the run's group;
 * a poll reads each live job's detail and, as soon as one ended, downloads and unpacks its
 * results beside the run's journal, reads its tasks' exit codes from its end file, and fetches
 * its log when it failed. Collecting copies from there into the work base.
 *
 * @module
 */

import { mkdir, open, readdir, readFile, rename, rm, stat } from "node:fs/promises";
import { join, posix } from "node:path";
import { mapLimit } from "../../_map_limit.ts";
import { ConnectionError, tail } from "../../errors.ts";
import type { Plan, PlanJob } from "../../plan/plan.ts";
import { parseEndFile } from "../../shell/end_file.ts";
import { copyEntries, expand } from "../../transports/local_fs.ts";
import type {
  Attempt,
  AttemptEnd,
  AttemptStatus,
  Collected,
  ExecutorSession,
  LiveAttempt,
  OpenOptions,
  PollAnswer,
  Staged,
  Submitted,
} from "../executor.ts";
import { attemptName } from "../batch/target.ts";
import type { CloudApi, CloudJob, GroupStore, SubmitSpec } from "./cloud_api.ts";
import { HttpError } from "./http.ts";
import { attemptCommand, endFileOf, logFilesOf, outFilesOf, renderCloudJobs } from "./script.ts";
import { statusMeaning, statusWords } from "./status.ts";

/** What the session does with what the API says. */
export interface CloudPolicy {
  /** A job that failed on Bohrium counts as finished (not resubmitted). @default true */
  readonly ignoreExitCode: boolean;
  /** Keep the input and result archives after use. @default true */
  readonly keepBackup: boolean;
}

/** Downloads of one result that may fail in a row before the attempt is called lost. */
const DOWNLOAD_TRIES = 5;

/**
 * The run's job group, kept in a small file beside its archives (written, synced, renamed).
 *
 * @example
 * ```ts
 * import { fileGroupStore } from "./session.ts";
 *
 * const dir = await Deno.makeTempDir();
 * const store = await fileGroupStore(dir);
 * await store.set(42);
 * console.log((await fileGroupStore(dir)).get()); // 42
 * ```
 */
export async function fileGroupStore(dir: string): Promise<GroupStore> {
  const file = join(dir, "group.json");
  const text = await readFile(file, "utf8").catch(() => "");
  let id = /^\{"groupId":(\d+)\}/.test(text) ? Number(JSON.parse(text).groupId) : undefined;
  return {
    get: () => id,
    async set(value: number) {
      await mkdir(dir, { recursive: true });
      const part = `${file}.part`;
      const fh = await open(part, "w");
      try {
        await fh.writeFile(JSON.stringify({ groupId: value }));
        await fh.sync();
      } finally {
        await fh.close();
      }
      await rename(part, file);
      id = value;
    },
  };
}

/** Opens a session of a plan on an API; `dir` is the run's local directory (its runRoot). */
export function cloudSession(
  plan: Plan,
  api: CloudApi,
  policy: CloudPolicy,
  where: { readonly dir: string; readonly options: OpenOptions },
): ExecutorSession {
  const { dir, options } = where;
  const workBase = options.workBase;
  const jobs = new Map(plan.jobs.map((j) => [j.hash, j]));
  const scripts = new Map(renderCloudJobs(plan).map((r) => [r.job, r]));
  const ends = new Map<string, AttemptEnd>();
  const downloadFailures = new Map<string, number>();
  const zipOf = (hash: string) => join(dir, "inputs", `${hash}.zip`);
  const resultsOf = (hash: string) => join(dir, "results", hash);
  const warn = (message: string, error?: Error) => options.onWarning?.(message, error);
  let zipping: Promise<unknown> = Promise.resolve();

  const pack = async (pj: PlanJob) => {
    const { zipFiles } = await import("./zip.ts");
    const tasks = pj.tasks.map((i) => plan.tasks[i]);
    const entries = [
      ...plan.forwardCommonFiles,
      ...tasks.flatMap((t) => t.forwardFiles.map((f) => posix.join(t.taskWorkPath, f))),
    ];
    const script = scripts.get(pj.hash)!;
    const packed = await zipFiles(workBase, [...new Set(entries)], zipOf(pj.hash), [
      { name: script.path, content: script.script },
    ]);
    if (packed.missing.length > 0) {
      throw new TypeError(
        `Invalid forward file: "${packed.missing[0]}" does not exist in "${workBase}"`,
      );
    }
    return packed;
  };

  const spec = (a: Attempt): SubmitSpec => {
    const pj = jobs.get(a.job)!;
    return {
      name: attemptName({ name: pj.name, attempt: a.attempt }),
      hash: a.job,
      zip: zipOf(a.job),
      cmd: attemptCommand(plan.runId, a.job, a.attempt),
      outFiles: outFilesOf(plan, pj, a.attempt),
      logFiles: logFilesOf(plan, pj),
    };
  };

  const submitOne = async (a: Attempt): Promise<Submitted> => {
    const s = spec(a);
    try {
      // After a restart the archive may be gone (keepBackup: false): packed again, one at a time.
      if (!(await stat(s.zip).then(() => true, () => false))) {
        const p = zipping.then(() => pack(jobs.get(a.job)!));
        zipping = p.catch(() => {});
        await p;
      }
      const id = await api.submit(s);
      if (!policy.keepBackup) await rm(s.zip, { force: true });
      return { ok: true, id };
    } catch (e) {
      if (e instanceof ConnectionError && !e.retryable) throw e;
      const error = e instanceof Error ? e : new Error(String(e));
      const fatal = e instanceof HttpError && e.status >= 400 && e.status < 500 &&
        ![401, 403, 408, 429].includes(e.status);
      // A refused field (PARAMERR, ROLEERR) can never be accepted as written.
      const refused = e instanceof HttpError && (e.code === "2101" || e.code === "2103");
      return { ok: false, error, kind: fatal || refused ? "fatal" : "transient" };
    }
  };

  const codesOf = async (pj: PlanJob): Promise<Record<string, number | null>> => {
    const out: Record<string, number | null> = {};
    for (const i of pj.tasks) {
      const t = plan.tasks[i];
      const text = await readFile(
        join(resultsOf(pj.hash), `.dpdispatcher/tasks/${t.hash}.rc`),
        "utf8",
      )
        .catch(() => "");
      out[t.hash] = /^\d+$/.test(text.trim()) ? Number(text.trim()) : null;
    }
    return out;
  };

  /** Downloads and unpacks an attempt's results; false when the download failed. */
  const fetchResults = async (a: LiveAttempt, job: CloudJob): Promise<boolean> => {
    if (job.resultUrl === "") return true;
    const { unzipFile } = await import("./zip.ts");
    const key = `${a.job}.${a.attempt}`;
    const archive = join(dir, "results", `${key}.zip`);
    try {
      await mkdir(join(dir, "results"), { recursive: true });
      await api.download(job.resultUrl, archive);
      const fresh = `${resultsOf(a.job)}.${a.attempt}.part`;
      await rm(fresh, { recursive: true, force: true });
      await unzipFile(archive, fresh);
      await rm(resultsOf(a.job), { recursive: true, force: true });
      await rename(fresh, resultsOf(a.job));
      if (!policy.keepBackup) await rm(archive, { force: true });
      return true;
    } catch (e) {
      const n = (downloadFailures.get(key) ?? 0) + 1;
      downloadFailures.set(key, n);
      const error = e instanceof Error ? e : new Error(String(e));
      warn(
        `Cannot download the results of job ${a.id} (try ${n} of ${DOWNLOAD_TRIES}): ${error.message}`,
        error,
      );
      if (n >= DOWNLOAD_TRIES) throw error;
      return false;
    }
  };

  const endOf = async (a: LiveAttempt, job: CloudJob, how: string): Promise<AttemptEnd> => {
    const pj = jobs.get(a.job)!;
    const text = await readFile(
      join(resultsOf(a.job), endFileOf(plan.runId, a.job, a.attempt)),
      "utf8",
    )
      .catch(() => "");
    const end = text ? parseEndFile(text) : undefined;
    const codes = end?.codes && Object.keys(end.codes).length > 0 ? end.codes : await codesOf(pj);
    const allOk = end !== undefined && Object.values(codes).every((c) => c === 0);
    const failedTask = pj.tasks.map((i) => plan.tasks[i]).find((t) => codes[t.hash] !== 0);
    const exitCode = job.exitCode ?? 0;
    const words = `Bohrium reports ${statusWords(job.status)}${
      job.exitCode === undefined ? "" : ` with exit code ${job.exitCode}`
    }`;
    let ok: boolean;
    let failure: AttemptEnd["failure"];
    let reason: string | undefined;
    if (allOk) ok = true;
    else if (how === "stopped") {
      ok = false;
      failure = "preempted";
      reason = `${words}: the job was stopped`;
    } else {
      // dpdispatcher's ignore_exit_code: the legacy API counts a failure with exit code 0 as the
      // platform's (resubmitted); OpenAPI counts every failure as finished.
      ok = how === "failed" && policy.ignoreExitCode && (api.kind === "openapi" || exitCode !== 0);
      failure = end ? "exit" : "lost";
      reason = failedTask && end
        ? `task "${failedTask.taskWorkPath}" exited with code ${
          codes[failedTask.hash] ?? "none"
        } (${words})`
        : `${words}, and its results hold no end file`;
    }
    let stderrTail = end?.stderrTail;
    if (!allOk) {
      const log = await api.logTail(a.id).catch((e: Error) => {
        warn(`Cannot read the log of job ${a.id}: ${e.message}`, e);
        return "";
      });
      if (log.trim()) {
        stderrTail = tail(
          `${stderrTail ? `${stderrTail}\n` : ""}--- Bohrium log\n${log.trimEnd()}`,
        );
      }
    }
    return {
      ok,
      codes,
      ...(ok ? {} : { failure, reason }),
      ...(stderrTail ? { stderrTail } : {}),
      ...(end?.start ? { start: end.start, end: end.end } : {}),
    };
  };

  const lost = (a: LiveAttempt, reason: string): AttemptEnd => {
    const codes: Record<string, number | null> = {};
    for (const i of jobs.get(a.job)!.tasks) codes[plan.tasks[i].hash] = null;
    return { ok: false, codes, failure: "lost", reason };
  };

  const pollOne = async (a: LiveAttempt): Promise<AttemptStatus | undefined> => {
    const key = `${a.job}.${a.attempt}`;
    const known = ends.get(key);
    if (known) return { state: "ended", end: known };
    const job = await api.detail(a.id);
    if (!job) {
      const end = lost(a, `job ${a.id} is no longer known to Bohrium (deleted?)`);
      ends.set(key, end);
      return { state: "ended", end };
    }
    const m = statusMeaning(job.status);
    if (m.state !== "ended") return m;
    let end: AttemptEnd;
    try {
      if (!(await fetchResults(a, job))) return undefined; // no news: tried again next poll
      end = await endOf(a, job, m.how);
    } catch (e) {
      end = lost(a, `its results could not be downloaded from Bohrium: ${(e as Error).message}`);
    }
    ends.set(key, end);
    return { state: "ended", end };
  };

  const session: ExecutorSession = {
    runRoot: dir,
    async stage(): Promise<Staged> {
      let files = 0;
      let bytes = 0;
      for (const pj of plan.jobs) {
        const packed = await pack(pj);
        files += packed.files;
        bytes += packed.bytes;
      }
      return { files, bytes, scripts: plan.jobs.length };
    },
    async submit(attempts: readonly Attempt[]): Promise<readonly Submitted[]> {
      return await mapLimit(attempts, 4, submitOne);
    },
    async lookup(attempts: readonly Attempt[]): Promise<ReadonlyMap<string, string>> {
      const names = new Map(attempts.map((a) => [spec(a).name, a.job]));
      const found = await api.find([...names.keys()]);
      return new Map([...found].map(([name, id]) => [names.get(name)!, id]));
    },
    async poll(live: readonly LiveAttempt[]): Promise<PollAnswer> {
      const answers = await mapLimit(live, 8, pollOne);
      const status = new Map<string, AttemptStatus>();
      live.forEach((a, i) => answers[i] && status.set(a.job, answers[i]!));
      return { status, asked: true };
    },
    async exitCodes(hashes: readonly string[]) {
      return await Promise.all(hashes.map((h) => codesOf(jobs.get(h)!)));
    },
    async collect(job: string | undefined, patterns: readonly string[]): Promise<Collected> {
      if (patterns.length === 0) return { files: 0, bytes: 0, missing: [] };
      const sources = job !== undefined ? [resultsOf(job)] : await readdir(join(dir, "results"))
        .then((names) => names.filter((n) => jobs.has(n)).map((n) => join(dir, "results", n)))
        .catch(() => [] as string[]);
      let files = 0;
      let bytes = 0;
      const missing: string[] = [];
      for (const pattern of patterns) {
        let matched = false;
        for (const src of sources) {
          if ((await expand(src, pattern)).length === 0) continue;
          matched = true;
          const got = await copyEntries(src, workBase, [pattern]);
          files += got.files;
          bytes += got.bytes;
        }
        if (!matched) missing.push(pattern);
      }
      return { files, bytes, missing };
    },
    async cancel(live: readonly LiveAttempt[]): Promise<void> {
      await mapLimit(live, 8, async (a) => {
        try {
          await api.kill(a.id);
        } catch (e) {
          // A job that ended meanwhile is no failure to cancel; anything else is.
          const job = await api.detail(a.id).catch(() => null);
          if (job === undefined || (job && statusMeaning(job.status).state === "ended")) return;
          throw e;
        }
      });
    },
    async clean(): Promise<string> {
      await rm(dir, { recursive: true, force: true });
      return dir;
    },
    preview(attempts: readonly Attempt[]): readonly string[] {
      return attempts.map((a) => api.preview(spec(a)));
    },
    close: () => Promise.resolve(),
    [Symbol.asyncDispose]: () => Promise.resolve(),
  };
  return session;
}
