import assert from "node:assert/strict";
import {
  type Dispatch,
  dispatch,
  lazyLocal,
  local,
  RunError,
  type RunEvent,
  type RunOptions,
  shell,
  StateError,
  task,
} from "../mod.ts";
import { countingTasks, processesMentioning, runCounts, tempDir, waitFor } from "./_helpers.ts";

/** Runs `builder` and aborts it once `count` events of `type` came; the run rejects as aborted. */
async function abortAfter(
  builder: Dispatch,
  type: "job:submitted" | "job:running",
  count: number,
  options: RunOptions = {},
): Promise<void> {
  const controller = new AbortController();
  let seen = 0;
  await assert.rejects(
    builder.run({
      ...options,
      signal: controller.signal,
      onEvent: (e) => e.type === type && ++seen === count && controller.abort(),
    }),
    (e: Error) => e.name === "AbortError",
  );
}

Deno.test("in place: every task runs once, results stay put, and a rerun submits nothing", async () => {
  const base = await tempDir();
  const counts = await tempDir();
  const builder = dispatch({ workBase: base }).with({ groupSize: 3, paraDeg: 2 }).tasks(
    countingTasks(20, counts),
  );
  const report = await builder.run();
  assert.ok(report.ok);
  assert.equal(report.jobs.length, 7);
  for (const job of report.jobs) {
    assert.equal(job.state, "finished");
    assert.equal(job.attempts, 1);
    assert.match(job.id!, /^\d+$/);
    assert.ok(job.durationMs !== undefined && job.durationMs >= 0);
  }
  for (const t of report.tasks) {
    assert.equal(t.state, "finished");
    assert.equal(t.exitCode, 0);
    assert.equal(await Deno.readTextFile(`${t.resultsDir}/out.txt`), `task ${t.index}\n`);
  }
  const events: RunEvent[] = [];
  const again = await builder.run({ onEvent: (e) => events.push(e) });
  assert.ok(again.ok);
  assert.equal(events.find((e) => e.type === "run:start" && e.resumed) !== undefined, true);
  assert.equal(events.filter((e) => e.type === "job:submitting").length, 0);
  assert.deepEqual(await runCounts(counts, 20), Array(20).fill(1));
});

Deno.test("copied: inputs go up once, each job's results come back as soon as it ends, missing files are reported", async () => {
  const base = await tempDir();
  const remote = await tempDir();
  await Deno.writeTextFile(`${base}/graph.pb`, "common model");
  const tasks = [0, 1, 2].map((i) => {
    Deno.mkdirSync(`${base}/t${i}/sub`, { recursive: true });
    Deno.writeTextFileSync(`${base}/t${i}/conf.lmp`, `conf ${i}`);
    Deno.writeTextFileSync(`${base}/t${i}/sub/deep.txt`, `deep ${i}`);
    return task({
      command: `${
        i === 2 ? "sleep 2;" : ""
      } cat conf.lmp ../graph.pb sub/deep.txt > result.txt; echo x > a.dump; echo y > b.dump`,
      taskWorkPath: `t${i}`,
      forwardFiles: ["conf.lmp", "sub"],
      backwardFiles: ["result.txt", "*.dump", "never-made.txt"],
    });
  });
  const events: RunEvent[] = [];
  const report = await dispatch({ workBase: base })
    .on(shell(local({ remoteRoot: remote })))
    .with({ groupSize: 1 })
    .tasks(tasks)
    .forwardCommonFiles("graph.pb")
    .backwardCommonFiles("summary.txt")
    .run({ onEvent: (e) => events.push(e) });
  assert.ok(report.ok, "a missing result file does not fail the run");
  for (let i = 0; i < 3; i++) {
    assert.equal(
      await Deno.readTextFile(`${base}/t${i}/result.txt`),
      `conf ${i}common modeldeep ${i}`,
    );
    assert.equal(await Deno.readTextFile(`${base}/t${i}/a.dump`), "x\n");
    assert.equal(await Deno.readTextFile(`${base}/t${i}/b.dump`), "y\n");
    assert.deepEqual(report.tasks[i].missing, [`t${i}/never-made.txt`]);
  }
  assert.deepEqual(report.missingCommon, ["summary.txt"]);
  assert.equal(await Deno.readTextFile(`${remote}/${report.runId}/graph.pb`), "common model");
  const slow = report.jobs.find((j) => j.tasks[0] === 2)!.hash;
  const slowEnd = events.findIndex((e) => e.type === "job:ended" && e.job === slow);
  const fastCollected = events.findIndex((e) => e.type === "job:collected" && e.job !== slow);
  assert.ok(
    fastCollected >= 0 && fastCollected < slowEnd,
    "a fast job's results arrive before the slow job ends",
  );
  const staged = events.find((e) => e.type === "stage:done");
  assert.ok(
    staged?.type === "stage:done" && staged.files === 7,
    `7 files uploaded, got ${JSON.stringify(staged)}`,
  );
});

