import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import type { Scheduler, SchedulerStatus, SubmitRequest } from "../executor/batch/scheduler.ts";
import { jobsDirOf } from "../layout.ts";
import { type Resources, resources, type ResourcesInput } from "../plan/resources.ts";
import { type Task, task } from "../plan/task.ts";
import { parseEndFile } from "../shell/end_file.ts";
import { renderScript, type ScriptJob } from "../shell/job_script.ts";
import type { ExecResult } from "../transports/transport.ts";
import type { StepContext } from "./transport_suite.ts";

/**
 * One expected answer of `parseSubmit`: `ok:<id>` for an accepted job, else the failure's kind.
 *
 * @example
 * ```ts
 * import type { SubmitExpectation } from "@deepmodeling/dpdispatcher/testing";
 *
 * const expect: SubmitExpectation[] = ["ok:1234", "transient", "limit", "fatal"];
 * ```
 */
export type SubmitExpectation = `ok:${string}` | "transient" | "limit" | "fatal";

/**
 * A golden header: resources, and the expected `header(job)` and `customFlags` lines after it.
 *
 * @example
 * ```ts
 * import type { HeaderFixture } from "@deepmodeling/dpdispatcher/testing";
 *
 * const plain: HeaderFixture = { resources: { groupSize: 1 }, header: "#!/bin/bash\n" };
 * ```
 */
export interface HeaderFixture {
  /** The resources of the job. */
  readonly resources: ResourcesInput;
  /** The expected header block (one trailing newline is ignored). */
  readonly header: string;
}

/**
 * A captured output of a scheduler command, and how it must be read.
 *
 * `input` is what the command was built for (requests, jobs or ids); `expect: "throws"` marks an
 * answer not to trust: the parser must throw.
 *
 * @example A cancel that did its work
 * ```ts
 * import type { Captured } from "@deepmodeling/dpdispatcher/testing";
 *
 * const done: Captured<string[], boolean> = { input: ["7"], result: { exitCode: 0, stdout: "", stderr: "" }, expect: true };
 * ```
 */
export interface Captured<I, E> {
  /** Names the fixture in failure messages. @default its index */
  readonly name?: string;
  /** What the command was built for. */
  readonly input: I;
  /** What the command printed. */
  readonly result: ExecResult;
  /** How it must be read. */
  readonly expect: E;
}

/**
 * A job array's index variable, its first value, and resources for the array step's chunk.
 *
 * @example
 * ```ts
 * import type { ArrayFixture } from "@deepmodeling/dpdispatcher/testing";
 *
 * const sge: ArrayFixture = { index: "SGE_TASK_ID", base: 1 };
 * ```
 */
export interface ArrayFixture {
  /** The variable holding the element's index (`SLURM_ARRAY_TASK_ID`). */
  readonly index: string;
  /** The index of the first element. */
  readonly base: 0 | 1;
  /** Resources for `arrayChunk`. @default { groupSize: 0 } */
  readonly resources?: ResourcesInput;
}

/**
 * What {@linkcode testScheduler} checks a scheduler against: goldens and captured outputs.
 *
 * Each list needs the cases its field names, so a new scheduler cannot skip them.
 *
 * @example
 * ```ts
 * import type { SchedulerFixtures } from "@deepmodeling/dpdispatcher/testing";
 *
 * const ok = { exitCode: 0, stdout: "", stderr: "" };
 * const some: Partial<SchedulerFixtures> = {
 *   headers: [{ resources: { groupSize: 1 }, header: "#!/bin/bash\n#PBS -l nodes=1" }],
 *   cancel: [{ input: ["1"], result: ok, expect: true }, { input: ["1"], result: { ...ok, exitCode: 1 }, expect: false }],
 *   jobId: "PBS_JOBID",
 * };
 * ```
 */
