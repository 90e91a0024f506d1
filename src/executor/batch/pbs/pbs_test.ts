// The PBS scheduler against the conformance suite, with the OpenPBS outputs of testdata/ (see its
// README.md for which are verbatim and which constructed), and the header against dpdispatcher's.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { dispatch } from "../../../api/dispatch.ts";
import { resources, type ResourcesInput } from "../../../plan/resources.ts";
import { task } from "../../../plan/task.ts";
import { marked, out, req, submitted, testdata } from "../_fixtures.ts";
import { type SchedulerFixtures, testScheduler } from "../../../testing/scheduler_suite.ts";
import type { SchedulerStatus } from "../scheduler.ts";
import { pbs, pbsJobArray, pbsScheduler as s } from "./pbs.ts";

const GOLDEN = new URL("./testdata/pbs_header.sh", import.meta.url);
const data = testdata(import.meta.url);
const S = ".qot-calc0";
const jobs = (...seqs: string[]) => seqs.map((seq) => ({ id: `${seq}${S}`, hash: `h${seq}` }));
const byId = (entries: Record<string, SchedulerStatus>): Record<string, SchedulerStatus> =>
  Object.fromEntries(Object.entries(entries).map(([seq, v]) => [`${seq}${S}`, v]));

const GOLDEN_RESOURCES: ResourcesInput = {
  groupSize: 1,
  numberNode: 2,
  cpuPerNode: 8,
  gpuPerNode: 2,
  queueName: "workq",
  walltime: "1h30m",
  memory: "4G",
  account: "chem",
  qos: "high",
  customFlags: ["#PBS -l place=scatter"],
};

// dpdispatcher's PBS.gen_script_header (machines/pbs.py), line by line; `-q` only when set.
function dpdispatcherHeader(r: ResourcesInput): string[] {
  const gpus = r.gpuPerNode ? `:ngpus=${r.gpuPerNode}` : "";
  return [
    "#!/bin/bash -l",
    `#PBS -l select=${r.numberNode ?? 1}:ncpus=${r.cpuPerNode ?? 1}${gpus}`,
    "#PBS -j oe",
    ...(r.queueName ? [`#PBS -q ${r.queueName}`] : []),
  ];
}

const HEADERS: SchedulerFixtures["headers"] = [
  { resources: GOLDEN_RESOURCES, header: readFileSync(GOLDEN, "utf8") },
  { resources: { groupSize: 1 }, header: "#!/bin/bash -l\n#PBS -l select=1:ncpus=1\n#PBS -j oe" },
  {
    resources: { groupSize: 1, cpuPerNode: 4, memory: 512, queueName: "my queue" },
    header: "#!/bin/bash -l\n#PBS -l select=1:ncpus=4:mem=512mb\n#PBS -j oe\n#PBS -q 'my queue'",
  },
];

Deno.test("the PBS header writes every directive dpdispatcher writes, and the typed extras", () => {
  const [job] = dispatch({ workBase: "/w" }).on(pbs()).with(GOLDEN_RESOURCES)
    .tasks(task({ command: "lmp", taskWorkPath: "t" })).render();
  const header = job.script.slice(0, job.script.indexOf("\n\n"));
  if (Deno.env.get("UPDATE_GOLDEN")) writeFileSync(GOLDEN, header + "\n");
  assert.equal(header + "\n", readFileSync(GOLDEN, "utf8"));
  // resources -> dpdispatcher's lines (memory joins its select line) and the lines we add.
  const table: [ResourcesInput, string[], string?][] = [
    [{ groupSize: 1 }, []],
    [{ groupSize: 1, numberNode: 2, cpuPerNode: 4, gpuPerNode: 1, queueName: "gpu" }, []],
    [{ groupSize: 1, walltime: 90 }, ["#PBS -l walltime=00:01:30"]],
    [{ groupSize: 1, walltime: "30h" }, ["#PBS -l walltime=30:00:00"]],
    [{ groupSize: 1, memory: "2G" }, [], ":mem=2048mb"],
    [{ groupSize: 1, gpuPerNode: 2, memory: "1G" }, [], ":mem=1024mb"],
    [{ groupSize: 1, account: "proj-7" }, ["#PBS -A proj-7"]],
    // No QOS in PBS; the job name goes on qsub's command line (-N), as dpdispatcher writes none.
    [{ groupSize: 1, qos: "high", jobName: "md" }, []],
  ];
  for (const [input, extra, mem] of table) {
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
    const want = dpdispatcherHeader(input);
    if (mem) want[1] += mem;
    assert.deepEqual(lines, [...want, ...extra], JSON.stringify(input));
  }
});

