// The scheduler conformance suite over the built-in schedulers, with the captured outputs of
// src/executor/batch/slurm/slurm_test.ts and shell/shell_test.ts (Slurm 22.05 on the project's
// test cluster) and the golden Slurm header.
import { readFileSync } from "node:fs";
import { shellScheduler } from "../executor/batch/shell/shell.ts";
import { slurmJobArray, slurmScheduler } from "../executor/batch/slurm/slurm.ts";
import type { SubmitRequest } from "../executor/batch/scheduler.ts";
import type { ExecResult } from "../transports/transport.ts";
import { type SchedulerFixtures, testScheduler } from "./scheduler_suite.ts";

const GOLDEN = readFileSync(
  new URL("../executor/batch/slurm/testdata/slurm_header.sh", import.meta.url),
  "utf8",
);

const out = (stdout: string, exitCode: number | null = 0, stderr = ""): ExecResult => ({
  exitCode,
  stdout,
  stderr,
});
const req = (hash: string, attempt = 0): SubmitRequest => ({
  hash,
  name: `dpd-${hash}`,
  attempt,
  script: `/r/${hash}.sh`,
  attemptPrefix: `/r/${hash}.${attempt}`,
});
const lines = (...l: string[]) => l.join("\n") + "\n";

const SHELL: SchedulerFixtures = {
  headers: [
    { resources: { groupSize: 1 }, header: "#!/bin/bash" },
    {
      resources: { groupSize: 2, cpuPerNode: 4, queueName: "gpu", customFlags: ["# my flag"] },
      header: "#!/bin/bash\n# my flag\n",
    },
  ],
  submit: [{
    name: "a batch launched",
    input: [req("aaaa1111"), req("bbbb2222")],
    result: out("aaaa1111 1201\nbbbb2222 1202\n"),
    expect: ["ok:1201", "ok:1202"],
  }, {
    name: "a lock without a pid yet, an adopted .run pid, a stale lock relaunched",
    input: [req("cccc3333"), req("dddd4444"), req("eeee5555")],
    result: out("cccc3333 \ndddd4444 4242\neeee5555 1303\n"),
    expect: ["transient", "ok:4242", "ok:1303"],
  }, {
    name: "the launcher died before printing",
    input: [req("ffff6666")],
    result: out("", 1, "bash: fork: retry: Resource temporarily unavailable"),
    expect: ["transient"],
  }],
  status: [{
    name: "a recycled pid running another program is not the job",
    input: [{ id: "100", hash: "abcd" }, { id: "200", hash: "ef01" }],
    result: out("  100 S    bash /x/abcd.sh 0\n  200 S    /usr/bin/vim notes\n"),
    expect: { "100": { state: "running" }, "200": { state: "gone" } },
  }, {
    name: "a zombie is gone",
    input: [{ id: "100", hash: "abcd" }],
    result: out("100 Z [bash] <defunct> abcd\n"),
    expect: { "100": { state: "gone" } },
  }, {
    name: "ps exits 1 when no pid exists",
    input: [{ id: "100", hash: "abcd" }],
    result: out("", 1),
    expect: { "100": { state: "gone" } },
  }, {
    name: "ps fails",
    input: [{ id: "100", hash: "abcd" }],
    result: out("", 2, "ps: bad option"),
    expect: "throws",
  }],
  cancel: [
    { input: ["100", "200"], result: out(""), expect: true },
    { name: "bash killed", input: ["100"], result: out("", null), expect: false },
  ],
};

const SQUEUE_MAIN = lines(
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
);
const SLURM_STATUS: SchedulerFixtures["status"] = [{
  name: "squeue states, pending reasons and sacct outcomes",
  input: ["5", "10", "11", "12", "13", "99"].map((id) => ({ id, hash: `h${id}` })),
  result: out(SQUEUE_MAIN),
  expect: {
    "5": { state: "running" },
    "10": { state: "pending", reason: "waiting for resources" },
    "13": { state: "pending", reason: "the QOS limit on running jobs per user is reached" },
    "12": { state: "gone", failure: "timeout", reason: "TimeLimit" },
    "11": { state: "gone", failure: "oom" },
    "99": { state: "gone", failure: "cancelled" },
  },
}, {
  name: "accounting disabled",
  input: [{ id: "7", hash: "h" }],
  result: out(
    "--- squeue\n--- squeue rc 0\n--- sacct\nSlurm accounting storage is disabled\n--- sacct rc 1\n",
  ),
  expect: { "7": { state: "gone" } },
}, {
  name: "one purged id",
  input: [{ id: "1", hash: "h" }],
  result: out("--- squeue\nslurm_load_jobs error: Invalid job id specified\n--- squeue rc 1\n"),
  expect: { "1": { state: "gone" } },
}, {
  name: "array elements count for their array",
  input: [{ id: "40", hash: "x" }, { id: "41", hash: "y" }, { id: "42", hash: "z" }],
  result: out(
    "--- squeue\n40_0 COMPLETED None\n40_1 RUNNING None\n41_[2-3] PENDING Resources\n42_0 COMPLETED None\n42_1 OUT_OF_MEMORY None\n--- squeue rc 0\n",
  ),
  expect: {
    "40": { state: "running" },
    "41": { state: "pending", reason: "waiting for resources" },
    "42": { state: "gone", failure: "oom" },
  },
}, {
  name: "controller unreachable",
  input: [{ id: "1", hash: "h" }],
  result: out(
    "--- squeue\nslurm_load_jobs error: Unable to contact slurm controller (connect failure)\n--- squeue rc 1\n",
  ),
  expect: "throws",
}, {
  name: "cut off before squeue's exit code",
  input: [{ id: "1", hash: "h" }],
  result: out("--- squeue\n5 RUNNING None\n", null),
  expect: "throws",
}, {
  name: "no squeue answer at all",
  input: [{ id: "1", hash: "h" }],
  result: out("", 127, "bash: squeue: command not found"),
  expect: "throws",
}];

