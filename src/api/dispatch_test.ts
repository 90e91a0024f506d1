import assert from "node:assert/strict";
import { dispatch } from "./dispatch.ts";
import { resources } from "../plan/resources.ts";
import { task } from "../plan/task.ts";
import { local } from "../transports/local.ts";
import { shell } from "../executor/batch/shell/shell.ts";

const tasks = Array.from(
  { length: 6 },
  (_, i) => task({ command: `echo ${i}`, taskWorkPath: `t${i}` }),
);

Deno.test("builder methods return new builders and never change the old one", () => {
  const base = dispatch({ workBase: "w" });
  const withRes = base.with(resources({ groupSize: 2 }));
  const withTasks = withRes.tasks(tasks);
  const withMore = withTasks.tasks(task({ command: "echo x", taskWorkPath: "x" }));
  const withCommon = withMore.forwardCommonFiles("graph.pb");
  assert.notEqual(base, withRes);
  assert.throws(() => base.toPlan(), /expected at least one task, got 0/);
  assert.equal(withTasks.toPlan().tasks.length, 6);
  assert.equal(withMore.toPlan().tasks.length, 7);
  assert.deepEqual(withMore.toPlan().forwardCommonFiles, []);
  assert.deepEqual(withCommon.toPlan().forwardCommonFiles, ["graph.pb"]);
  assert.equal(withTasks.toPlan().jobs.length, 3);
  assert.equal(
    withTasks.on(shell(local({ remoteRoot: "/tmp/r" }))).toPlan().target.transport,
    "local",
  );
  assert.equal(withTasks.toPlan().target.transport, "lazyLocal");
});

Deno.test("plans are frozen, JSON-safe and stable", () => {
  const plan = dispatch({ workBase: "w" }).with({ groupSize: 2 }).tasks(tasks).toPlan();
  assert.ok(
    Object.isFrozen(plan) && Object.isFrozen(plan.jobs) && Object.isFrozen(plan.jobs[0]) &&
      Object.isFrozen(plan.tasks[0]),
  );
  assert.throws(() => {
    (plan.jobs as unknown as unknown[]).push({});
  }, TypeError);
  assert.deepEqual(JSON.parse(JSON.stringify(plan)), plan);
  assert.equal(plan.kind, "plan");
  assert.deepEqual(dispatch({ workBase: "w" }).with({ groupSize: 2 }).tasks(tasks).toPlan(), plan);
});

Deno.test("run id ignores machine paths and transport settings but follows the plan's meaning", () => {
  const build = (workBase: string, remoteRoot: string, extra = false) =>
    dispatch({ workBase })
      .on(shell(local({ remoteRoot })))
      .with({ groupSize: 2, queueName: "debug" })
      .tasks(extra ? [...tasks, task({ command: "echo new", taskWorkPath: "n" })] : tasks)
      .toPlan().runId;
  const id = build("/home/a/project", "/scratch/a");
  assert.equal(build("/moved/elsewhere", "/other/root"), id);
  assert.notEqual(build("/home/a/project", "/scratch/a", true), id);
  const queue = dispatch({ workBase: "w" }).with({ groupSize: 2, queueName: "gpu" }).tasks(tasks)
    .toPlan();
  const debug = dispatch({ workBase: "w" }).with({ groupSize: 2, queueName: "debug" }).tasks(tasks)
    .toPlan();
  assert.notEqual(queue.runId, debug.runId);
  const slower = dispatch({ workBase: "w" }).with({ groupSize: 2, queueName: "debug", waitTime: 5 })
    .tasks(tasks).toPlan();
  assert.equal(slower.runId, debug.runId, "waitTime does not change any script");
});

Deno.test("render has no side effects and shows one script per job", () => {
  const scripts = dispatch({ workBase: "/nonexistent/base" }).with({ groupSize: 4 }).tasks(tasks)
    .render();
  assert.equal(scripts.length, 2);
  assert.match(
    scripts[0].path,
    /^\/nonexistent\/base\/\.dpdispatcher\/[0-9a-f]{16}\/[0-9a-f]{16}\.sh$/,
  );
  assert.match(scripts[0].script, /^#!\/bin\/bash\n/);
  assert.throws(() => Deno.statSync("/nonexistent/base"));
});

Deno.test("bad builder input is refused before anything runs", () => {
  assert.throws(() => dispatch({ workBase: "" }), /Invalid dispatch\.workBase.*got ""/);
  assert.throws(() => dispatch().on({} as never), /Invalid target/);
  assert.throws(() => dispatch().tasks({ command: "x", taskWorkPath: "/abs" }), /taskWorkPath/);
  assert.throws(() => dispatch().with({ groupSize: -2 }), /resources\.groupSize/);
  assert.throws(
    () => dispatch().tasks(tasks).forwardCommonFiles("/etc/passwd").toPlan(),
    /forwardCommonFiles\[0\].*"\/etc\/passwd"/,
  );
  assert.throws(() => local({ remoteRoot: "" }), /Invalid local\.remoteRoot.*got ""/);
});
