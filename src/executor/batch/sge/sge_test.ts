// The SGE scheduler against the conformance suite, with Son of Grid Engine 8.1.9's outputs from
// testdata/ (see its README.md for which are verbatim), and the header against dpdispatcher's.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { dispatch } from "../../../api/dispatch.ts";
import { resources, type ResourcesInput } from "../../../plan/resources.ts";
import { task } from "../../../plan/task.ts";
import { jobs, marked, out, req, submitted, testdata } from "../_fixtures.ts";
import { type SchedulerFixtures, testScheduler } from "../../../testing/scheduler_suite.ts";
import { sge, sgeJobArray, sgeScheduler as s } from "./sge.ts";

const GOLDEN = new URL("./testdata/sge_header.sh", import.meta.url);
const data = testdata(import.meta.url);

const GOLDEN_RESOURCES: ResourcesInput = {
  groupSize: 1,
  numberNode: 2,
  cpuPerNode: 8,
  gpuPerNode: 2,
  queueName: "all.q",
  walltime: "1h30m",
  memory: "4G",
  account: "chem",
  qos: "high",
  customFlags: ["#$ -l gpu=2"],
  kwargs: { pe_name: "smp", job_name: "lammps" },
};

// dpdispatcher's SGE.gen_script_header (machines/pbs.py at e23bb8c), line by line.
function dpdispatcherHeader(r: ResourcesInput): string[] {
  const kw = (r.kwargs ?? {}) as Record<string, string>;
  return [
    "#!/bin/bash",
    "#$ -S /bin/bash",
    "#$ -cwd",
    `#$ -N ${kw.job_name ?? "wDPjob"}`,
    `#$ -pe ${kw.pe_name ?? "mpi"} ${r.cpuPerNode ?? 1}`,
    ...(r.queueName ? [`#$ -q ${r.queueName}`] : []),
  ];
}

const HEADERS: SchedulerFixtures["headers"] = [
  { resources: GOLDEN_RESOURCES, header: readFileSync(GOLDEN, "utf8") },
  {
    resources: { groupSize: 1 },
    header: "#!/bin/bash\n#$ -S /bin/bash\n#$ -cwd\n#$ -N dpd-0123456789ab\n#$ -pe mpi 1",
  },
  {
    resources: { groupSize: 1, cpuPerNode: 4, kwargs: { sge_pe_name: "orte" }, jobName: "md" },
    header: "#!/bin/bash\n#$ -S /bin/bash\n#$ -cwd\n#$ -N md\n#$ -pe orte 4",
  },
];

