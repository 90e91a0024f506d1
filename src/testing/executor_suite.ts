import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { isAbsolute, join, resolve } from "node:path";
import { dispatch } from "../api/dispatch.ts";
import type {
  Attempt,
  AttemptEnd,
  AttemptStatus,
  ExecutorSession,
  LiveAttempt,
  Target,
} from "../executor/executor.ts";
import type { ResourcesInput } from "../plan/resources.ts";
import { task } from "../plan/task.ts";
import type { StepContext } from "./transport_suite.ts";

/**
 * What `makeTarget` of {@linkcode testExecutor} returns: the target whose executor is tested.
 *
 * @example
 * ```ts
 * import { local, shell } from "@deepmodeling/dpdispatcher";
 * import type { TargetFactory } from "@deepmodeling/dpdispatcher/testing";
 *
 * const make: TargetFactory = () => shell(local({ remoteRoot: "/tmp/dpd-suite-runs" }));
 * ```
 */
export type TargetFactory = () => Target | Promise<Target>;

/**
 * Options of {@linkcode testExecutor}.
 *
 * @example
 * ```ts
 * import type { ExecutorSuiteOptions } from "@deepmodeling/dpdispatcher/testing";
 *
 * const options: ExecutorSuiteOptions = { workBase: "/tmp/fresh-dir", resources: { queueName: "debug" } };
 * ```
 */
