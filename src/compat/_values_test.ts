import assert from "node:assert/strict";
import { loadMachine, loadResources, loadSubmission } from "./load.ts";

Deno.test("resources.batch_type is known, picks the kwargs checked, and a wrong one is refused", () => {
  const warnings: string[] = [];
  const onWarning = (w: string) => warnings.push(w);
  loadResources(
    { group_size: 1, batch_type: "Slurm", kwargs: { custom_gpu_line: "#SBATCH -G 1" } },
    {
      strict: true,
    },
  );
  loadResources(
    { group_size: 1, batch_type: "SGE", kwargs: { sge_pe_name: "smp", gpu_usage: 1 } },
    {
      onWarning,
    },
  );
  loadResources({ group_size: 1, kwargs: { custom_gpu_lin: "x", qos: "q" } }, { onWarning });
  assert.deepEqual(warnings, [
    "Unknown key resources.kwargs.gpu_usage",
    'Unknown key resources.kwargs.custom_gpu_lin (did you mean "custom_gpu_line"?)',
    "Unknown key resources.kwargs.qos",
  ]);
  assert.throws(
    () => loadResources({ group_size: 1, batch_type: "Slrum" }),
    /^TypeError: Invalid resources\.batch_type: .*got "Slrum" \(did you mean "Slurm"\?\)$/,
  );
  // A header template reading {kwargs[qos]} uses it; sge_pe_name is pe_name.
  const dir = Deno.makeTempDirSync();
  Deno.writeTextFileSync(`${dir}/t.slurm`, "#SBATCH --qos={kwargs[qos]}\n");
  const r = loadResources({
    group_size: 1,
    strategy: { customized_script_header_template_file: `${dir}/t.slurm` },
    kwargs: { qos: "short", sge_pe_name: "smp" },
  }, { strict: true });
  assert.deepEqual(r.kwargs, { qos: "short", peName: "smp" });
  const { builder } = loadSubmission({
    work_base: "/w",
    machine: { batch_type: "SGE", context_type: "LazyLocal", local_root: "." },
    resources: { group_size: 1, kwargs: { sge_pe_name: "smp" } },
    task_list: [{ command: "x", task_work_path: "t" }],
  }, { strict: true });
  assert.match(builder.render()[0].script, /^#\$ -pe smp 1$/m);
});

Deno.test("values get a did-you-mean, and cpu_per_node 0 says why for the batch type", () => {
  assert.throws(
    () => loadMachine({ batch_type: "PBS", context_type: "lazy_local", local_root: "." }),
    /context_type: .*got "lazy_local" \(did you mean "LazyLocal"\?\)$/,
  );
  assert.throws(
    () => loadMachine({ batch_type: "Slrum", context_type: "LazyLocal", local_root: "." }),
    /batch_type: .*got "Slrum" \(did you mean "Slurm"\?\)$/,
  );
  const submit = (batch_type: string) =>
    loadSubmission({
      work_base: "/w",
      machine: { batch_type, context_type: "LazyLocal", local_root: "." },
      resources: { group_size: 1, cpu_per_node: 0 },
      task_list: [{ command: "x", task_work_path: "t" }],
    });
  for (
    const [t, why] of [
      ["LSF", /got 0 \(LSF: bsub -n needs at least one task, .*"#BSUB -n 0"\)$/],
      ["slurm", /got 0 \(Slurm: sbatch refuses "--ntasks-per-node 0"\)$/],
      ["SGE", /got 0 \(SGE: qsub refuses "-pe mpi 0"/],
      ["Shell", /got 0 \(Shell: /],
    ] as const
  ) {
    assert.throws(() => submit(t), (e: Error) => {
      assert.match(e.message, /^Invalid resources\.cpu_per_node: expected an integer >= 1, got 0/);
      assert.match(e.message, why);
      return true;
    });
  }
  const warnings: string[] = [];
  loadMachine({
    batch_type: "Shell",
    context_type: "LocalContext",
    local_root: ".",
    remote_root: "/r",
    remote_profile: { symlink: false, symlnk: true },
  }, { onWarning: (w) => warnings.push(w) });
  assert.deepEqual(warnings, [
    'Unknown key machine.remote_profile.symlnk (did you mean "symlink"?)',
  ]);
});
