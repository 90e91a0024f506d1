import assert from "node:assert/strict";
import { task } from "./task.ts";

Deno.test("task fills dpdispatcher's defaults and normalises paths", () => {
  const t = task({
    command: "lmp -i in.lammps",
    taskWorkPath: "./bct-0//",
    forwardFiles: ["./conf.lmp"],
  });
  assert.equal(t.taskWorkPath, "bct-0");
  assert.deepEqual(t.forwardFiles, ["conf.lmp"]);
  assert.equal(t.outlog, "log");
  assert.equal(t.errlog, "err");
  assert.deepEqual(t.backwardFiles, []);
  assert.ok(Object.isFrozen(t) && Object.isFrozen(t.forwardFiles));
});

Deno.test("task hash depends on meaning only", () => {
  const a = task({ command: "echo 1", taskWorkPath: "a/" });
  assert.equal(a.hash, task({ command: "echo 1", taskWorkPath: "./a" }).hash);
  assert.notEqual(a.hash, task({ command: "echo 2", taskWorkPath: "a" }).hash);
  assert.notEqual(a.hash, task({ command: "echo 1", taskWorkPath: "a", envs: { X: "1" } }).hash);
  assert.match(a.hash, /^[0-9a-f]{16}$/);
});

Deno.test("bad task input names the field and the value", () => {
  const cases: [unknown, RegExp][] = [
    [{ command: "", taskWorkPath: "a" }, /task\.command.*got ""/],
    [{ command: 3, taskWorkPath: "a" }, /task\.command: expected a string, got 3/],
    [
      { command: "x", taskWorkPath: "/abs" },
      /task\.taskWorkPath: taskWorkPath must be relative.*got "\/abs"/,
    ],
    [
      { command: "x", taskWorkPath: "../up" },
      /task\.taskWorkPath.*inside the work base.*got "\.\.\/up"/,
    ],
    [
      { command: "x", taskWorkPath: "a", forwardFiles: ["../../etc/passwd"] },
      /forwardFiles.*"\.\.\/\.\.\/etc\/passwd"/,
    ],
    [{ command: "x", taskWorkPath: "a", forwardFiles: "f" }, /task\.forwardFiles.*got "f"/],
    [{ command: "x", taskWorkPath: "a", envs: { "BAD-NAME": "1" } }, /task\.envs.*BAD-NAME/],
    [{ command: "x", taskWorkPath: "a", outlog: "/tmp/log" }, /task\.outlog.*"\/tmp\/log"/],
    [{ command: "x", taskWorkPath: "a", forwardFile: ["x"] }, /unknown key "forwardFile"/],
  ];
  for (const [input, pattern] of cases) {
    assert.throws(
      () => task(input as never),
      (e: Error) => e instanceof TypeError && pattern.test(e.message),
      JSON.stringify(input),
    );
  }
});

Deno.test("a task spread into a new input derives a new task", () => {
  const a = task({ command: "echo 1", taskWorkPath: "a" });
  const b = task({ ...a, command: "echo 2" });
  assert.equal(b.command, "echo 2");
  assert.equal(b.taskWorkPath, "a");
  assert.notEqual(b.hash, a.hash);
});