const LOOKUP_REQUESTS = [req("aaa", 1), req("bbb", 0)];
const SLURM_LOOKUP: NonNullable<SchedulerFixtures["lookup"]> = [{
  name: "found by name in squeue and sacct",
  input: LOOKUP_REQUESTS,
  result: out(
    "--- squeue\n4242 dpd-aaa-1\n--- squeue rc 0\n--- sacct\n4242|dpd-aaa-1\n17|dpd-other-0\n--- sacct rc 0\n",
  ),
  expect: { aaa: "4242" },
}, {
  name: "accounting disabled",
  input: LOOKUP_REQUESTS,
  result: out(
    "--- squeue\n--- squeue rc 0\n--- sacct\nSlurm accounting storage is disabled\n--- sacct rc 1\n",
  ),
  expect: {},
}, {
  name: "a pending array",
  input: [req("a")],
  result: out("--- squeue\n41_[2-3] dpd-a-0\n--- squeue rc 0\n--- sacct\n--- sacct rc 0\n"),
  expect: { a: "41" },
}, {
  name: "squeue cannot reach the controller",
  input: LOOKUP_REQUESTS,
  result: out(
    "--- squeue\nslurm_load_jobs error: Unable to contact slurm controller\n--- squeue rc 1\n--- sacct\n--- sacct rc 0\n",
  ),
  expect: "throws",
}, {
  name: "sacct fails otherwise",
  input: LOOKUP_REQUESTS,
  result: out(
    "--- squeue\n--- squeue rc 0\n--- sacct\nsacct: error: slurmdbd: Connection refused\n--- sacct rc 1\n",
  ),
  expect: "throws",
}];

const SLURM: SchedulerFixtures = {
  headers: [{
    resources: {
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
    },
    header: GOLDEN,
  }, {
    resources: { groupSize: 1, gpuPerNode: 1, kwargs: { customGpuLine: "#SBATCH --gpus=a100:1" } },
    header: "#!/bin/bash -l\n#SBATCH --nodes=1\n#SBATCH --ntasks-per-node=1\n#SBATCH --gpus=a100:1",
  }, {
    resources: { groupSize: 1 },
    header: "#!/bin/bash -l\n#SBATCH --nodes=1\n#SBATCH --ntasks-per-node=1",
  }],
  submit: [{
    name: "answers per job, errors classed",
    input: [req("a"), req("b"), req("c"), req("d")],
    result: out(
      "--- a\nsbatch: warning: something harmless\n1234\n\n--- a rc 0\n" +
        "--- b\nsbatch: error: Batch job submission failed: Unable to contact slurm controller (connect failure)\n\n--- b rc 1\n" +
        "--- c\nsbatch: error: QOSMaxSubmitJobPerUserLimit\n\n--- c rc 1\n" +
        "--- d\nsbatch: error: Batch job submission failed: Invalid partition name specified\n\n--- d rc 1\n",
    ),
    expect: ["ok:1234", "transient", "limit", "fatal"],
  }, {
    name: "an unknown answer is looked up, never failed",
    input: [req("a")],
    result: out("--- a\nsomething nobody has seen\n\n--- a rc 1\n"),
    expect: ["transient"],
  }, {
    name: "cut off after sbatch answered",
    input: [req("a"), req("b")],
    result: out("--- a\n77;cluster\n--- b\n", null),
    expect: ["ok:77", "transient"],
  }, {
    name: "sbatch's warning on stderr, the id after it; a refused partition",
    input: [req("warn"), req("fail")],
    result: out(
      "--- warn\nsbatch: warning: can't honor --ntasks-per-node set to 4\n4242;localcluster\n\n--- warn rc 0\n" +
        "--- fail\nsbatch: error: Batch job submission failed: Invalid partition name specified\n\n--- fail rc 1\n",
    ),
    expect: ["ok:4242", "fatal"],
  }],
  status: SLURM_STATUS,
  cancel: [
    { input: ["1", "2"], result: out(""), expect: true },
    {
      name: "already ended",
      input: ["5"],
      result: out("", 1, "scancel: error: Kill job error on job id 5: Invalid job id specified"),
      expect: true,
    },
    {
      name: "completing",
      input: ["5"],
      result: out(
        "",
        1,
        "scancel: error: Kill job error on job id 5: Job/step already completing or completed",
      ),
      expect: true,
    },
    {
      name: "controller unreachable",
      input: ["5"],
      result: out("", 1, "scancel: error: Unable to contact slurm controller (connect failure)"),
      expect: false,
    },
  ],
  lookup: SLURM_LOOKUP,
  jobId: "SLURM_JOB_ID",
};

Deno.test("shellScheduler passes the scheduler conformance steps", async (t) => {
  await testScheduler(t, shellScheduler, SHELL);
});

Deno.test("slurmScheduler passes the scheduler conformance steps", async (t) => {
  await testScheduler(t, slurmScheduler, SLURM);
});

Deno.test("slurmJobArray's scheduler passes the scheduler conformance steps", async (t) => {
  const array = slurmJobArray(undefined, { throttle: 2 }).scheduler;
  await testScheduler(t, array, {
    ...SLURM,
    array: {
      index: "SLURM_ARRAY_TASK_ID",
      base: 0,
      resources: { groupSize: 5, kwargs: { slurmJobSize: 2 } },
    },
  });
});
