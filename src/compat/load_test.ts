import assert from "node:assert/strict";
import { loadMachine, loadResources, loadSubmission, loadTask } from "./load.ts";

// The seed document's Getting Started files (machine.json with its SSH context swapped for a
// local one, since SSH is not supported yet).
const machine = {
  machine_type: "Slurm",
  context_type: "LazyLocalContext",
  local_root: "/home/user123/workplace/22_new_project/",
  remote_root: "~/dpdispatcher_work_dir/",
};
const res = {
  number_node: 1,
  cpu_per_node: 4,
  gpu_per_node: 1,
  queue_name: "GPUV100",
  group_size: 5,
};
const taskJson = {
  command: "lmp -i input.lammps",
  task_work_path: "bct-0/",
  forward_files: ["conf.lmp", "input.lammps"],
  backward_files: ["log.lammps"],
  outlog: "log",
  errlog: "err",
};

Deno.test("the Getting Started files load and render", () => {
  const m = loadMachine(machine);
  assert.equal(m.target.scheduler.name, "slurm");
  assert.equal(m.retryCount, 3);
  const r = loadResources(res);
  assert.equal(r.queueName, "GPUV100");
  const t = loadTask(taskJson);
  assert.equal(t.taskWorkPath, "bct-0");
  const { builder } = loadSubmission({
    work_base: "lammps_md_300K_5GPa/",
    machine,
    resources: res,
    task_list: [taskJson],
  });
  const [job] = builder.render();
  assert.match(
    job.script,
    /#SBATCH --ntasks-per-node=4\n#SBATCH --gres=gpu:1\n#SBATCH --partition=GPUV100/,
  );
  assert.match(job.path, /^\/home\/user123\/workplace\/22_new_project\/lammps_md_300K_5GPa\//);
});

Deno.test("types are case-insensitive, Context is optional, and unsupported ones say so", () => {
  assert.equal(
    loadMachine({ batch_type: "shell", context_type: "lazylocal", local_root: "." }).target
      .scheduler.name,
    "shell",
  );
  assert.equal(
    loadMachine({
      batch_type: "SlurmJobArray",
      context_type: "LocalContext",
      local_root: ".",
      remote_root: "/tmp/r",
    }).target.transport.name,
    "local",
  );
  assert.throws(
    () => loadMachine({ batch_type: "PBS", context_type: "LazyLocal", local_root: "." }),
    /"PBS" is not supported yet/,
  );
  assert.throws(
    () => loadMachine({ ...machine, context_type: "SSHContext" }),
    /"SSHContext" is not supported yet/,
  );
  assert.throws(
    () => loadMachine({ batch_type: "Condor", context_type: "LazyLocal" }),
    /Invalid machine\.batch_type.*got "Condor"/,
  );
  assert.throws(
    () => loadMachine({ context_type: "LazyLocal" }),
    /Invalid machine\.batch_type: missing/,
  );
  assert.throws(
    () => loadMachine({ batch_type: "Shell", context_type: "LocalContext", local_root: "." }),
    /machine\.remote_root: required/,
  );
});

Deno.test("bad values name the JSON path in snake_case with the value", () => {
  assert.throws(() => loadResources({ group_size: -1 }), /Invalid resources\.group_size: .*got -1/);
  assert.throws(
    () => loadResources({ group_size: 1, cpu_per_node: "4" }),
    /Invalid resources\.cpu_per_node: expected a number, got "4"/,
  );
  assert.throws(
    () => loadResources({ group_size: 1, strategy: { ratio_unfinished: 3 } }),
    /resources\.strategy\.ratio_unfinished/,
  );
  assert.throws(
    () => loadTask({ command: "x", task_work_path: "/abs" }),
    /Invalid task\.task_work_path/,
  );
  assert.throws(
    () =>
      loadSubmission({ machine, resources: res, task_list: [{ command: 1, task_work_path: "a" }] }),
    /Invalid submission\.task_list\[0\]\.command: expected a string, got 1/,
  );
});

Deno.test("unknown keys warn with a suggestion, and strict makes them errors", () => {
  const warnings: string[] = [];
  loadResources({ group_sise: 2, group_size: 1, strategy: { if_cuda_multi_device: false } }, {
    onWarning: (w) => warnings.push(w),
  });
  assert.deepEqual(warnings, [
    'Unknown key resources.group_sise (did you mean "group_size"?)',
    'Unknown key resources.strategy.if_cuda_multi_device (did you mean "if_cuda_multi_devices"?)',
  ]);
  assert.throws(
    () => loadResources({ group_size: 1, colour: "red" }, { strict: true }),
    /Unknown key resources\.colour$/,
  );
});

Deno.test("a loaded submission runs end to end on the local Shell target", async () => {
  const base = await Deno.makeTempDir();
  for (let i = 1; i <= 4; i++) {
    await Deno.mkdir(`${base}/work/dir${i}`, { recursive: true });
    await Deno.writeTextFile(`${base}/work/dir${i}/example.txt`, `example ${i}`);
  }
  const { builder, retryCount } = loadSubmission({
    work_base: "work/",
    machine: {
      batch_type: "Shell",
      context_type: "LocalContext",
      local_root: base,
      remote_root: `${base}/remote`,
      retry_count: 1,
    },
    resources: { group_size: 2, number_node: 1, cpu_per_node: 1, gpu_per_node: 0, queue_name: "" },
    task_list: [1, 2, 3, 4].map((i) => ({
      command: "cat example.txt",
      task_work_path: `dir${i}/`,
      forward_files: ["example.txt"],
      backward_files: ["out.txt"],
      outlog: "out.txt",
    })),
  });
  assert.equal(retryCount, 1);
  const report = await builder.run({ retryCount });
  assert.ok(report.ok);
  for (let i = 1; i <= 4; i++) {
    assert.equal(await Deno.readTextFile(`${base}/work/dir${i}/out.txt`), `example ${i}`);
  }
});
