import assert from "node:assert/strict";
import {
  loadMachine,
  loadResources,
  loadSubmission,
  loadTask,
  readInputFile,
  toSubmissionKeys,
} from "./load.ts";

// The seed document's Getting Started files (machine.json with its SSH context swapped for a
// local one, so the files run here; the SSH original loads in its own test).
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
  assert.equal(m.target.executor.record.scheduler, "slurm");
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
      .executor.record.scheduler,
    "shell",
  );
  assert.equal(
    loadMachine({
      batch_type: "SlurmJobArray",
      context_type: "LocalContext",
      local_root: ".",
      remote_root: "/tmp/r",
    }).target.executor.record.transport,
    "local",
  );
  assert.throws(
    () =>
      loadMachine({ batch_type: "DistributedShell", context_type: "LazyLocal", local_root: "." }),
    /"DistributedShell" is not supported yet/,
  );
  assert.throws(
    () => loadMachine({ ...machine, context_type: "HDFSContext" }),
    /"HDFSContext" is not supported yet/,
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
    /machine\.remote_root: missing \(required for LocalContext\)/,
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

Deno.test("keys starting with _ are comments, as in dpdispatcher, even with strict", () => {
  const warnings: string[] = [];
  loadResources({ _comment: "GPU queue", group_size: 1 }, {
    strict: true,
    onWarning: (w) => warnings.push(w),
  });
  assert.deepEqual(warnings, []);
});

Deno.test("a submission needs work_base, tasks, and common files inside the work base", () => {
  const base = { machine, resources: res, task_list: [taskJson] };
  assert.throws(() => loadSubmission(base), /^TypeError: Invalid submission\.work_base: missing/);
  assert.throws(
    () => loadSubmission({ ...base, work_base: 3 }),
    /Invalid submission\.work_base: expected a directory path, got 3/,
  );
  assert.throws(
    () => loadSubmission({ ...base, work_base: "w", task_list: [] }),
    /Invalid submission\.task_list: expected a non-empty array of tasks, got \[\]/,
  );
  assert.throws(
    () => loadSubmission({ ...base, work_base: "w", forward_common_files: ["/etc/passwd"] }),
    /Invalid submission\.forward_common_files\[0\]: a common file must be relative.*"\/etc\/passwd"/,
  );
  assert.throws(
    () => loadSubmission({ ...base, work_base: "w", backward_common_files: ["../up"] }),
    /Invalid submission\.backward_common_files\[0\]: a common file must stay inside/,
  );
});

Deno.test("run-time errors are told in the submission's own keys", () => {
  assert.equal(
    toSubmissionKeys('Invalid tasks[3].forwardFiles: "a.txt" does not exist in "/w/t3"'),
    'Invalid submission.task_list[3].forward_files: "a.txt" does not exist in "/w/t3"',
  );
  assert.equal(
    toSubmissionKeys('Invalid workBase: directory does not exist, got "w"'),
    'Invalid submission.work_base: directory does not exist, got "w"',
  );
  assert.equal(
    toSubmissionKeys('Invalid forwardCommonFiles: "x" does not exist in "/w"'),
    'Invalid submission.forward_common_files: "x" does not exist in "/w"',
  );
  assert.equal(
    toSubmissionKeys(
      'Invalid resources.strategy.customizedScriptHeaderTemplateFile: cannot read "h"',
    ),
    'Invalid resources.strategy.customized_script_header_template_file: cannot read "h"',
  );
});

Deno.test("input files may be JSON or YAML; a bad one is one line naming the file", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(`${dir}/m.yaml`, "batch_type: Shell\ncontext_type: LazyLocalContext\n");
  assert.deepEqual(readInputFile(`${dir}/m.yaml`).value, {
    batch_type: "Shell",
    context_type: "LazyLocalContext",
  });
  await Deno.writeTextFile(`${dir}/bad.yml`, "a: [1, 2\nb: c\n");
  assert.throws(() => readInputFile(`${dir}/bad.yml`), (e: Error) => {
    assert.match(e.message, /^Invalid YAML in ".*bad\.yml": /);
    assert.doesNotMatch(e.message, /\n/);
    return true;
  });
  assert.throws(
    () => readInputFile(`${dir}/none.json`),
    /Cannot read ".*none\.json": no such file/,
  );
  await Deno.remove(dir, { recursive: true });
});

Deno.test("messages that name no field keep their words", () => {
  assert.equal(
    toSubmissionKeys('Invalid JSON in "s.json": Unexpected end'),
    'Invalid JSON in "s.json": Unexpected end',
  );
});

