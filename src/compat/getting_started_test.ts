import assert from "node:assert/strict";
import { Machine, Resources, Submission, Task } from "./mod.ts";

// The seed document's Getting Started, line by line, with dpdispatcher's own method and keyword
// names (only `await` and `new` differ), on this machine with Shell over LocalContext.
Deno.test("Getting Started runs line by line with dpdispatcher's names, and logs each step", async () => {
  const root = await Deno.makeTempDir();
  for (let i = 0; i <= 4; i++) {
    await Deno.mkdir(`${root}/lammps_md_300K_5GPa/dir${i}`, { recursive: true });
    await Deno.writeTextFile(`${root}/lammps_md_300K_5GPa/dir${i}/example.txt`, `example ${i}`);
  }
  await Deno.writeTextFile(`${root}/lammps_md_300K_5GPa/graph.pb`, "model");
  const json = (name: string, value: unknown) =>
    Deno.writeTextFile(`${root}/${name}`, JSON.stringify(value));
  await json("machine.json", {
    machine_type: "Shell",
    context_type: "LocalContext",
    local_root: root,
    remote_root: `${root}/remote`,
  });
  await json("resources.json", {
    number_node: 1,
    cpu_per_node: 4,
    gpu_per_node: 0,
    queue_name: "",
    group_size: 5,
  });
  await json("task.json", {
    command: "cat example.txt",
    task_work_path: "dir0/",
    forward_files: ["example.txt"],
    backward_files: ["out.txt"],
    outlog: "out.txt",
  });
  const lines: string[] = [];

  const machine = Machine.load_from_json(`${root}/machine.json`);
  const resources = Resources.load_from_json(`${root}/resources.json`);

  const task0 = Task.load_from_json(`${root}/task.json`);

  const task1 = new Task({
    command: "cat example.txt",
    task_work_path: "dir1/",
    forward_files: ["example.txt"],
    backward_files: ["out.txt"],
    outlog: "out.txt",
  });
  const task2 = new Task({
    command: "cat example.txt",
    task_work_path: "dir2/",
    forward_files: ["example.txt"],
    backward_files: ["out.txt"],
    outlog: "out.txt",
  });
  const task3 = new Task({
    command: "cat example.txt",
    task_work_path: "dir3/",
    forward_files: ["example.txt"],
    backward_files: ["out.txt"],
    outlog: "out.txt",
  });
  const task4 = new Task({
    command: "cat example.txt",
    task_work_path: "dir4/",
    forward_files: ["example.txt"],
    backward_files: ["out.txt"],
    outlog: "out.txt",
  });

  const task_list = [task0, task1, task2, task3, task4];

  const submission = new Submission({
    work_base: "lammps_md_300K_5GPa/",
    machine: machine,
    resources: resources,
    task_list: task_list,
    forward_common_files: ["graph.pb"],
    backward_common_files: [],
  });
  const report = await submission.run_submission({ clean: false, log: (l) => lines.push(l) });

  assert.equal(report.ok, true);
  for (let i = 0; i <= 4; i++) {
    const out = await Deno.readTextFile(`${root}/lammps_md_300K_5GPa/dir${i}/out.txt`);
    assert.equal(out, `example ${i}`);
  }
  // dpdispatcher's logger format and wording, one line per step.
  assert.match(
    lines[0],
    /^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} - INFO : submission \w+: 5 tasks in 1 jobs$/,
  );
  assert.match(lines.join("\n"), / - INFO : job \w+ was submitted; job_id is \d+/);
  assert.match(lines.at(-1)!, / - INFO : submission succeeded: \w+$/);
  await Deno.remove(root, { recursive: true });
});

Deno.test("bad Submission and Task keywords fail naming dpdispatcher's key, not a crash", () => {
  const machine = Machine.load_from_dict({
    batch_type: "Shell",
    context_type: "LazyLocalContext",
    local_root: "./",
  });
  const resources = new Resources({ group_size: 1 });
  assert.throws(
    () => new Submission({ machine, resources, task_list: [] } as never),
    /Invalid submission\.work_base: expected a directory path, got undefined/,
  );
  assert.throws(
    () => new Submission({ work_base: "w", machine, resources, task_list: [{}] } as never),
    /Invalid submission\.task_list: expected a list of Task objects/,
  );
  assert.throws(
    () => new Task({ command: "x", task_work_path: "t", forward_file: ["a"] } as never),
    /forward_file/,
  );
  // camelCase keeps working for code written against the earlier API.
  assert.equal(new Task({ command: "x", taskWorkPath: "t" }).value.taskWorkPath, "t");
});