Deno.test("a failing task is retried retryCount times, then reported with its stderr tail while other jobs finish", async () => {
  const base = await tempDir();
  const counts = await tempDir();
  const good = countingTasks(6, counts);
  const bad = task({
    command:
      `echo run >> '${counts}/bad'; echo "first line" >&2; echo "segfault in step 42" >&2; exit 3`,
    taskWorkPath: "bad",
  });
  const events: RunEvent[] = [];
  const error = await dispatch({ workBase: base })
    .with({ groupSize: 2 })
    .tasks([...good, bad])
    .run({ retryCount: 2, retryDelay: 0.05, onEvent: (e) => events.push(e) })
    .then(() => undefined, (e) => e);
  assert.ok(error instanceof RunError, `expected a RunError, got ${error}`);
  const report = error.report;
  const failed = report.jobs.filter((j) => j.state === "failed");
  assert.equal(failed.length, 1);
  assert.equal(failed[0].attempts, 3);
  assert.match(
    failed[0].reason!,
    /task "bad" exited with code 3: segfault in step 42 \(after 3 attempts\)/,
  );
  assert.equal(failed[0].stderrTail, "first line\nsegfault in step 42");
  assert.match(error.message, /ended with 1 of 4 jobs failed/);
  assert.equal((await Deno.readTextFile(`${counts}/bad`)).trim().split("\n").length, 3);
  assert.equal(events.filter((e) => e.type === "job:retry").length, 2);
  // The good task sharing the failed job ran once and its result is there.
  assert.deepEqual(await runCounts(counts, 6), Array(6).fill(1));
  for (const t of report.tasks.filter((t) => t.taskWorkPath !== "bad")) {
    assert.equal(t.state, "finished");
  }
  assert.equal(report.tasks.find((t) => t.taskWorkPath === "bad")!.state, "failed");
  // The retry budget survives a restart: a rerun does not submit the failed job again.
  const rerun = await dispatch({ workBase: base }).with({ groupSize: 2 }).tasks([...good, bad])
    .run({ retryCount: 2, throwOnFailure: false });
  assert.equal(rerun.ok, false);
  assert.equal((await Deno.readTextFile(`${counts}/bad`)).trim().split("\n").length, 3);
});

Deno.test("run() is also an async iterable of the same events onEvent sees", async () => {
  const base = await tempDir();
  const seen: string[] = [];
  const running = dispatch({ workBase: base }).with({ groupSize: 1 })
    .tasks([0, 1].map((i) => task({ command: "true", taskWorkPath: `t${i}` })))
    .run({ onEvent: (e) => seen.push(e.type) });
  const iterated: string[] = [];
  for await (const event of running) iterated.push(event.type);
  const report = await running;
  assert.ok(report.ok);
  assert.deepEqual(iterated, seen);
  assert.equal(iterated[0], "run:start");
  assert.equal(iterated.at(-1), "run:end");
  assert.equal(iterated.filter((t) => t === "job:final").length, 2);
});

