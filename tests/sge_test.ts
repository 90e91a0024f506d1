// Real Son of Grid Engine (scripts/start_sge.sh): qmaster and execd on localhost, queue all.q.
import assert from "node:assert/strict";
import { local, sge } from "../mod.ts";
import { crashRerun, failureClasses, manyTasks } from "./_batch_cases.ts";
import { tempDir, waitFor } from "./_helpers.ts";
import { dpdisp } from "./_cli.ts";
import { qacctRecords, sgeCommand, sgeEnv } from "./_sge.ts";

const env = sgeEnv();
const ignore = env === undefined;

const target = (remoteRoot: string) => sge(local({ remoteRoot }));

Deno.test(
  { name: "sge: 100 one-line tasks complete with every result", ignore },
  () => manyTasks(target, { count: 100, groupSize: 4, queueName: "all.q" }),
);

Deno.test({
  name: "sge: a failing task, a job killed by h_rt and a cancelled job are each reported as such",
  ignore,
}, () =>
  failureClasses(target, (id) => {
    sgeCommand(["qdel", id]); // someone else deletes it
  }, { walltime: "8s", queueName: "all.q" }));

Deno.test({
  name: "sge: kill -9 right after qsub returns, then a rerun submits no job name twice",
  ignore,
}, async () => {
  const names = await crashRerun("sge");
  await waitFor(() => qacctRecords(names).length >= names.length, 30_000, "qacct to list them");
  const records = qacctRecords(names);
  for (const name of names) {
    assert.equal(records.filter((r) => r.jobname === name).length, 1, `${name} ran once`);
  }
});

Deno.test({
  name:
    "sge: dpdisp submit runs a dpdispatcher SGE submission (LocalContext), dpdisp render shows it",
  ignore,
}, async () => {
  const dir = await tempDir();
  for (const i of [0, 1, 2]) {
    await Deno.mkdir(`${dir}/work/t${i}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/work/t${i}/in.txt`, `in ${i}`);
  }
  const file = `${dir}/sub.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      work_base: `${dir}/work`,
      machine: {
        batch_type: "SGE",
        context_type: "LocalContext",
        local_root: dir,
        remote_root: `${dir}/remote`,
      },
      resources: {
        number_node: 1,
        cpu_per_node: 1,
        gpu_per_node: 0,
        queue_name: "all.q",
        group_size: 2,
        kwargs: { pe_name: "smp" },
      },
      task_list: [0, 1, 2].map((i) => ({
        command: "cat in.txt > out.txt",
        task_work_path: `t${i}`,
        forward_files: ["in.txt"],
        backward_files: ["out.txt"],
      })),
    }),
  );
  await Deno.mkdir(`${dir}/remote`);
  const rendered = await dpdisp("render", file);
  assert.equal(rendered.code, 0, rendered.stderr);
  assert.match(rendered.stdout, /#\$ -pe smp 1/);
  const run = await dpdisp("submit", file);
  assert.equal(run.code, 0, run.stderr);
  assert.match(run.stdout, /all 2 jobs finished, 3\/3 tasks done/);
  for (const i of [0, 1, 2]) {
    assert.equal(await Deno.readTextFile(`${dir}/work/t${i}/out.txt`), `in ${i}`);
  }
});
