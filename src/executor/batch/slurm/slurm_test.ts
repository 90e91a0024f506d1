import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { dispatch } from "../../../api/dispatch.ts";
import { task } from "../../../plan/task.ts";
import type { SubmitRequest } from "../scheduler.ts";
import { slurm, slurmJobArray, slurmScheduler as s } from "./slurm.ts";
import { resources } from "../../../plan/resources.ts";

const GOLDEN = new URL("./testdata/slurm_header.sh", import.meta.url);

Deno.test("the Slurm header renders every resources field", () => {
  const [job] = dispatch({ workBase: "/w" }).on(slurm()).with({
    groupSize: 1,
    numberNode: 2,
    cpuPerNode: 8,
    gpuPerNode: 2,
    queueName: "gpu",
    walltime: "1h30m",
    memory: "4G",
    account: "chem",
    qos: "high",
    customFlags: ["#SBATCH --nice=100"],
  }).tasks(task({ command: "lmp", taskWorkPath: "t" })).render();
  const header = job.script.slice(0, job.script.indexOf("\n\n"));
  if (Deno.env.get("UPDATE_GOLDEN")) writeFileSync(GOLDEN, header + "\n");
  assert.equal(header + "\n", readFileSync(GOLDEN, "utf8"));
  const custom = dispatch({ workBase: "/w" }).on(slurm())
    .with({ groupSize: 1, gpuPerNode: 1, kwargs: { customGpuLine: "#SBATCH --gpus=a100:1" } })
    .tasks(task({ command: "x", taskWorkPath: "t" })).render()[0].script;
  assert.match(custom, /#SBATCH --gpus=a100:1\n/);
  assert.doesNotMatch(custom, /--gres/);
  const plain = dispatch({ workBase: "/w" }).on(slurm()).with({ groupSize: 1 })
    .tasks(task({ command: "x", taskWorkPath: "t" })).render()[0].script;
  assert.doesNotMatch(plain, /--gres|--partition|--time|--mem|--account|--qos/);
});

const req = (hash: string, attempt = 0): SubmitRequest => ({
  hash,
  name: `dpd-${hash}`,
  attempt,
  script: `/r/${hash}.sh`,
  attemptPrefix: `/r/${hash}.${attempt}`,
});

Deno.test("sbatch answers are parsed per job and errors are classed", () => {
  const requests = [req("a"), req("b"), req("c"), req("d")];
  const out = s.parseSubmit({
    exitCode: 0,
    stdout: "--- a\nsbatch: warning: something harmless\n1234\n\n--- a rc 0\n" +
      "--- b\nsbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)\n\n--- b rc 1\n" +
      "--- c\nsbatch: error: QOSMaxSubmitJobPerUserLimit\n\n--- c rc 1\n" +
      "--- d\nsbatch: error: Batch job submission failed: Invalid partition name specified\n\n--- d rc 1\n",
    stderr: "",
  }, requests);
  assert.deepEqual(out[0], { ok: true, id: "1234" });
  assert.equal(out[1].ok === false && out[1].kind, "transient");
  assert.equal(out[2].ok === false && out[2].kind, "limit");
  assert.equal(out[3].ok === false && out[3].kind, "fatal");
  const odd = s.parseSubmit({
    exitCode: 0,
    stdout: "--- a\nsomething nobody has seen\n\n--- a rc 1\n",
    stderr: "",
  }, [req("a")]);
  assert.equal(
    odd[0].ok === false && odd[0].kind,
    "transient",
    "unknown answers are looked up, never failed",
  );
  assert.match(out[3].ok === false ? out[3].error : "", /Invalid partition name/);
  // Cut off after sbatch answered (no exit line): the id still counts; nothing at all does not.
  const cut = s.parseSubmit({ exitCode: null, stdout: "--- a\n77;cluster\n--- b\n", stderr: "" }, [
    req("a"),
    req("b"),
  ]);
  assert.deepEqual(cut[0], { ok: true, id: "77" });
  assert.equal(cut[1].ok, false);
  const argv = s.submitArgv([req("a", 2)]);
  assert.match(argv[2], /dpd_sbatch a dpd-a-2 2 \/r\/a\.2 \/r\/a\.sh/);
});

// Outputs as printed by Slurm 22.05 on the project's test cluster (scripts/SLURM_NOTES.md).
Deno.test("status reads squeue states, pending reasons and sacct outcomes", () => {
  const jobs = ["5", "10", "11", "12", "13", "99"].map((id) => ({ id, hash: `h${id}` }));
  const stdout = [
    "--- squeue",
    "5 RUNNING None",
    "10 PENDING Resources",
    "13 PENDING QOSMaxJobsPerUserLimit",
    "12 TIMEOUT TimeLimit",
    "--- squeue rc 0",
    "--- sacct",
    "11|OUT_OF_MEMORY|0:125",
    "99|CANCELLED by 0|0:0",
    "--- sacct rc 0",
  ].join("\n");
  const st = s.parseStatus({ exitCode: 0, stdout, stderr: "" }, jobs);
  assert.deepEqual(st.get("5"), { state: "running" });
  assert.deepEqual(st.get("10"), { state: "pending", reason: "waiting for resources" });
  assert.deepEqual(st.get("13"), {
    state: "pending",
    reason: "the QOS limit on running jobs per user is reached",
  });
  assert.equal(st.get("12")?.failure, "timeout");
  assert.equal(st.get("11")?.failure, "oom");
  assert.equal(st.get("99")?.failure, "cancelled");
  // Accounting disabled: sacct fails, the job is simply gone and the end files decide.
  const noAcct = s.parseStatus({
    exitCode: 0,
    stdout:
      "--- squeue\n--- squeue rc 0\n--- sacct\nSlurm accounting storage is disabled\n--- sacct rc 1\n",
    stderr: "",
  }, [{ id: "7", hash: "h" }]);
  assert.deepEqual(noAcct.get("7"), { state: "gone" });
  // One purged id: squeue errors but that only means "not listed".
  const purged = s.parseStatus({
    exitCode: 0,
    stdout: "--- squeue\nslurm_load_jobs error: Invalid job id specified\n--- squeue rc 1\n",
    stderr: "",
  }, [{ id: "1", hash: "h" }]);
  assert.equal(purged.get("1")?.state, "gone");
  assert.throws(
    () =>
      s.parseStatus({
        exitCode: 0,
        stdout:
          "--- squeue\nslurm_load_jobs error: Unable to contact slurm controller (connect failure)\n--- squeue rc 1\n",
        stderr: "",
      }, [{ id: "1", hash: "h" }]),
    /squeue exited with code 1: .*Unable to contact/,
  );
});

Deno.test("lookup finds attempts by their stable names", () => {
  const requests = [req("aaa", 1), req("bbb", 0)];
  const argv = s.lookupArgv!(requests);
  assert.match(argv[2], /--name=dpd-aaa-1,dpd-bbb-0/);
  const found = s.parseLookup!({
    exitCode: 0,
    stdout:
      "--- squeue\n4242 dpd-aaa-1\n--- squeue rc 0\n--- sacct\n4242|dpd-aaa-1\n17|dpd-other-0\n--- sacct rc 0\n",
    stderr: "",
  }, requests);
  assert.deepEqual([...found], [["aaa", "4242"]]);
  // Fails closed: an unreadable queue must never read as "not submitted".
  assert.throws(() =>
    s.parseLookup!({
      exitCode: 0,
      stdout:
        "--- squeue\nslurm_load_jobs error: Unable to contact slurm controller\n--- squeue rc 1\n--- sacct\n--- sacct rc 0\n",
      stderr: "",
    }, requests), /Cannot look up submitted jobs with squeue/);
  const noAcct = s.parseLookup!({
    exitCode: 0,
    stdout:
      "--- squeue\n--- squeue rc 0\n--- sacct\nSlurm accounting storage is disabled\n--- sacct rc 1\n",
    stderr: "",
  }, requests);
  assert.equal(noAcct.size, 0);
  assert.deepEqual(s.cancelArgv(["1", "2"]), ["scancel", "1", "2"]);
});

Deno.test("job arrays: one script with a case per element, --array of the unfinished elements, states aggregated", () => {
  const target = slurmJobArray(undefined, { throttle: 2 });
  const tasks = Array.from(
    { length: 5 },
    (_, i) => task({ command: `run ${i}`, taskWorkPath: `t${i}` }),
  );
  const [job] = dispatch({ workBase: "/w" }).on(target).with({
    groupSize: 5,
    kwargs: { slurmJobSize: 2 },
  }).tasks(tasks).render();
  // The script names its own elements (submitted by hand it runs them all); sbatch's --array wins.
  assert.match(job.script, /^#SBATCH --array=0-2%2$/m);
  assert.match(job.script, /dpd_element="\$\{SLURM_ARRAY_TASK_ID:-0\}"/);
  assert.match(job.script, /dpd_prefix=.*\."\$dpd_attempt"\."\$dpd_element"/);
  assert.equal(job.script.match(/^ {2}\d\)$/gm)?.length, 3, "three elements of at most two tasks");
  assert.equal(
    target.scheduler.arrayChunk!(resources({ groupSize: 1, kwargs: { slurm_job_size: 3 } })),
    3,
  );
  const argv = target.scheduler.submitArgv([{ ...req("a"), elements: [0, 2] }]);
  assert.match(argv[2], /dpd_sbatch a dpd-a-0 0 \/r\/a\.0 \/r\/a\.sh 0,2%2$/m);
  const st = target.scheduler.parseStatus({
    exitCode: 0,
    stdout:
      "--- squeue\n40_0 COMPLETED None\n40_1 RUNNING None\n41_[2-3] PENDING Resources\n42_0 COMPLETED None\n42_1 OUT_OF_MEMORY None\n--- squeue rc 0\n",
    stderr: "",
  }, [{ id: "40", hash: "x" }, { id: "41", hash: "y" }, { id: "42", hash: "z" }]);
  assert.equal(st.get("40")?.state, "running");
  assert.deepEqual(st.get("41"), { state: "pending", reason: "waiting for resources" });
  assert.deepEqual(st.get("42"), { state: "gone", failure: "oom", reason: undefined });
  const found = target.scheduler.parseLookup!({
    exitCode: 0,
    stdout: "--- squeue\n41_[2-3] dpd-a-0\n--- squeue rc 0\n--- sacct\n--- sacct rc 0\n",
    stderr: "",
  }, [req("a")]);
  assert.equal(found.get("a"), "41");
  assert.throws(() => slurmJobArray(undefined, { throttle: 0 }), /Invalid slurmJobArray\.throttle/);
});

Deno.test("a header template file replaces the header, filled from the resources", async () => {
  const dir = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${dir}/header.sh`,
    "#!/bin/bash -l\n#SBATCH -N {number_node} --ntasks-per-node={cpuPerNode}\n#SBATCH -p {queue_name} -t {walltime}\n# {{literal}} {unknown}\n",
  );
  const res = resources({
    groupSize: 1,
    cpuPerNode: 4,
    queueName: "gpu",
    walltime: "2h",
    strategy: { customizedScriptHeaderTemplateFile: `${dir}/header.sh` },
  });
  const [job] = dispatch({ workBase: "/w" }).on(slurm()).with(res).tasks(
    task({ command: "x", taskWorkPath: "t" }),
  ).render();
  assert.ok(
    job.script.startsWith(
      "#!/bin/bash -l\n#SBATCH -N 1 --ntasks-per-node=4\n#SBATCH -p gpu -t 02:00:00\n# {literal} {unknown}\n",
    ),
  );
  assert.doesNotMatch(job.script, /#SBATCH --nodes/);
  // Read once, at the boundary: a missing file is refused there, naming the field.
  assert.throws(
    () =>
      resources({
        groupSize: 1,
        strategy: { customizedScriptHeaderTemplateFile: `${dir}/nope.sh` },
      }),
    /customizedScriptHeaderTemplateFile: cannot read ".*nope\.sh"/,
  );
  // Its text, not its path, is the job's identity: a moved copy is the same job; an edit is not.
  const plan = (file: string) =>
    dispatch({ workBase: "/w" }).on(slurm()).with({
      groupSize: 1,
      strategy: { customizedScriptHeaderTemplateFile: file },
    }).tasks(task({ command: "x", taskWorkPath: "t" })).toPlan();
  await Deno.copyFile(`${dir}/header.sh`, `${dir}/moved.sh`);
  assert.equal(plan(`${dir}/moved.sh`).runId, plan(`${dir}/header.sh`).runId);
  await Deno.writeTextFile(`${dir}/moved.sh`, "#!/bin/bash\n#SBATCH -N 2\n");
  assert.notEqual(plan(`${dir}/moved.sh`).runId, plan(`${dir}/header.sh`).runId);
});

Deno.test("the submit script reads the job id past sbatch warnings and reports refusals", async () => {
  // A stand-in for sbatch printing what the real one prints: a warning on stderr, then the id.
  const bin = await Deno.makeTempDir();
  await Deno.writeTextFile(
    `${bin}/sbatch`,
    `#!/bin/bash
case "$*" in
  *dpd-warn*) echo "sbatch: warning: can't honor --ntasks-per-node set to 4" >&2; echo "4242;localcluster";;
  *dpd-fail*) echo "sbatch: error: Batch job submission failed: Invalid partition name specified" >&2; exit 1;;
esac
`,
  );
  await Deno.chmod(`${bin}/sbatch`, 0o755);
  const requests = [req("warn"), req("fail")].map((r) => ({ ...r, name: `dpd-${r.hash}` }));
  const argv = s.submitArgv(requests);
  const run = new Deno.Command(argv[0], {
    args: argv.slice(1) as string[],
    env: { PATH: `${bin}:${Deno.env.get("PATH")}` },
  }).outputSync();
  const out = s.parseSubmit({
    exitCode: run.code,
    stdout: new TextDecoder().decode(run.stdout),
    stderr: "",
  }, requests);
  assert.deepEqual(out[0], { ok: true, id: "4242" });
  assert.equal(out[1].ok === false && out[1].kind, "fatal");
  assert.match(out[1].ok === false ? out[1].error : "", /Invalid partition name specified/);
});