Deno.test("the SGE header writes every directive dpdispatcher writes, and the typed extras", () => {
  const [job] = dispatch({ workBase: "/w" }).on(sge()).with(GOLDEN_RESOURCES)
    .tasks(task({ command: "lmp", taskWorkPath: "t" })).render();
  const header = job.script.slice(0, job.script.indexOf("\n\n"));
  if (Deno.env.get("UPDATE_GOLDEN")) writeFileSync(GOLDEN, header + "\n");
  assert.equal(header + "\n", readFileSync(GOLDEN, "utf8"));
  // resources -> what dpdispatcher writes (in order, before our lines) and what we add.
  const table: [ResourcesInput, string[]][] = [
    [{ groupSize: 1, kwargs: { job_name: "x" } }, []],
    [
      {
        groupSize: 1,
        cpuPerNode: 4,
        queueName: "all.q",
        kwargs: { pe_name: "smp", job_name: "x" },
      },
      [],
    ],
    [{ groupSize: 1, walltime: 90, kwargs: { job_name: "x" } }, ["#$ -l h_rt=00:01:30"]],
    [{ groupSize: 1, memory: "512M", kwargs: { job_name: "x" } }, ["#$ -l h_vmem=512M"]],
    [{ groupSize: 1, account: "proj-7", kwargs: { job_name: "x" } }, ["#$ -A proj-7"]],
    // No node count, GPU or QOS directive: SGE has none (dpdispatcher writes none either).
    [{ groupSize: 1, numberNode: 3, gpuPerNode: 1, qos: "high", kwargs: { job_name: "x" } }, []],
  ];
  for (const [input, extra] of table) {
    const lines = s.header({
      hash: "h",
      name: "dpd-h",
      runId: "r",
      tasks: [],
      resources: resources(input),
      runRoot: "/r",
      jobsDir: "/r/j",
      env: {},
    }).split("\n");
    assert.deepEqual(lines, [...dpdispatcherHeader(input), ...extra], JSON.stringify(input));
  }
  const named = (kwargs: ResourcesInput["kwargs"]) =>
    dispatch({ workBase: "/w" }).on(sge()).with({ groupSize: 1, kwargs })
      .tasks(task({ command: "x", taskWorkPath: "t" })).render()[0].script;
  assert.match(named({ peName: "smp" }), /^#\$ -pe smp 1$/m);
  assert.match(named({}), /^#\$ -N dpd-[0-9a-f]{12}$/m, "the stable name by default");
  assert.throws(() => named({ pe_name: 4 }), /Invalid resources\.kwargs\.pe_name: expected/);
});

const SUBMIT: SchedulerFixtures["submit"] = [{
  name: "a job and an array job accepted; a refused queue, PE and resource; a missing script",
  input: ["a", "b", "c", "d", "e", "f"].map((h) => req(h)),
  result: out(
    submitted("a", data("qsub_terse.txt")) + submitted("b", data("qsub_terse_array.txt")) +
      submitted("c", data("qsub_unknown_queue.txt"), 1) +
      submitted("d", data("qsub_unknown_pe.txt"), 1) +
      submitted("e", data("qsub_unknown_resource.txt"), 1) +
      submitted("f", data("qsub_missing_script.txt"), 14),
  ),
  expect: ["ok:5", "ok:4", "fatal", "fatal", "fatal", "fatal"],
}, {
  name: "qmaster unreachable; the per-user job limit; an unknown answer",
  input: [req("a"), req("b"), req("c")],
  result: out(
    submitted("a", data("qsub_qmaster_unreachable.txt"), 1) +
      // MSG_JOB_ALLOWEDJOBSPERUSER_UU of the Grid Engine source (max_u_jobs): not captured.
      submitted(
        "b",
        "Unable to run job: job rejected: Only 100 jobs are allowed per user (current job count: 100)\nExiting.",
        1,
      ) + submitted("c", "something nobody has seen", 1),
  ),
  expect: ["transient", "limit", "transient"],
}, {
  name: "cut off after qsub answered, and before the next one did",
  input: [req("a"), req("b")],
  result: out("--- a\n77\n--- b\n", null),
  expect: ["ok:77", "transient"],
}];

const LIVE = data("qstat_xml.txt");
const STATUS: SchedulerFixtures["status"] = [{
  name: "running and pending jobs; ended ones from qacct: exit 3, h_rt, no record yet",
  input: jobs("2", "5", "3", "4", "11"),
  result: out(
    marked("qstat", LIVE) + marked("qacct-3", data("qacct_exit3.txt")) +
      marked("qacct-4", data("qacct_h_rt.txt")) +
      marked("qacct-11", data("qacct_not_found.txt"), 1),
  ),
  expect: {
    "2": { state: "running" },
    "5": { state: "pending", reason: "waiting in the queue for a free slot" },
    "3": { state: "gone", reason: "exit status 3" },
    "4": {
      state: "gone",
      failure: "timeout",
      reason: "failed 37: qmaster enforced h_rt, h_cpu, or h_vmem limit; exit status 137 (Killed)",
    },
    "11": { state: "gone" },
  },
}, {
  name: "no job left in qstat: exit 0, and qdel while running",
  input: jobs("2", "5"),
  result: out(
    marked("qstat", data("qstat_xml_empty.txt")) + marked("qacct-2", data("qacct_exit0.txt")) +
      marked("qacct-5", data("qacct_qdel.txt")),
  ),
  expect: {
    "2": { state: "gone" },
    "5": {
      state: "gone",
      failure: "cancelled",
      reason: "failed 100: assumedly after job; exit status 137 (Killed)",
    },
  },
}, {
  name: "deleting, transferring, error state and held",
  input: jobs("10", "3", "7", "11"),
  result: out(marked("qstat", data("qstat_xml_states.txt"))),
  expect: {
    "10": { state: "running" },
    "3": { state: "running" },
    "7": {
      state: "pending",
      reason:
        "in error state (Eqw): Grid Engine will not start it until the error is cleared (qmod -cj <id>); qstat -j <id> shows the error reason",
    },
    "11": { state: "pending", reason: "held: it waits until released (qrls)" },
  },
}, {
  name: "array jobs: running while any task runs; a task's h_rt names the failure",
  input: jobs("4", "6", "8"),
  result: out(
    marked("qstat", data("qstat_xml_array.txt")) + marked("qacct-8", data("qacct_array.txt")),
  ),
  expect: {
    "4": { state: "running" },
    "6": { state: "pending", reason: "waiting in the queue for a free slot" },
    "8": {
      state: "gone",
      failure: "timeout",
      reason: "failed 37: qmaster enforced h_rt, h_cpu, or h_vmem limit; exit status 137 (Killed)",
    },
  },
}, {
  name: "plain qstat printed nothing: every job left it",
  input: jobs("9"),
  result: out(marked("qstat", "")),
  expect: { "9": { state: "gone" } },
}, {
  name: "qmaster unreachable",
  input: jobs("2"),
  result: out(marked("qstat", data("qstat_qmaster_unreachable.txt"), 1)),
  expect: "throws",
}, {
  name: "cut off inside qstat's answer",
  input: jobs("2"),
  result: out(`--- qstat\n${LIVE.slice(0, 200)}`, null),
  expect: "throws",
}, {
  name: "rc 0 but no XML document",
  input: jobs("2"),
  result: out(marked("qstat", "error: something else")),
  expect: "throws",
}, {
  name: "no qstat answer at all",
  input: jobs("2"),
  result: out("", 127, "bash: qstat: command not found"),
  expect: "throws",
}];

const named = (name: string) =>
  LIVE.replace("<JB_name>rsok</JB_name>", `<JB_name>${name}</JB_name>`);
const accounted = (name: string, id: string) =>
  data("qacct_exit0.txt").replace(/^jobname {6}rsok/m, `jobname      ${name}`)
    .replace(/^jobnumber {4}2 /m, `jobnumber    ${id} `);
const LOOKUP: NonNullable<SchedulerFixtures["lookup"]> = [{
  name: "one in qstat (full JB_name), one finished and in qacct",
  input: [req("aaa", 1), req("bbb", 0)],
  result: out(
    marked("qstat", named("dpd-aaa-1")) + marked("qacct-bbb", accounted("dpd-bbb-0", "17")),
  ),
  expect: { aaa: "2", bbb: "17" },
}, {
  name: "never submitted: no such name in qstat nor qacct",
  input: [req("bbb", 0)],
  result: out(marked("qstat", LIVE) + marked("qacct-bbb", data("qacct_name_not_found.txt"), 1)),
  expect: {},
}, {
  name: "no accounting file yet (no job ever ended; qacct.c's message)",
  input: [req("bbb", 0)],
  result: out(
    marked("qstat", LIVE) +
      marked(
        "qacct-bbb",
        "error: error unable to open /var/lib/gridengine/default/common/accounting\nno jobs running since startup",
        1,
      ),
  ),
  expect: {},
}, {
  name: "qmaster unreachable",
  input: [req("aaa", 1)],
  result: out(marked("qstat", data("qstat_qmaster_unreachable.txt"), 1)),
  expect: "throws",
}, {
  name: "qacct fails otherwise",
  input: [req("bbb", 0)],
  result: out(marked("qstat", LIVE) + marked("qacct-bbb", "bash: qacct: command not found", 127)),
  expect: "throws",
}, {
  name: "cut off before qacct answered",
  input: [req("bbb", 0)],
  result: out(marked("qstat", LIVE), null),
  expect: "throws",
}];

const CANCEL: SchedulerFixtures["cancel"] = [
  { input: ["5"], result: out("root has registered the job 5 for deletion\n"), expect: true },
  {
    name: "running, pending and already gone",
    input: ["10", "11", "99998"],
    result: out(data("qdel_mixed.txt"), 1),
    expect: true,
  },
  { name: "already gone", input: ["5"], result: out(data("qdel_gone.txt"), 1), expect: true },
  {
    name: "qmaster unreachable",
    input: ["5"],
    result: out(
      data("qdel_qmaster_unreachable_stdout.txt"),
      1,
      data("qdel_qmaster_unreachable_stderr.txt"),
    ),
    expect: false,
  },
  { name: "qdel killed", input: ["5"], result: out("", null), expect: false },
];

/** The captured outputs of SGE 8.1.9, for {@linkcode testScheduler}. */
const SGE_FIXTURES: SchedulerFixtures = {
  headers: HEADERS,
  submit: SUBMIT,
  status: STATUS,
  cancel: CANCEL,
  lookup: LOOKUP,
  jobId: "JOB_ID",
};

Deno.test("sgeScheduler passes the scheduler conformance steps", async (t) => {
  await testScheduler(t, s, SGE_FIXTURES);
});

Deno.test("sgeJobArray's scheduler passes the scheduler conformance steps", async (t) => {
  const array = sgeJobArray(undefined, { throttle: 2 }).scheduler;
  await testScheduler(t, array, {
    ...SGE_FIXTURES,
    array: {
      index: "SGE_TASK_ID",
      base: 1,
      resources: { groupSize: 5, kwargs: { sgeJobSize: 2 } },
    },
  });
});

Deno.test("sge() and sgeJobArray() are batch targets over the given transport", () => {
  const target = sge();
  assert.equal(target.kind, "target");
  assert.equal(target.scheduler, s);
  assert.equal(target.executor.record.scheduler, "sge");
  assert.equal(target.executor.queues, true);
  assert.ok(Object.isFrozen(s) && Object.isFrozen(target));
  const array = sgeJobArray();
  assert.equal(array.executor.record.scheduler, "sgeJobArray");
  assert.equal(array.executor.queues, false);
  assert.equal(
    array.scheduler.arrayChunk!(resources({ groupSize: 1, kwargs: { sge_job_size: 3 } })),
    3,
  );
  assert.throws(() => sgeJobArray(undefined, { throttle: 0 }), /Invalid sgeJobArray\.throttle/);
  assert.deepEqual(s.cancelArgv(["1", "2"]), ["qdel", "1", "2"]);
  assert.deepEqual(s.permissions!(), { run: ["bash", "qdel"] });
});