Deno.test("with more jobs than one submit batch, the live jobs are polled between batches", async () => {
  const base = await tempDir();
  const events: RunEvent[] = [];
  const report = await dispatch({ workBase: base }).with({ groupSize: 1 })
    .tasks(Array.from({ length: 201 }, (_, i) => task({ command: "true", taskWorkPath: `t${i}` })))
    .run({ onEvent: (e) => events.push(e) });
  assert.ok(report.ok);
  const submitting = events.flatMap((e, k) => e.type === "job:submitting" ? [k] : []);
  assert.equal(submitting.length, 201);
  // The first batch of 200 is live and polled before the 201st job is submitted.
  const poll = events.findIndex((e) => e.type === "poll" && e.live === 200);
  assert.ok(poll > submitting[199] && poll < submitting[200], `poll at ${poll}`);
});

Deno.test("clean removes the run's copy once every job finished", async () => {
  const base = await tempDir();
  const remote = await tempDir();
  const report = await dispatch({ workBase: base }).on(shell(local({ remoteRoot: remote })))
    .with({ groupSize: 1 }).tasks(
      task({ command: "echo 1 > o", taskWorkPath: "t", backwardFiles: ["o"] }),
    )
    .run({ clean: true });
  assert.ok(report.ok);
  assert.equal(await Deno.readTextFile(`${base}/t/o`), "1\n");
  await assert.rejects(Deno.stat(`${remote}/${report.runId}`), Deno.errors.NotFound);
});

Deno.test("abort detaches by default: jobs keep running and the next run re-attaches", async () => {
  const base = await tempDir();
  const counts = await tempDir();
  const tasks = countingTasks(4, counts, "sleep 1;");
  const builder = dispatch({ workBase: base }).with({ groupSize: 1 }).tasks(tasks);
  await abortAfter(builder, "job:submitted", 4);
  const events: RunEvent[] = [];
  const report = await builder.run({ onEvent: (e) => events.push(e) });
  assert.ok(report.ok);
  assert.equal(
    events.filter((e) => e.type === "job:submitting").length,
    0,
    "nothing is submitted twice",
  );
  assert.deepEqual(await runCounts(counts, 4), [1, 1, 1, 1]);
});

Deno.test("abort with onAbort cancel leaves no process behind", async () => {
  const base = await tempDir();
  const builder = dispatch({ workBase: base }).with({ groupSize: 1, paraDeg: 1 })
    .tasks([0, 1, 2].map((i) => task({ command: "sleep 60", taskWorkPath: `t${i}` })));
  const runId = builder.toPlan().runId;
  await abortAfter(builder, "job:running", 3, { onAbort: "cancel" });
  await waitFor(
    async () => (await processesMentioning(runId)).length === 0,
    5000,
    "cancelled jobs to exit",
  );
  // The tasks' own processes (not named by the run) go too; a loaded machine may take a moment.
  await waitFor(
    async () => (await processesMentioning("sleep 60")).length === 0,
    5000,
    "the tasks' own processes to exit",
  );
});

Deno.test("ratioUnfinished drops the slow tail once enough tasks finished", async () => {
  const base = await tempDir();
  const tasks = Array.from(
    { length: 10 },
    (_, i) => task({ command: i < 2 ? "sleep 60" : "true", taskWorkPath: `t${i}` }),
  );
  const builder = dispatch({ workBase: base }).with({
    groupSize: 1,
    strategy: { ratioUnfinished: 0.2 },
  }).tasks(tasks);
  const report = await builder.run();
  assert.ok(report.ok);
  assert.equal(report.jobs.filter((j) => j.state === "dropped").length, 2);
  assert.equal(report.tasks.filter((t) => t.state === "finished").length, 8);
  await waitFor(
    async () => (await processesMentioning(builder.toPlan().runId)).length === 0,
    5000,
    "dropped jobs to exit",
  );
});

