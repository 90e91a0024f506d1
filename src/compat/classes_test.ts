import assert from "node:assert/strict";
import { JobStatus, Machine, Resources, Submission, Task } from "./mod.ts";

Deno.test("the seed document's Getting Started runs through the class-style API", async () => {
  const root = await Deno.makeTempDir();
  for (let i = 0; i <= 4; i++) {
    await Deno.mkdir(`${root}/lammps_md_300K_5GPa/dir${i}`, { recursive: true });
    await Deno.writeTextFile(`${root}/lammps_md_300K_5GPa/dir${i}/example.txt`, `example ${i}`);
  }
  await Deno.writeTextFile(`${root}/lammps_md_300K_5GPa/graph.pb`, "model");
  await Deno.writeTextFile(
    `${root}/machine.json`,
    JSON.stringify({
      machine_type: "Shell",
      context_type: "LocalContext",
      local_root: root,
      remote_root: `${root}/remote`,
    }),
  );
  await Deno.writeTextFile(
    `${root}/resources.json`,
    JSON.stringify({
      number_node: 1,
      cpu_per_node: 4,
      gpu_per_node: 0,
      queue_name: "",
      group_size: 5,
    }),
  );
  await Deno.writeTextFile(
    `${root}/task.json`,
    JSON.stringify({
      command: "cat example.txt ../graph.pb",
      task_work_path: "dir0/",
      forward_files: ["example.txt"],
      backward_files: ["out.txt"],
      outlog: "out.txt",
      errlog: "err",
    }),
  );
  const machine = Machine.loadFromJson(`${root}/machine.json`);
  const resources = Resources.loadFromJson(`${root}/resources.json`);
  const task0 = Task.loadFromJson(`${root}/task.json`);
  const tasks = [1, 2, 3, 4].map((i) =>
    new Task({
      command: "cat example.txt ../graph.pb",
      taskWorkPath: `dir${i}/`,
      forwardFiles: ["example.txt"],
      backwardFiles: ["out.txt"],
      outlog: "out.txt",
    })
  );
  const submission = new Submission({
    workBase: "lammps_md_300K_5GPa/",
    machine,
    resources,
    taskList: [task0, ...tasks],
    forwardCommonFiles: ["graph.pb"],
    backwardCommonFiles: [],
  });
  const report = await submission.runSubmission({ clean: false });
  assert.ok(report.ok);
  assert.equal(report.jobs.length, 1);
  for (let i = 0; i <= 4; i++) {
    assert.equal(
      await Deno.readTextFile(`${root}/lammps_md_300K_5GPa/dir${i}/out.txt`),
      `example ${i}model`,
    );
  }
  const dict = submission.serialize();
  assert.equal((dict.resources as Record<string, unknown>).group_size, 5);
  assert.equal((dict.task_list as Record<string, unknown>[])[0].task_work_path, "dir0");
  assert.deepEqual(Task.deserialize(task0.serialize()).value, task0.value);
  assert.equal(JobStatus.unsubmitted, 1);
  assert.equal(JobStatus.completing, 6);
  assert.equal(JobStatus.unknown, 100);
});

Deno.test("runSubmission with exitOnSubmit returns once every job is submitted", async () => {
  const root = await Deno.makeTempDir();
  const submission = new Submission({
    workBase: "w",
    machine: Machine.loadFromDict({
      batch_type: "Shell",
      context_type: "LazyLocal",
      local_root: root,
    }),
    resources: new Resources({ group_size: 1 }),
    taskList: [0, 1].map((i) => new Task({ command: "sleep 2", taskWorkPath: `t${i}` })),
  });
  await Deno.mkdir(`${root}/w`);
  const report = await submission.runSubmission({ exitOnSubmit: true });
  assert.equal(report.jobs.length, 2);
  assert.ok(report.jobs.every((j) => j.state === "running" && j.id));
  const again = await submission.runSubmission({ exitOnSubmit: true });
  assert.deepEqual(again.jobs.map((j) => j.id), report.jobs.map((j) => j.id), "nothing to submit");
  const done = await submission.runSubmission();
  assert.ok(done.ok);
  assert.ok(done.jobs.every((j) => j.attempts === 1), "re-attached, nothing resubmitted");
});

Deno.test("runSubmission with dryRun stages and submits nothing; the next run submits", async () => {
  const root = await Deno.makeTempDir();
  await Deno.mkdir(`${root}/w/t0`, { recursive: true });
  await Deno.writeTextFile(`${root}/w/t0/in.txt`, "in");
  const submission = new Submission({
    workBase: "w",
    machine: Machine.loadFromDict({
      batch_type: "Shell",
      context_type: "LocalContext",
      local_root: root,
      remote_root: `${root}/remote`,
    }),
    resources: new Resources({ group_size: 1 }),
    taskList: [
      new Task({
        command: "cp in.txt out.txt",
        taskWorkPath: "t0",
        forwardFiles: ["in.txt"],
        backwardFiles: ["out.txt"],
      }),
    ],
  });
  const staged = await submission.runSubmission({ dryRun: true });
  assert.deepEqual(staged.jobs.map((j) => [j.state, j.attempts]), [["pending", 0]]);
  assert.equal(await Deno.readTextFile(`${root}/remote/${staged.runId}/t0/in.txt`), "in");
  const done = await submission.runSubmission();
  assert.ok(done.ok);
  assert.equal(await Deno.readTextFile(`${root}/w/t0/out.txt`), "in");
});

Deno.test("Machine, Resources and Task load from YAML too", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/machine.yml`,
    "batch_type: Slurm\ncontext_type: LazyLocalContext\nlocal_root: ./\n",
  );
  await Deno.writeTextFile(`${dir}/resources.txt`, "group_size: 5\nqueue_name: GPUV100\n");
  await Deno.writeTextFile(
    `${dir}/task.yaml`,
    "command: lmp -i in.lammps\ntask_work_path: bct-0/\n",
  );
  assert.equal(
    Machine.loadFromJson(`${dir}/machine.yml`).loaded.target.executor.record.scheduler,
    "slurm",
  );
  assert.equal(Resources.loadFromYaml(`${dir}/resources.txt`).value.queueName, "GPUV100");
  assert.equal(Task.loadFromYaml(`${dir}/task.yaml`).value.taskWorkPath, "bct-0");
  await Deno.remove(dir, { recursive: true });
});