const SUBMIT: SchedulerFixtures["submit"] = [{
  name: "a job and an array job accepted; a refused queue, resource, limit, value, script",
  input: ["a", "b", "c", "d", "e", "f", "g"].map((h) => req(h)),
  result: out(
    submitted("a", data("qsub_id.txt")) + submitted("b", data("qsub_id_array.txt")) +
      submitted("c", data("qsub_unknown_queue.txt"), 170) +
      submitted("d", data("qsub_unknown_resource.txt"), 187) +
      submitted("e", data("qsub_resource_limits.txt"), 188) +
      submitted("f", data("qsub_illegal_value.txt"), 166) +
      submitted("g", data("qsub_script_not_a_file.txt"), 1),
  ),
  expect: [`ok:1008${S}`, `ok:1009[]${S}`, "fatal", "fatal", "fatal", "fatal", "fatal"],
}, {
  name: "server unreachable; the queue is full; an unknown answer",
  input: [req("a"), req("b"), req("c")],
  result: out(
    submitted("a", data("qsub_unreachable.txt"), 162) +
      submitted("b", data("qsub_max_queued.txt"), 189) +
      submitted("c", "something nobody has seen", 1),
  ),
  expect: ["transient", "limit", "transient"],
}, {
  name: "cut off after qsub answered, and before the next one did",
  input: [req("a"), req("b")],
  result: out(`--- a\n77.pbs01\n--- b\n`, null),
  expect: ["ok:77.pbs01", "transient"],
}];

