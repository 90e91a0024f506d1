// dpdispatcher's own resources examples (examples/resources/expanse_cpu.json, mandu.json) carry
// `"source_list": ["activate /home/.../deepmd-kit"]`: a conda-style `activate` found on PATH,
// given the environment as its argument. Here such submissions run on the real Slurm, and a
// job-array script rendered by us runs every element when submitted by hand with plain sbatch.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { dispatch, slurmJobArray, task } from "../mod.ts";
import { loadSubmission } from "../src/compat/mod.ts";
import { tempDir, waitFor } from "./_helpers.ts";
import { skipSlurm } from "./_slurm.ts";

const ignore = skipSlurm();

/**
 * A conda-like install: `<root>/conda/bin/activate ENV` (it insists on exactly one argument,
 * exports CONDA_PREFIX and puts ENV/bin first on PATH) and an environment `<root>/deepmd-kit`
 * whose `bin/dp` prints where it ran from. The jobs' login profile puts conda/bin on PATH, as
 * `conda init` does: Slurm starts job scripts with `bash -l`, and /etc/profile resets PATH.
 */
async function condaLike(root: string): Promise<{ env: string; cleanup: () => Promise<void> }> {
  const env = `${root}/deepmd-kit`;
  await Deno.mkdir(`${root}/conda/bin`, { recursive: true });
  await Deno.mkdir(`${env}/bin`, { recursive: true });
  await Deno.writeTextFile(
    `${root}/conda/bin/activate`,
    [
      'if [ "$#" != 1 ]; then echo "activate: expected one environment, got $# arguments" >&2; return 2; fi',
      'export CONDA_PREFIX="$1"',
      'export PATH="$1/bin:$PATH"',
      "",
    ].join("\n"),
  );
  await Deno.writeTextFile(`${env}/bin/dp`, '#!/bin/sh\necho "dp from $CONDA_PREFIX"\n');
  await Deno.chmod(`${env}/bin/dp`, 0o755);
  const profile = `${Deno.env.get("HOME")}/.bash_profile`;
  const line = `[ -d '${root}/conda/bin' ] && PATH='${root}/conda/bin':"$PATH"\n`;
  await Deno.writeTextFile(profile, line, { append: true });
  return {
    env,
    cleanup: async () => {
      const text = await Deno.readTextFile(profile);
      await Deno.writeTextFile(profile, text.replace(line, ""));
    },
  };
}

for (const batchType of ["Slurm", "SlurmJobArray"]) {
  Deno.test({
    name: `${batchType}: expanse_cpu.json-style source_list "activate <env>" prepares every task`,
    ignore,
  }, async () => {
    const root = await tempDir();
    const { env, cleanup } = await condaLike(root);
    try {
      await Deno.mkdir(`${root}/work`);
      const { builder } = loadSubmission({
        work_base: "work/",
        machine: {
          batch_type: batchType,
          context_type: "LocalContext",
          local_root: root,
          remote_root: `${root}/remote`,
        },
        resources: {
          number_node: 1,
          cpu_per_node: 1,
          gpu_per_node: 0,
          queue_name: "debug",
          group_size: 3,
          custom_flags: ["#SBATCH --time=00:05:00"],
          source_list: [`activate ${env}`],
          envs: { OMP_NUM_THREADS: 4, DP_AUTO_PARALLELIZATION: 1 },
        },
        task_list: [0, 1, 2].map((i) => ({
          command: `dp > out.txt && [ "$OMP_NUM_THREADS" = 4 ] && command -v dp >> out.txt`,
          task_work_path: `task${i}/`,
          forward_files: [],
          backward_files: ["out.txt"],
        })),
      });
      const script = builder.render()[0].script;
      assert.match(script, new RegExp(`^source activate ${env}$`, "m"));
      const report = await builder.run({ retryCount: 0, throwOnFailure: false });
      assert.ok(report.ok, report.jobs.map((j) => j.reason).join("; "));
      for (const i of [0, 1, 2]) {
        assert.equal(
          await Deno.readTextFile(`${root}/work/task${i}/out.txt`),
          `dp from ${env}\n${env}/bin/dp\n`,
          `task ${i} ran in the activated environment`,
        );
      }
    } finally {
      await cleanup();
    }
  });
}

Deno.test({
  name:
    "slurm job array: the rendered script, submitted by hand with plain sbatch, runs every element",
  ignore,
}, async () => {
  const base = await tempDir();
  const builder = dispatch({ workBase: base }).on(slurmJobArray())
    .with({ groupSize: 5, walltime: "5m", kwargs: { slurmJobSize: 2 } })
    .tasks(
      [0, 1, 2, 3, 4].map((i) =>
        task({ command: `echo "element $SLURM_ARRAY_TASK_ID" > out.txt`, taskWorkPath: `t${i}` })
      ),
    );
  const [job] = builder.render();
  assert.match(job.script, /^#SBATCH --array=0-2$/m, "three elements of at most two tasks");
  await Deno.mkdir(job.path.slice(0, job.path.lastIndexOf("/")), { recursive: true });
  await Deno.writeTextFile(job.path, job.script);
  // No --array on the command line: the script's own directive makes it an array of three.
  const id = execFileSync("sbatch", ["--parsable", "--wait", "--chdir", base, job.path], {
    cwd: base,
    encoding: "utf8",
  }).trim().split(";")[0];
  const elements = () =>
    execFileSync("sacct", ["-X", "-P", "-n", "-o", "JobID", "-j", id], { encoding: "utf8" })
      .trim().split("\n").sort();
  // Accounting lags the job: wait for its elements' rows (at first it lists the bare id).
  await waitFor(() => elements().every((e) => e.startsWith(`${id}_`)), 20_000, "sacct rows");
  assert.deepEqual(elements(), [`${id}_0`, `${id}_1`, `${id}_2`]);
  const plan = builder.toPlan();
  const seen = new Set<string>();
  for (const t of plan.tasks) {
    seen.add(await Deno.readTextFile(`${base}/${t.taskWorkPath}/out.txt`));
  }
  assert.deepEqual([...seen].sort(), ["element 0\n", "element 1\n", "element 2\n"]);
});