Deno.test("bad input fails before any side effect, naming the task and the file", async () => {
  const base = await tempDir();
  await Deno.mkdir(`${base}/t0`);
  const builder = dispatch({ workBase: base }).tasks(
    task({ command: "true", taskWorkPath: "t0", forwardFiles: ["conf.lmp"] }),
  );
  await assert.rejects(
    builder.run(),
    (e: Error) =>
      e instanceof TypeError &&
      /tasks\[0\]\.forwardFiles: "conf\.lmp" does not exist/.test(e.message),
  );
  await assert.rejects(
    dispatch({ workBase: `${base}/nope` }).tasks(
      task({ command: "true", taskWorkPath: "t", forwardFiles: ["in"] }),
    ).run(),
    /Invalid workBase.*does not exist/,
  );
  // Nothing to read from it: the run makes the work base, and says so.
  const warnings: string[] = [];
  const made = await dispatch({ workBase: `${base}/new` }).tasks(
    task({ command: "echo hi > out.txt", taskWorkPath: "t", backwardFiles: ["out.txt"] }),
  ).run({ onEvent: (e) => e.type === "warning" && warnings.push(e.message) });
  assert.equal(made.ok, true);
  assert.equal(await Deno.readTextFile(`${base}/new/t/out.txt`), "hi\n");
  assert.match(warnings[0], /the work base ".*\/new" does not exist: the run creates it/);
  await assert.rejects(
    dispatch({ workBase: base }).tasks(task({ command: "true", taskWorkPath: "t" })).run({
      retryCount: -1,
    }),
    /Invalid run\.retryCount/,
  );
  await assert.rejects(
    dispatch({ workBase: base }).tasks(task({ command: "true", taskWorkPath: "t" })).run({
      maxQueued: 0,
    }),
    /Invalid run\.maxQueued: expected an integer >= 1 or Infinity, got 0/,
  );
  await assert.rejects(
    dispatch({ workBase: base }).tasks(task({ command: "true", taskWorkPath: "t" })).run({
      maxQueued: 1.5,
    }),
    /Invalid run\.maxQueued: expected an integer >= 1 or Infinity, got 1\.5/,
  );
  await assert.rejects(
    dispatch({ workBase: base }).tasks(task({ command: "true", taskWorkPath: "t" })).run({
      maxQueued: "10" as unknown as number,
    }),
    /Invalid run\.maxQueued: expected an integer >= 1 or Infinity, got "10"/,
  );
  await assert.rejects(Deno.stat(`${base}/.dpdispatcher`), Deno.errors.NotFound);
});

Deno.test("two runners never drive the same run", async () => {
  const base = await tempDir();
  const builder = dispatch({ workBase: base }).on(shell(lazyLocal())).tasks(
    task({ command: "sleep 1", taskWorkPath: "t" }),
  );
  const first = builder.run();
  await new Promise((r) => setTimeout(r, 300));
  await assert.rejects(builder.run(), StateError);
  assert.ok((await first).ok);
});

Deno.test("cancel() stops every job a detached run left behind; the next run finishes the work", async () => {
  const base = await tempDir();
  const counts = await tempDir();
  const builder = dispatch({ workBase: base }).with({ groupSize: 1 })
    .tasks(countingTasks(3, counts, "[ -f ../go ] || sleep 60;"));
  await abortAfter(builder, "job:running", 3);
  const runId = builder.toPlan().runId;
  assert.ok((await processesMentioning(runId)).length >= 3, "detached jobs keep running");
  assert.equal(await builder.cancel(), 3);
  await waitFor(
    async () => (await processesMentioning(runId)).length === 0,
    5000,
    "cancelled jobs to exit",
  );
  assert.equal(await builder.cancel(), 0, "nothing left to cancel");
  await Deno.writeTextFile(`${base}/go`, "");
  const report = await builder.run();
  assert.ok(report.ok);
  assert.ok(
    report.jobs.every((j) => j.attempts === 2),
    "each job was resubmitted once after the cancel",
  );
});