const EXCEEDED = "Job run at Mon Jan 24 at 08:39 on (edtb-01[0]:ncpus=1) and exceeded resource";
const ENDED = "Job run at Mon Jan 24 at 08:39 on (edtb-01[0]:ncpus=1) and";
const STATUS: SchedulerFixtures["status"] = [{
  name: "running (the real 20.0.1 capture)",
  input: jobs("1008"),
  result: out(marked("qstat", data("qstat_json_running.txt"))),
  expect: byId({ "1008": { state: "running" } }),
}, {
  name: "queued with the scheduler's comment, and held",
  input: jobs("1016", "1017"),
  result: out(marked("qstat", data("qstat_json_queued.txt"))),
  expect: byId({
    "1016": {
      state: "pending",
      reason:
        "queued, waiting to be scheduled: Not Running: Insufficient amount of resource: ncpus (R: 64 A: 8 T: 8)",
    },
    "1017": { state: "pending", reason: "held: it waits until released (qrls)" },
  }),
}, {
  name: "finished: 0, exit 3, -29 walltime, -27 mem, 271 qdel, -10 bad uid",
  input: jobs("1010", "1011", "1012", "1013", "1014", "1015"),
  result: out(marked("qstat", data("qstat_json_finished.txt"))),
  expect: byId({
    "1010": { state: "gone" },
    "1011": { state: "gone", failure: "exit", reason: `Exit_status 3; ${ENDED} failed` },
    "1012": {
      state: "gone",
      failure: "timeout",
      reason:
        `Exit_status -29: killed for exceeding its walltime (JOB_EXEC_KILL_WALLTIME); ${EXCEEDED} walltime`,
    },
    "1013": {
      state: "gone",
      failure: "oom",
      reason: `Exit_status -27: killed for exceeding its mem (JOB_EXEC_KILL_MEM); ${EXCEEDED} mem`,
    },
    "1014": {
      state: "gone",
      failure: "cancelled",
      reason: `Exit_status 271: killed by signal 15; ${ENDED} terminated`,
    },
    "1015": {
      state: "gone",
      failure: "node_fail",
      reason: `Exit_status -10: invalid uid/gid for job (JOB_EXEC_FAILUID); ${ENDED} failed`,
    },
  }),
}, {
  name: "one unknown id (rc 153): gone, the others still read",
  input: jobs("1008", "1099"),
  result: out(marked("qstat", data("qstat_unknown_some.txt"), 153)),
  expect: byId({ "1008": { state: "running" }, "1099": { state: "gone" } }),
}, {
  name: "every id unknown: a document without Jobs, or none at all",
  input: jobs("1098", "1099"),
  result: out(marked("qstat", data("qstat_unknown_all.txt"), 153)),
  expect: byId({ "1098": { state: "gone" }, "1099": { state: "gone" } }),
}, {
  name: "every id unknown and no document",
  input: jobs("1098", "1099"),
  result: out(marked("qstat", data("qstat_unknown_all_nojson.txt"), 153)),
  expect: byId({ "1098": { state: "gone" }, "1099": { state: "gone" } }),
}, {
  name: "arrays: begun, queued, finished with a subjob over its walltime",
  input: jobs("1009[]", "1018[]", "1019[]"),
  result: out(marked("qstat", data("qstat_json_array.txt"))),
  expect: byId({
    "1009[]": { state: "running" },
    "1018[]": { state: "pending", reason: "queued, waiting to be scheduled" },
    "1019[]": {
      state: "gone",
      failure: "timeout",
      reason:
        "Exit_status -29: killed for exceeding its walltime (JOB_EXEC_KILL_WALLTIME); Job run at Mon Jan 24 at 08:40 on (edtb-01[0]:ncpus=1) and exceeded resource walltime",
    },
  }),
}, {
  name: "cJSON's tab indentation (master); suspended and exiting count as running",
  input: jobs("1020", "1021"),
  result: out(marked("qstat", data("qstat_json_tabs.txt"))),
  expect: byId({
    "1020": { state: "running", reason: "suspended" },
    "1021": { state: "running", reason: "exiting after having run" },
  }),
}, {
  name: "an invalid escape in another field: the jobs are still read",
  input: jobs("1008"),
  result: out(marked("qstat", data("qstat_json_bad_escape.txt"))),
  expect: byId({ "1008": { state: "running" } }),
}, {
  name: "a short server name in the asked id",
  input: [{ id: "1008.qot-calc0.example.org", hash: "h" }],
  result: out(marked("qstat", data("qstat_json_running.txt"))),
  expect: { "1008.qot-calc0.example.org": { state: "running" } },
}, {
  name: "server unreachable",
  input: jobs("1008"),
  result: out(marked("qstat", data("qstat_unreachable.txt"), 255)),
  expect: "throws",
}, {
  name: "history off and asked again without -x: still refused",
  input: jobs("1008"),
  result: out(marked("qstat", data("qstat_history_off.txt"))),
  expect: "throws",
}, {
  name: "some ids unknown, one more not: no JSON",
  input: jobs("1097", "1098", "1099"),
  result: out(marked("qstat", data("qstat_unknown_all_nojson.txt"), 153)),
  expect: "throws",
}, {
  name: "cut off inside qstat's answer",
  input: jobs("1008"),
  result: out(`--- qstat\n${data("qstat_json_running.txt").slice(0, 300)}`, null),
  expect: "throws",
}, {
  name: "no qstat answer at all",
  input: jobs("1008"),
  result: out("", 127, "bash: qstat: command not found"),
  expect: "throws",
}, {
  name: "rc 0 but no JSON",
  input: jobs("1008"),
  result: out(marked("qstat", "Communication failure.")),
  expect: "throws",
}];