export interface SchedulerFixtures {
  /** Golden headers: at least one. */
  readonly headers: readonly HeaderFixture[];
  /** Submit outputs, one expectation per request: at least one accepted and one refused job. */
  readonly submit: readonly Captured<readonly SubmitRequest[], readonly SubmitExpectation[]>[];
  /** Status outputs, each job's status (absent and `undefined` fields alike): one must throw. */
  readonly status: readonly Captured<
    readonly { id: string; hash: string }[],
    Record<string, SchedulerStatus> | "throws"
  >[];
  /** Cancel outputs and whether the cancel did its work: at least one done, one failed. */
  readonly cancel: readonly Captured<readonly string[], boolean>[];
  /** Lookup outputs, ids by job hash, for schedulers with `lookupArgv`: one must throw. */
  readonly lookup?: readonly Captured<
    readonly SubmitRequest[],
    Record<string, string> | "throws"
  >[];
  /** The variable naming the job in a running job (`SLURM_JOB_ID`); absent: none (its PID). */
  readonly jobId?: string;
  /** For job-array schedulers (`arrayChunk` defined), and only for them. */
  readonly array?: ArrayFixture;
}

const JOB = { hash: "0123456789abcdef", name: "dpd-0123456789ab", runId: "5c4ed01e5c4ed01e" };
const eq: (actual: unknown, expected: unknown, message?: string) => void = assert.deepEqual;

function scriptJob(scheduler: Scheduler, res: Resources, tasks: Task[], root: string): ScriptJob {
  const where = { runRoot: root, jobsDir: jobsDirOf(root, JOB.runId) };
  const env = scheduler.env ?? {};
  return { ...JOB, ...where, tasks, resources: res, arrayChunk: scheduler.arrayChunk?.(res), env };
}

/** Checks an argv (non-empty strings; `bash -c`'s program passes `bash -n`); its program. */
function checkArgv(argv: readonly string[], what: string): string {
  assert.ok(Array.isArray(argv) && argv.length > 0, `${what}: expected a non-empty argv`);
  for (const word of argv) assert.equal(typeof word, "string", `${what}: a word is no string`);
  assert.ok(argv[0] !== "" && !argv.some((w) => w.includes("\0")), `${what}: bad word`);
  if (argv[0] !== "bash" || argv[1] !== "-c") return argv[0];
  const r = spawnSync("bash", ["-n"], { input: argv[2], encoding: "utf8" });
  assert.equal(r.status, 0, `${what}: bash cannot parse it: ${r.stderr}\n${argv[2]}`);
  return argv[0];
}