Deno.test("a canceller that dies right after the cancel command: the next run resubmits, uncharged", async () => {
  const base = await tempDir();
  const counts = await tempDir();
  // The cancel's connection dies at its first read after the cancel command ran: nothing after
  // the kill reaches the journal, as when the process is killed there.
  let dying = false;
  const plain = lazyLocal();
  const transport = Object.freeze({
    ...plain,
    connect: async () => {
      const conn = await plain.connect();
      let ran = false;
      return new Proxy(conn, {
        get(target, prop) {
          const value = Reflect.get(target, prop, target);
          if (typeof value !== "function") return value;
          if (dying && prop === "exec") {
            return async (...args: unknown[]) => {
              const result = await value.apply(target, args);
              ran = true;
              return result;
            };
          }
          if (dying && ran && prop === "readFiles") {
            return () => Promise.reject(new Error("the canceller died here"));
          }
          return value.bind(target);
        },
      });
    },
  });
  const builder = dispatch({ workBase: base }).on(shell(transport)).with({ groupSize: 1 })
    .tasks(countingTasks(2, counts, "[ -f ../go ] || sleep 60;"));
  await abortAfter(builder, "job:running", 2);
  const runId = builder.toPlan().runId;
  dying = true;
  await assert.rejects(builder.cancel(), /the canceller died here/);
  dying = false;
  await waitFor(
    async () => (await processesMentioning(runId)).length === 0,
    5000,
    "cancelled jobs to exit",
  );
  await Deno.writeTextFile(`${base}/go`, "");
  // With no retry budget, an attempt charged as a failure (or as someone else's cancel) would
  // end the job failed; cancelled by request, it is submitted again and finishes.
  const report = await builder.run({ retryCount: 0, throwOnFailure: false });
  assert.ok(report.ok, JSON.stringify(report.jobs.map((j) => j.reason)));
  assert.ok(report.jobs.every((j) => j.attempts === 2), "each job was resubmitted once");
});

Deno.test("cancel() journals a detached job that had already finished as finished, not cancelled", async () => {
  const base = await tempDir();
  const builder = dispatch({ workBase: base }).with({ groupSize: 1 }).tasks(
    task({ command: "echo fast > out.txt", taskWorkPath: "fast", backwardFiles: ["out.txt"] }),
    task({
      command: "[ -f ../go ] || sleep 60; echo slow > out.txt",
      taskWorkPath: "slow",
      backwardFiles: ["out.txt"],
    }),
  );
  // Abort as soon as both are submitted: the runner never sees the fast job end.
  await abortAfter(builder, "job:submitted", 2);
  await waitFor(
    () => Deno.stat(`${base}/fast/out.txt`).then(() => true, () => false),
    5000,
    "the fast task to finish",
  );
  await new Promise((r) => setTimeout(r, 300)); // its exit code follows its output
  assert.equal(await builder.cancel(), 1, "only the running job is cancelled");
  await Deno.writeTextFile(`${base}/go`, "");
  const report = await builder.run();
  const attempts = Object.fromEntries(
    report.tasks.map((t) => [t.taskWorkPath, report.jobs.find((j) => j.hash === t.job)!.attempts]),
  );
  assert.deepEqual(attempts, { fast: 1, slow: 2 });
  assert.equal(await Deno.readTextFile(`${base}/slow/out.txt`), "slow\n");
});

Deno.test("resuming a copied run from a different remoteRoot is refused, naming both", async () => {
  const base = await tempDir();
  const first = await tempDir();
  const other = await tempDir();
  const build = (remoteRoot: string) =>
    dispatch({ workBase: base }).on(shell(local({ remoteRoot }))).tasks(
      task({ command: "true", taskWorkPath: "t" }),
    );
  assert.ok((await build(first).run()).ok);
  await assert.rejects(
    build(other).run(),
    (e: Error) => e instanceof TypeError && e.message.includes(first) && e.message.includes(other),
  );
});