const LOOKUP: NonNullable<SchedulerFixtures["lookup"]> = [{
  name: "a job and an array found, one never submitted",
  input: [req("aaa", 1), req("bbb"), req("ccc")],
  result: out(
    marked("lookup-aaa", data("qselect_found.txt")) +
      marked("lookup-bbb", data("qselect_array.txt")) + marked("lookup-ccc", ""),
  ),
  expect: { aaa: `1008${S}`, bbb: `1009[]${S}` },
}, {
  name: "server unreachable",
  input: [req("aaa")],
  result: out(marked("lookup-aaa", data("qselect_unreachable.txt"), 255)),
  expect: "throws",
}, {
  name: "cut off before the second name was looked up",
  input: [req("aaa"), req("bbb")],
  result: out(marked("lookup-aaa", ""), null),
  expect: "throws",
}, {
  name: "rc 0 but no id",
  input: [req("aaa")],
  result: out(marked("lookup-aaa", "Unknown Host.")),
  expect: "throws",
}];

const CANCEL: SchedulerFixtures["cancel"] = [
  { input: [`1008${S}`], result: out(""), expect: true },
  {
    name: "unknown",
    input: [`1099${S}`],
    result: out("", 153, data("qdel_unknown.txt")),
    expect: true,
  },
  {
    name: "finished, and unknown",
    input: [`1010${S}`, `1099${S}`],
    result: out("", 153, `${data("qdel_finished.txt")}\n${data("qdel_unknown.txt")}`),
    expect: true,
  },
  {
    name: "server unreachable",
    input: [`1008${S}`],
    result: out("", 162, data("qdel_unreachable.txt")),
    expect: false,
  },
  { name: "qdel killed", input: [`1008${S}`], result: out("", null), expect: false },
  { name: "failed silently", input: [`1008${S}`], result: out("", 1), expect: false },
];

/** The OpenPBS outputs, for {@linkcode testScheduler}. */
const PBS_FIXTURES: SchedulerFixtures = {
  headers: HEADERS,
  submit: SUBMIT,
  status: STATUS,
  cancel: CANCEL,
  lookup: LOOKUP,
  jobId: "PBS_JOBID",
};

Deno.test("pbsScheduler passes the scheduler conformance steps", async (t) => {
  await testScheduler(t, s, PBS_FIXTURES);
});

Deno.test("pbsJobArray's scheduler passes the scheduler conformance steps", async (t) => {
  await testScheduler(t, pbsJobArray().scheduler, {
    ...PBS_FIXTURES,
    array: {
      index: "PBS_ARRAY_INDEX",
      base: 0,
      resources: { groupSize: 5, kwargs: { pbsJobSize: 2 } },
    },
  });
});

Deno.test("pbs() and pbsJobArray() are batch targets over the given transport", () => {
  const target = pbs();
  assert.equal(target.kind, "target");
  assert.equal(target.scheduler, s);
  assert.equal(target.executor.record.scheduler, "pbs");
  assert.equal(target.executor.queues, true);
  assert.ok(Object.isFrozen(s) && Object.isFrozen(target));
  const array = pbsJobArray();
  assert.equal(array.executor.record.scheduler, "pbsJobArray");
  assert.equal(array.executor.queues, false);
  assert.equal(
    array.scheduler.arrayChunk!(resources({ groupSize: 1, kwargs: { pbs_job_size: 3 } })),
    3,
  );
  assert.throws(
    () => array.scheduler.arrayChunk!(resources({ groupSize: 1, kwargs: { pbsJobSize: 0 } })),
    /Invalid resources\.kwargs\.pbsJobSize/,
  );
  assert.deepEqual(s.cancelArgv(["1.s", "2[].s"]), ["qdel", "1.s", "2[].s"]);
  assert.deepEqual(s.permissions!(), { run: ["bash", "qdel"] });
  assert.equal(s.endFileGraceMs, 30_000);
  assert.deepEqual(s.env, { jobId: "PBS_JOBID", arrayIndex: "PBS_ARRAY_INDEX", arrayBase: 0 });
});