Deno.test("the seed's SSHContext machine.json loads: ~/ remote root, profile keys mapped, no secret echoed", () => {
  const seed = {
    machine_type: "Slurm",
    context_type: "SSHContext",
    local_root: "/home/user123/workplace/22_new_project/",
    remote_root: "~/dpdispatcher_work_dir/",
    remote_profile: { hostname: "39.106.xx.xxx", username: "user1", port: 22, timeout: 10 },
  };
  const m = loadMachine(seed);
  assert.equal(m.target.executor.record.transport, "ssh");
  assert.equal(m.target.executor.record.scheduler, "slurm");
  assert.deepEqual(
    [m.target.executor.record.options.hostname, m.target.executor.record.options.username],
    ["39.106.xx.xxx", "user1"],
  );
  assert.equal(m.target.executor.runRoot("/w", "abc"), "~/dpdispatcher_work_dir/abc");
  const profile = (extra: Record<string, unknown>) => ({
    ...seed,
    remote_profile: { ...seed.remote_profile, ...extra },
  });
  const withSecrets = loadMachine(profile({ password: "hunter2", totp_secret: "JBSWY3DP" }));
  assert.ok(!JSON.stringify(withSecrets.target.executor.record.options).includes("hunter2"));
  assert.throws(
    () => loadMachine(profile({ password: 31337 })),
    (e: Error) => /remote_profile\.password: expected a string, got a number$/.test(e.message),
  );
  assert.throws(
    () => loadMachine(profile({ port: "22" })),
    /remote_profile\.port: expected a number, got "22"/,
  );
  assert.throws(
    () => loadMachine(profile({ port: 70000 })),
    /remote_profile\.port: expected an integer from 1 to 65535, got 70000/,
  );
  assert.throws(
    () => loadMachine(profile({ hostname: undefined })),
    /remote_profile\.hostname: missing/,
  );
  assert.throws(
    () => loadMachine({ ...seed, remote_root: "rel/dir" }),
    /machine\.remote_root: expected an absolute directory .*got "rel\/dir"/,
  );
  assert.throws(
    () => loadMachine({ ...seed, remote_profile: undefined }),
    /machine\.remote_profile: missing/,
  );
  const warnings: string[] = [];
  loadMachine(profile({ totp_secert: "x" }), { onWarning: (w) => warnings.push(w) });
  assert.deepEqual(warnings, [
    'Unknown key machine.remote_profile.totp_secert (did you mean "totp_secret"?)',
  ]);
});

Deno.test("a dpdispatcher SGE submission loads, with pe_name and job_name from its kwargs", () => {
  for (const batch_type of ["SGE", "sge"]) {
    const { builder } = loadSubmission({
      work_base: "/w",
      machine: { batch_type, context_type: "LocalContext", local_root: ".", remote_root: "/r" },
      resources: {
        number_node: 1,
        cpu_per_node: 4,
        gpu_per_node: 0,
        queue_name: "all.q",
        group_size: 1,
        kwargs: { pe_name: "smp", job_name: "lammps" },
      },
      task_list: [{ command: "lmp", task_work_path: "t0" }],
    });
    assert.equal(builder.toPlan().target.scheduler, "sge");
    const script = builder.render()[0].script;
    assert.match(script, /^#\$ -pe smp 4$/m);
    assert.match(script, /^#\$ -q all\.q$/m);
    assert.match(script, /^#\$ -N lammps$/m);
    assert.match(script, /^#\$ -S \/bin\/bash$/m);
  }
});

Deno.test("dpdispatcher PBS and LSF machines load, in any case, with their dpdispatcher headers", () => {
  const resources = {
    number_node: 2,
    cpu_per_node: 4,
    gpu_per_node: 1,
    queue_name: "q",
    group_size: 1,
  };
  const render = (batch_type: string, kwargs = {}) =>
    loadSubmission({
      work_base: "/w",
      machine: { batch_type, context_type: "LazyLocalContext", local_root: "." },
      resources: { ...resources, kwargs },
      task_list: [{ command: "lmp", task_work_path: "t0" }],
    }).builder.render()[0].script;
  for (const t of ["PBS", "pbs"]) assert.match(render(t), /^#PBS -l select=2:ncpus=4:ngpus=1$/m);
  const lsfScript = render("LSF", { gpu_usage: true, gpu_new_syntax: true, gpu_exclusive: false });
  assert.match(lsfScript, /^#BSUB -n 8$/m);
  assert.match(lsfScript, /^#BSUB -R 'span\[ptile=4\]'$/m);
  assert.match(lsfScript, /^#BSUB -gpu 'num=1:mode=shared:j_exclusive=no'$/m);
  // Refused while loading, in the JSON's own key, for every batch type (Slurm dropped it silently).
  for (const t of ["LSF", "Slurm"]) {
    assert.throws(
      () => render(t, { custom_gpu_line: ["a", "b"] }),
      /^TypeError: Invalid resources\.kwargs\.custom_gpu_line: expected one header line \(a string\), got \["a","b"\]; put further lines in custom_flags$/,
    );
  }
});