export interface ExecutorSuiteOptions {
  /** A fresh local directory the jobs can write (the suite writes its inputs there). */
  readonly workBase: string;
  /** How long each wait (jobs ending, a job starting) may take, in ms. @default 30_000 */
  readonly timeoutMs?: number;
  /** Resources of the jobs besides `groupSize: 1` (a partition, an account). @default {} */
  readonly resources?: Omit<ResourcesInput, "groupSize">;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const eq: (actual: unknown, expected: unknown, message?: string) => void = assert.deepEqual;
const PATHS = ["reads-inputs", "writes-out", "exits-3", "sleeps"] as const;

/** What the steps share: the session, and the live attempts once submitted. */
interface Shared {
  session?: ExecutorSession;
  /** The batch of three, once submitted. */
  batch: LiveAttempt[];
  /** Every attempt submitted, and the jobs seen ended. */
  live: LiveAttempt[];
  ended: Set<string>;
  /** The steps that failed, by the word before the colon. */
  failed: string[];
}

/**
 * Runs the steps every {@linkcode Target} that really runs jobs must pass, end to end.
 *
 * Each is a named step of `t` that drives the target's executor as the runner does
 * (`executor.open(plan)`, then the session; no runner, no journal). The plan (built with
 * `dispatch()`) has four one-task jobs: one reads a forward file and a common file, one writes
 * a file, one exits 3, one sleeps 300 s.
 *
 * - open: the executor's shape (its record is the plan's, one rendered script per job) and an
 *   absolute run root;
 * - stage: one script per job; forward files are sent (the first job reads them back);
 * - submit: a batch of three attempts gives one ok answer with its own id each;
 * - lookup (when the session has one): the submitted attempt is found by its name, with its
 *   id; an attempt never submitted is not;
 * - poll (repeated until every attempt ended): codes per task (0, 0, 3), `ok`, and for the
 *   failing job a `failure` of `"exit"` with a reason naming its task;
 * - exitCodes: the code per task, `null` for a job never run;
 * - collect: backward files come home with their content; an unmatched pattern is `missing`;
 * - cancel: the sleeping job, once running, ends not ok after `cancel()` and nothing of it
 *   runs on (its heartbeat file stops changing); cancelling ended attempts again is no error;
 * - preview: an argv for due attempts, none for no attempts;
 * - clean: what it returns is gone, the collected results stay;
 * - close, twice.
 *
 * A step whose prerequisite failed fails saying so. Jobs are cancelled and the session closed
 * even when a step fails. Local files are written with node:fs.
 *
 * @param t Where the steps run: a Deno `TestContext`, or an adapter.
 * @param makeTarget Makes the target under test (called once).
 * @param options The local work base, the wait limit and extra resources.
 * @example
 * ```ts
 * import { lazyLocal, shell } from "@deepmodeling/dpdispatcher";
 * import { testExecutor } from "@deepmodeling/dpdispatcher/testing";
 *
 * Deno.test("shell(lazyLocal()) runs jobs end to end", async (t) => {
 *   const workBase = await Deno.makeTempDir();
 *   await testExecutor(t, () => shell(lazyLocal()), { workBase, timeoutMs: 20_000 });
 *   await Deno.remove(workBase, { recursive: true });
 * });
 * ```
 */
export async function testExecutor(
  t: StepContext,
  makeTarget: TargetFactory,
  options: ExecutorSuiteOptions,
): Promise<void> {
  const workBase = resolve(options.workBase);
  const timeoutMs = options.timeoutMs ?? 30_000;
  const nonce = Math.random().toString(36).slice(2, 10); // fresh job names on every run
  const common = `common ${nonce}\n`;
  mkdirSync(join(workBase, PATHS[0]), { recursive: true });
  writeFileSync(join(workBase, "common.txt"), common);
  writeFileSync(join(workBase, PATHS[0], "in.txt"), "input 0\n");
  const target = await makeTarget();
  const envs = { DPD_SUITE_RUN: nonce };
  const tasks = [
    task({
      command: "cat ../common.txt in.txt > out.txt",
      taskWorkPath: PATHS[0],
      forwardFiles: ["in.txt"],
      backwardFiles: ["out.txt"],
      envs,
    }),
    task({ command: "echo one > out.txt", taskWorkPath: PATHS[1], envs }),
    task({ command: 'echo "failed on purpose" >&2; exit 3', taskWorkPath: PATHS[2], envs }),
    // A heartbeat beside the sleep: it stops changing only if the whole job was stopped.
    task({
      command: "( while sleep 0.2; do date +%s%N > beat.txt; done ) & sleep 300",
      taskWorkPath: PATHS[3],
      envs,
    }),
  ];
  const plan = dispatch({ workBase }).on(target).with({ ...options.resources, groupSize: 1 })
    .tasks(tasks).forwardCommonFiles("common.txt").toPlan();
  // Grouping shuffles tasks into jobs: jobs[i] is the job of task i.
  const jobs = tasks.map((_, i) => plan.jobs.find((j) => j.tasks.includes(i))!.hash);
  const attempt = (i: number, n = 0): Attempt => ({ job: jobs[i], attempt: n, done: new Set() });
  const s: Shared = { batch: [], live: [], ended: new Set(), failed: [] };
  const session = () => s.session ?? assert.fail("no session: the open step failed");
  const inPlace = () => session().runRoot === workBase;
  const local = (path: string) => join(workBase, path);
  const read = (path: string) => existsSync(local(path)) ? readFileSync(local(path), "utf8") : "";

  /** Polls `live` until each one ended; their ends by job hash. */
  const untilEnded = async (live: readonly LiveAttempt[], what: string) => {
    const ends = new Map<string, AttemptEnd>();
    const last = new Map<string, AttemptStatus>();
    for (const deadline = Date.now() + timeoutMs; ends.size < live.length; await sleep(200)) {
      if (Date.now() > deadline) {
        assert.fail(`${what} did not end in ${timeoutMs} ms: ${JSON.stringify([...last])}`);
      }
      const answer = await session().poll(live.filter((a) => !ends.has(a.job)));
      for (const [job, st] of answer.status) {
        assert.ok(live.some((a) => a.job === job), `poll answered for an unasked job ${job}`);
        assert.ok(["pending", "running", "ended"].includes(st.state), `state ${st.state}`);
        last.set(job, st);
        if (st.state !== "ended") continue;
        ends.set(job, st.end);
        s.ended.add(job);
      }
    }
    return ends;
  };

  /** Waits until the sleeper runs, cancels it, and checks that it ended and stopped. */
  const cancelled = async (live: LiveAttempt) => {
    const beat = `${PATHS[3]}/beat.txt`;
    const fetch = async () => {
      await session().collect(jobs[3], [beat]);
      return read(beat);
    };
    for (const deadline = Date.now() + timeoutMs; (await fetch()) === ""; await sleep(200)) {
      assert.ok(Date.now() < deadline, `the sleeper did not start in ${timeoutMs} ms`);
    }
    await session().cancel([live]);
    const end = (await untilEnded([live], "the cancelled job")).get(jobs[3])!;
    assert.equal(end.ok, false, "a cancelled job ended ok");
    assert.notEqual(end.codes[plan.tasks[3].hash], 0, "the sleeping task exited 0");
    const before = await fetch();
    await sleep(1_200);
    assert.equal(await fetch(), before, "the job's heartbeat still beats after it ended");
    await session().cancel([live]);
    await session().cancel(s.batch);
    await session().cancel([]);
  };

  /** Whatever failed, leaves no job running: cancels every attempt not seen ended. */
  const leaveNothing = async () => {
    const running = s.live.filter((a) => !s.ended.has(a.job));
    if (running.length > 0) await s.session?.cancel(running).catch(() => {});
  };

  const step = (name: string, needs: readonly string[], fn: () => Promise<void> | void) =>
    t.step(name, async () => {
      const missing = needs.filter((n) => s.failed.includes(n));
      if (missing.length > 0) assert.fail(`not run: the ${missing.join(", ")} step failed`);
      try {
        await fn();
      } catch (e) {
        s.failed.push(name.split(":")[0]);
        throw e;
      }
    });

  try {
    await step("open: the executor's shape; a session with an absolute runRoot", [], async () => {
      const ex = target.executor;
      eq(JSON.parse(JSON.stringify(ex.record)), plan.target, "record is the plan's target");
      assert.equal(typeof ex.host, "string");
      assert.ok(Number.isInteger(ex.submitBatch) && ex.submitBatch >= 1, "submitBatch");
      eq(
        ex.render(plan, workBase).map((r) => [r.job, r.name]),
        plan.jobs.map((j) => [j.hash, j.name]),
      );
      assert.equal(typeof ex.permissions(), "object");
      s.session = await ex.open(plan, { workBase });
      assert.ok(isAbsolute(session().runRoot), `runRoot ${session().runRoot} is relative`);
    });

    await step("stage: one script per job; forward files are sent", ["open"], async () => {
      const staged = await session().stage();
      assert.equal(staged.scripts, plan.jobs.length, "scripts");
      // In place nothing is copied; otherwise the common file and the forward file are.
      assert.equal(staged.files, inPlace() ? 0 : 2, "files copied");
      assert.equal(staged.bytes, inPlace() ? 0 : common.length + "input 0\n".length, "bytes");
    });

    await step(
      "submit: a batch of three gives one ok answer with an id each",
      ["stage"],
      async () => {
        const answers = await session().submit([0, 1, 2].map((i) => attempt(i)));
        assert.equal(answers.length, 3, "one answer per attempt");
        answers.forEach((a, i) => {
          assert.ok(a.ok, `attempt ${i} refused: ${a.ok ? "" : `${a.kind}: ${a.error.message}`}`);
          assert.ok(typeof a.id === "string" && a.id !== "", `attempt ${i}: empty id`);
          s.batch.push({ ...attempt(i), id: a.id });
        });
        assert.equal(new Set(s.batch.map((a) => a.id)).size, 3, "ids repeat");
        s.live.push(...s.batch);
      },
    );

    const lookup = s.session?.lookup;
    const lookupName = lookup
      ? "lookup: finds a submitted attempt by name, not a new one"
      : "lookup: none (submitting an attempt twice is harmless here)";
    await step(lookupName, ["submit"], async () => {
      if (!lookup) return;
      const found = await lookup.call(session(), [attempt(0), attempt(1, 7)]);
      assert.equal(found.get(jobs[0]), s.batch[0].id, "the submitted attempt's id");
      assert.equal(found.has(jobs[1]), false, "an attempt never submitted was found");
    });

    await step(
      "poll: each attempt ends with its codes; the failure names its task",
      ["submit"],
      async () => {
        const ends = await untilEnded(s.batch, "the batch");
        const [ok0, ok1, bad] = jobs.map((j) => ends.get(j)!);
        const code = (i: number, c: number) => ({ [plan.tasks[i].hash]: c });
        for (const [end, i] of [[ok0, 0], [ok1, 1]] as const) {
          eq({ ...end.codes }, code(i, 0), `job ${i}'s codes`);
          assert.equal(end.ok, true, `job ${i}: ${end.reason}`);
          assert.equal(end.failure, undefined, `job ${i}'s failure`);
        }
        eq({ ...bad.codes }, code(2, 3), "the failing job's codes");
        assert.equal(bad.ok, false);
        assert.equal(bad.failure, "exit");
        assert.ok(bad.reason?.includes(PATHS[2]), `the reason names no task: ${bad.reason}`);
        const tail = bad.stderrTail;
        assert.ok(tail === undefined || tail.includes("failed on purpose"), `stderr tail ${tail}`);
        for (const end of [ok0, ok1, bad]) {
          if (end.start !== undefined && end.end !== undefined) assert.ok(end.end >= end.start);
        }
      },
    );

    await step("exitCodes: each task's code, null for a job never run", ["poll"], async () => {
      const codes = await session().exitCodes(jobs);
      eq(
        codes.map((c) => ({ ...c })),
        [0, 0, 3, null].map((c, i) => ({ [plan.tasks[i].hash]: c })),
      );
    });

    await step(
      "collect: backward files come home; an unmatched pattern is missing",
      ["poll"],
      async () => {
        const [out0, out1] = [`${PATHS[0]}/out.txt`, `${PATHS[1]}/out.txt`];
        if (!inPlace()) assert.equal(existsSync(local(out0)), false, "a result is home already");
        const got = await session().collect(jobs[0], [out0, `${PATHS[0]}/absent.dat`]);
        eq([...got.missing], [`${PATHS[0]}/absent.dat`], "missing");
        assert.equal(got.files, inPlace() ? 0 : 1, "files copied");
        assert.equal(read(out0), `${common}input 0\n`, "the job read its forward files");
        const all = await session().collect(undefined, [`${PATHS[1]}/*.txt`]);
        eq([all.missing.length, read(out1)], [0, "one\n"]);
        eq({ ...await session().collect(undefined, []) }, { files: 0, bytes: 0, missing: [] });
      },
    );

    await step(
      "cancel: a running sleep 300 ends, not ok, and nothing of it runs on",
      ["stage"],
      async () => {
        const [answer] = await session().submit([attempt(3)]);
        assert.ok(answer.ok, `the sleeper was refused: ${answer.ok ? "" : answer.error.message}`);
        const live = { ...attempt(3), id: answer.id };
        s.live.push(live);
        try {
          await cancelled(live);
        } finally {
          await leaveNothing();
        }
      },
    );

    await step("preview: an argv for due attempts, none for none", ["open"], () => {
      const argv = session().preview([attempt(1, 1)]);
      assert.ok(argv.length > 0 && argv.every((w) => typeof w === "string"), "a due attempt");
      eq([...session().preview([])], []);
    });

    await step("clean: removes what it returns; collected results stay", ["open"], async () => {
      const path = await session().clean();
      const root = session().runRoot;
      assert.ok(path === root || path.startsWith(`${root}/`), `${path} is not in ${root}`);
      assert.equal(existsSync(path), false, `${path} is still there`);
      if (!s.failed.includes("collect")) assert.equal(read(`${PATHS[1]}/out.txt`), "one\n");
    });

    await step("close: twice does not throw", ["open"], async () => {
      await leaveNothing();
      await session().close();
      await session().close();
      await session()[Symbol.asyncDispose]();
    });
  } finally {
    await leaveNothing();
    await s.session?.close().catch(() => {});
  }
}