/** Runs `fn` in a temporary directory, removed after it. */
function inTemp(fn: (dir: string) => void): void {
  const dir = mkdtempSync(join(tmpdir(), "dpd-sched-suite-"));
  try {
    fn(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Writes a job's script and runs it with bash, as attempt 0, with `vars` set. */
function runJob(job: ScriptJob, script: string, vars: Record<string, string>) {
  mkdirSync(job.jobsDir, { recursive: true });
  const path = `${job.jobsDir}/${job.hash}.sh`;
  writeFileSync(path, script);
  const env = { PATH: process.env.PATH ?? "/usr/bin:/bin", DPD_ATTEMPT: "0", ...vars };
  return spawnSync("bash", [path], { cwd: job.runRoot, env, encoding: "utf8", timeout: 30_000 });
}

/** The variables a scheduler would set for array element `k` (none for other schedulers). */
const elementVars = ({ arrayChunk, env }: Scheduler, k: number): Record<string, string> =>
  arrayChunk && env?.arrayIndex ? { [env.arrayIndex]: String((env.arrayBase ?? 0) + k) } : {};

/** Attempt 0's `.end` or `.run` file (array element `k`'s for arrays): its text. */
function fileOf(scheduler: Scheduler, job: ScriptJob, kind: "end" | "run", k = 0): string {
  const path = `${job.jobsDir}/${job.hash}.0${scheduler.arrayChunk ? `.${k}` : ""}.${kind}`;
  assert.ok(existsSync(path), `no ${kind} file ${path}`);
  return readFileSync(path, "utf8");
}

/** The exit codes in attempt 0's end file (array element `k`'s for arrays). */
const endCodes = (scheduler: Scheduler, job: ScriptJob, k = 0) =>
  (parseEndFile(fileOf(scheduler, job, "end", k)) ?? assert.fail("an incomplete end file")).codes;

/** Every argv the scheduler builds, for requests whose paths hold spaces, quotes and `$`. */
function everyArgv(scheduler: Scheduler): [string, readonly string[]][] {
  // An unquoted `(` does not parse, nor does one `'` per request when there are three.
  const dir = `/tmp/a "dir" (x $HOME \`x\`; y`;
  const hashes = [JOB.hash, "fedcba9876543210", "0f1e2d3c4b5a6978"];
  const requests = hashes.map((hash, i): SubmitRequest => ({
    hash,
    name: `dpd-${hash.slice(0, 12)}`,
    attempt: i,
    script: `${dir}/${hash}.sh`,
    attemptPrefix: `${dir}/it's ${hash}.${i}`,
    ...(scheduler.arrayChunk ? { elements: [0, 2] } : {}),
  }));
  const jobs = hashes.map((hash, i) => ({ id: String(101 + i), hash }));
  return Object.entries({
    submitArgv: scheduler.submitArgv(requests),
    statusArgv: scheduler.statusArgv(jobs),
    cancelArgv: scheduler.cancelArgv(jobs.map((j) => j.id)),
    ...(scheduler.lookupArgv ? { lookupArgv: scheduler.lookupArgv(requests) } : {}),
  });
}

type Fixture = Captured<unknown, unknown>;
const accepts = (ok: boolean) => (f: Fixture) =>
  (f.expect as string[]).some((e) => e.startsWith("ok:") === ok);
const answers = {
  "readable answer": (f: Fixture) => f.expect !== "throws",
  "answer that must throw": (f: Fixture) => f.expect === "throws",
};
const CASES: Record<string, Record<string, (f: Fixture) => boolean>> = {
  submit: { "accepted job": accepts(true), "refused job": accepts(false) },
  status: answers,
  cancel: { "cancel that worked": (f) => f.expect === true, "failed cancel": (f) => !f.expect },
  lookup: answers,
};

/** Checks each fixture of a list, after asserting that the list holds every case it must. */
function each<F extends Fixture>(kind: string, list: readonly F[], check: Check<F>): void {
  const lacks = Object.entries(CASES[kind]).filter(([, has]) => !list.some(has));
  eq(lacks.map(([name]) => name), [], `fixtures.${kind} lacks cases`);
  list.forEach((f, i) => check(f, `${kind} fixture ${f.name ?? i}`));
}
type Check<F> = (f: F, what: string) => void;

/** `parse()` throws when `expect` says so, else gives `expect`. */
function parses<T>(what: string, expect: T | "throws", parse: () => T): void {
  if (expect === "throws") assert.throws(parse, `${what} must throw`);
  else eq(parse(), expect, what);
}

/**
 * Runs the conformance steps every pure {@linkcode Scheduler} must pass.
 *
 * Each is a named step of `t`, against golden headers and captured outputs, so a new scheduler
 * (PBS, SGE, LSF) needs fixtures, not tests: header (goldens, a shebang); quoting (a job whose
 * path, logs, queue name and env values hold spaces, quotes, `$`, backticks, `;` and newlines
 * passes `bash -n` and runs as written, no injected command run; every argv's bash program
 * parses); submit, status, cancel, lookup (captured outputs read as expected, unreadable ones
 * throw); env and arrays (`env.jobId`; bash with `env.arrayIndex` = `arrayBase + k` runs exactly
 * element k's tasks); permissions (`run` names every argv's first word). Runs `bash` here.
 *
 * @param t Where the steps run: a Deno `TestContext`, or an adapter.
 * @param scheduler The scheduler under test.
 * @param fixtures Its golden headers and captured outputs.
 * @example
 * ```ts
 * import { shellScheduler } from "@deepmodeling/dpdispatcher";
 * import { testScheduler } from "@deepmodeling/dpdispatcher/testing";
 *
 * const r = (exitCode: number | null, stdout = "") => ({ exitCode, stdout, stderr: "" });
 * const req = { hash: "a1", name: "dpd-a1", attempt: 0, script: "/r/a1.sh", attemptPrefix: "/r/a1.0" };
 * const jobs = [{ id: "9", hash: "a1" }];
 * Deno.test("the Shell scheduler conforms", (t) =>
 *   testScheduler(t, shellScheduler, {
 *     headers: [{ resources: { groupSize: 1 }, header: "#!/bin/bash" }],
 *     submit: [{ input: [req], result: r(0, "a1 42\n"), expect: ["ok:42"] }, { input: [req], result: r(1), expect: ["transient"] }],
 *     status: [{ input: jobs, result: r(1), expect: { "9": { state: "gone" } } }, { input: jobs, result: r(2), expect: "throws" }],
 *     cancel: [{ input: ["9"], result: r(0), expect: true }, { input: ["9"], result: r(null), expect: false }],
 *   }));
 * ```
 */
export async function testScheduler(
  t: StepContext,
  scheduler: Scheduler,
  fixtures: SchedulerFixtures,
): Promise<void> {
  const one = (command: string, path = "t0") => task({ command, taskWorkPath: path });
  const render = (job: ScriptJob) => renderScript(scheduler.header(job), job);

  await t.step("header: each golden header block matches and starts with a shebang", () => {
    assert.ok(fixtures.headers.length > 0, "fixtures.headers is empty: give at least one golden");
    fixtures.headers.forEach((f, i) => {
      const res = resources(f.resources);
      const job = scriptJob(scheduler, res, [one("true")], "/r");
      const header = scheduler.header(job);
      assert.ok(header.startsWith("#!"), `header ${i} starts with no shebang: ${header}`);
      const block = [header.trimEnd(), ...res.customFlags].join("\n");
      assert.equal(block, f.header.replace(/\n$/, ""), `header fixture ${i}`);
      assert.ok(render(job).startsWith(`${block}\n`), "the script starts otherwise");
    });
  });

  await t.step("quoting: hostile names render to a script bash parses and runs as written", () => {
    inTemp((dir) => {
      const canary = `${dir}/INJECTED`;
      const hostile = `it's a "dir" $HOME \`touch ${canary}\`; touch ${canary} $(touch ${canary})`;
      const value = `a 'b' "c" \`touch ${canary}\`; touch ${canary} &&\nline 2 $ end`;
      // A queue name is one header line: a line break is refused before any script is written.
      assert.throws(
        () => resources({ groupSize: 1, queueName: `x\ntouch ${canary} #` }),
        /queueName/,
      );
      const queueName = hostile;
      const res = resources({ groupSize: 1, queueName, envs: { DPD_SUITE_ENV: value } });
      const command = `printf %s "$DPDISPATCHER_QUEUE_NAME" > queue.txt
printf %s "$DPD_SUITE_ENV" > env.txt; printf %s "$DPD_SUITE_TASK_ENV" > task_env.txt; echo ran`;
      const logs = { outlog: "out 'x' $y.log", errlog: 'err "x" `y`.log' };
      const envs = { DPD_SUITE_TASK_ENV: value };
      const work = task({ command, taskWorkPath: `${hostile}\nline 2`, ...logs, envs });
      const job = scriptJob(scheduler, res, [work], `${dir}/run root's`);
      const script = render(job);
      checkArgv(["bash", "-c", script], "the job script");
      const run = runJob(job, script, elementVars(scheduler, 0));
      assert.equal(run.status, 0, `the job script failed: ${run.stderr}`);
      assert.equal(existsSync(canary), false, "a hostile value ran as a command");
      const at = (file: string) => readFileSync(join(job.runRoot, work.taskWorkPath, file), "utf8");
      eq([at("queue.txt"), at("env.txt"), at("task_env.txt")], [queueName, value, value]);
      assert.equal(at(work.outlog), "ran\n", "the task's stdout went elsewhere");
      eq(endCodes(scheduler, job), { [work.hash]: 0 });
    });
    for (const [what, argv] of everyArgv(scheduler)) checkArgv(argv, what);
  });

  await t.step("submit: captured outputs give one expected answer per request, in order", () => {
    each("submit", fixtures.submit, (f, what) => {
      const out = scheduler.parseSubmit(f.result, f.input);
      eq(out.map((o) => (o.ok ? `ok:${o.id}` : o.kind)), f.expect, what);
      for (const o of out) if (!o.ok) assert.ok(o.error.trim() !== "", `${what}: empty error`);
    });
  });

  await t.step("status: captured outputs give each job's status; unreadable ones throw", () => {
    // JSON drops `undefined` fields: an absent optional field and an `undefined` one are alike.
    const norm = (m: Iterable<[string, SchedulerStatus]>) =>
      JSON.parse(JSON.stringify(Object.fromEntries(m)));
    each("status", fixtures.status, (f, what) => {
      parses(what, f.expect === "throws" ? f.expect : norm(Object.entries(f.expect)), () => {
        const got = scheduler.parseStatus(f.result, f.input);
        for (const j of f.input) assert.ok(got.has(j.id), `${what}: no status for ${j.id}`);
        return norm(got);
      });
    });
  });

  await t.step("cancel: captured outputs say whether the cancel did its work", () => {
    each("cancel", fixtures.cancel, (f, what) => {
      const ok = scheduler.parseCancel?.(f.result, f.input) ?? f.result.exitCode === 0;
      assert.equal(ok, f.expect, what);
    });
  });

  await t.step("lookup: captured outputs give ids by job hash; unreadable ones throw", () => {
    const { lookupArgv, parseLookup } = scheduler;
    assert.equal(!lookupArgv, !parseLookup, "lookupArgv and parseLookup go together");
    const given = fixtures.lookup?.length ?? 0;
    if (!parseLookup) return assert.equal(given, 0, "fixtures.lookup, but no lookupArgv");
    each("lookup", fixtures.lookup ?? [], (f, what) => {
      parses(what, f.expect, () => Object.fromEntries(parseLookup(f.result, f.input)));
    });
  });

  await t.step("env and arrays: the job id variable; each array element runs its tasks", () => {
    const env = scheduler.env ?? {};
    assert.equal(env.jobId, fixtures.jobId, "env.jobId is not the fixtures' jobId");
    const chunkOf = scheduler.arrayChunk;
    assert.equal(!chunkOf, !fixtures.array, "fixtures.array is for job-array schedulers only");
    const want = fixtures.array;
    if (want) eq([env.arrayIndex, env.arrayBase ?? 0], [want.index, want.base], "array env");
    const res = resources(fixtures.array?.resources ?? { groupSize: 0 });
    const chunk = chunkOf?.(res) ?? 3;
    assert.ok(Number.isInteger(chunk) && chunk >= 1, `arrayChunk gave ${chunk}`);
    const count = chunkOf ? 2 * chunk + 1 : 3; // arrays: three elements, the last one short
    const elements = chunkOf ? 3 : 1;
    inTemp((dir) => {
      const tasks = Array.from({ length: count }, (_, i) => one(`echo ${i} > out.txt`, `t${i}`));
      const job = scriptJob(scheduler, res, tasks, dir);
      const script = render(job);
      if (chunkOf) assert.ok(script.includes(`\${${env.arrayIndex}`), "the index is never read");
      const out = (i: number) => join(dir, `t${i}`, "out.txt");
      const id = env.jobId ? { [env.jobId]: "4242" } : {};
      for (let k = 0; k < elements; k++) {
        const run = runJob(job, script, { ...elementVars(scheduler, k), ...id });
        assert.equal(run.status, 0, `element ${k} failed: ${run.stderr}`);
        const mine = chunkOf ? tasks.slice(k * chunk, (k + 1) * chunk) : tasks;
        eq(endCodes(scheduler, job, k), Object.fromEntries(mine.map((t) => [t.hash, 0])));
        const upTo = Math.min((k + 1) * chunk, count);
        eq(tasks.map((_, i) => existsSync(out(i))), tasks.map((_, i) => i < upTo), `after ${k}`);
        const at = mine.map((tk) => tasks.indexOf(tk));
        eq(at.map((i) => readFileSync(out(i), "utf8")), at.map((i) => `${i}\n`), "outputs");
        const who = fileOf(scheduler, job, "run", k).trim();
        assert.match(who, env.jobId ? /^4242$/ : /^\d+$/, "the .run file names the job");
      }
      const past = chunkOf && runJob(job, script, elementVars(scheduler, elements)).status;
      if (chunkOf) assert.notEqual(past, 0, "an element past the last one ran");
    });
  });

  await t.step("permissions: run names the first word of every argv", () => {
    const needs = scheduler.permissions?.();
    assert.ok(needs, "permissions() is missing: runs under Deno would lack --allow-run");
    for (const [what, argv] of everyArgv(scheduler)) {
      const first = checkArgv(argv, what);
      assert.ok(needs.run === true || needs.run?.includes(first), `run lacks ${first} (${what})`);
    }
  });
}
