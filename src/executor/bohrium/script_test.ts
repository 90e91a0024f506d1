import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { dispatch, task } from "../../../mod.ts";
import { parseEndFile } from "../../shell/end_file.ts";
import { attemptCommand, endFileOf, outFilesOf, renderCloudJobs } from "./script.ts";

Deno.test("the job script runs where the archive was unpacked and leaves codes and the end file", async () => {
  const plan = dispatch({ workBase: "/nowhere" }).with({ groupSize: 2 }).tasks(
    task({ command: "echo ok > out.txt", taskWorkPath: "t0", backwardFiles: ["out.txt"] }),
    task({ command: "echo bad >&2; exit 4", taskWorkPath: "t 1" }),
  ).toPlan();
  const [job] = renderCloudJobs(plan);
  assert.equal(job.path, `.dpdispatcher/${plan.runId}/${plan.jobs[0].hash}.sh`);
  assert.ok(!job.script.includes("/nowhere"), "the script names the local work base");
  const dir = await Deno.makeTempDir();
  await Deno.mkdir(`${dir}/.dpdispatcher/${plan.runId}`, { recursive: true });
  await Deno.writeTextFile(`${dir}/${job.path}`, job.script);
  const cmd = attemptCommand(plan.runId, plan.jobs[0].hash, 1);
  const r = spawnSync("bash", ["-c", cmd], { cwd: dir, encoding: "utf8" });
  assert.equal(r.status, 1, r.stderr);
  const end = parseEndFile(
    await Deno.readTextFile(`${dir}/${endFileOf(plan.runId, plan.jobs[0].hash, 1)}`),
  );
  assert.deepEqual(end?.codes, { [plan.tasks[0].hash]: 0, [plan.tasks[1].hash]: 4 });
  assert.match(end?.stderrTail ?? "", /bad/);
  assert.equal(await Deno.readTextFile(`${dir}/t0/out.txt`), "ok\n");
  const out = outFilesOf(plan, plan.jobs[0], 1);
  for (const f of out) {
    if (f.endsWith("/err") && f.startsWith("t0")) continue; // t0 wrote no stderr
    assert.ok(await Deno.stat(`${dir}/${f}`).then(() => true, () => false), `${f} is missing`);
  }
  await Deno.remove(dir, { recursive: true });
});
