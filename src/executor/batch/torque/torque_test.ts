// The Torque scheduler against the conformance suite, with real Torque's outputs (from the notes)
// and the slurm-wlm-torque wrappers' (captured) from testdata/ (see its README.md), and the
// header against dpdispatcher's.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { dispatch } from "../../../api/dispatch.ts";
import { resources, type ResourcesInput } from "../../../plan/resources.ts";
import { task } from "../../../plan/task.ts";
import { jobs, marked as markedAs, out, req, submitted, testdata } from "../_fixtures.ts";
import { type SchedulerFixtures, testScheduler } from "../../../testing/scheduler_suite.ts";
import { torque, torqueScheduler as s } from "./torque.ts";

const GOLDEN = new URL("./testdata/torque_header.sh", import.meta.url);
const data = testdata(import.meta.url);
/** qstat's output between its marker lines, as `capture()` prints it. */
const marked = (text: string, rc = 0): string => markedAs("qstat", text, rc);

const GOLDEN_RESOURCES: ResourcesInput = {
  groupSize: 1,
  numberNode: 2,
  cpuPerNode: 8,
  gpuPerNode: 2,
  queueName: "batch",
  walltime: "1h30m",
  memory: "4G",
  account: "chem",
  qos: "high",
  customFlags: ["#PBS -l pmem=2gb"],
};

// dpdispatcher's Torque.gen_script_header (machines/pbs.py), but `#PBS -j oe` (see torque.ts).
function dpdispatcherHeader(r: ResourcesInput): string[] {
  const gpus = r.gpuPerNode ? `:gpus=${r.gpuPerNode}` : "";
  return [
    "#!/bin/bash -l",
    `#PBS -l nodes=${r.numberNode ?? 1}:ppn=${r.cpuPerNode ?? 1}${gpus}`,
    ...(r.queueName ? [`#PBS -q ${r.queueName}`] : []),
  ];
}

const HEADERS: SchedulerFixtures["headers"] = [
  { resources: GOLDEN_RESOURCES, header: readFileSync(GOLDEN, "utf8") },
  { resources: { groupSize: 1 }, header: "#!/bin/bash -l\n#PBS -l nodes=1:ppn=1" },
  {
    resources: { groupSize: 1, cpuPerNode: 4, gpuPerNode: 1, walltime: 90 },
    header: "#!/bin/bash -l\n#PBS -l nodes=1:ppn=4:gpus=1\n#PBS -l walltime=00:01:30",
  },
];

Deno.test("the Torque header writes what dpdispatcher writes (but -j oe), and the extras", () => {
  const [job] = dispatch({ workBase: "/w" }).on(torque()).with(GOLDEN_RESOURCES)
    .tasks(task({ command: "lmp", taskWorkPath: "t" })).render();
  const header = job.script.slice(0, job.script.indexOf("\n\n"));
  if (Deno.env.get("UPDATE_GOLDEN")) writeFileSync(GOLDEN, header + "\n");
  assert.equal(header + "\n", readFileSync(GOLDEN, "utf8"));
  const table: [ResourcesInput, string[]][] = [
    [{ groupSize: 1 }, []],
    [{ groupSize: 1, numberNode: 3, cpuPerNode: 4, queueName: "batch" }, []],
    [{ groupSize: 1, gpuPerNode: 2 }, []],
    [{ groupSize: 1, walltime: 90 }, ["#PBS -l walltime=00:01:30"]],
    [{ groupSize: 1, memory: "512M" }, ["#PBS -l mem=512mb"]],
    [{ groupSize: 1, account: "proj-7" }, ["#PBS -A proj-7"]],
    [{ groupSize: 1, qos: "high" }, []], // no Torque directive for a QOS
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
});

const SUBMIT: SchedulerFixtures["submit"] = [{
  name: "wrappers: accepted; unknown partition, missing script; controller unreachable",
  input: ["a", "b", "c", "d"].map((h) => req(h)),
  result: out(
    submitted("a", data("wrap_qsub_id.txt")) +
      submitted("b", data("wrap_qsub_bad_queue.txt"), 1) +
      submitted("c", data("wrap_qsub_missing_script.txt"), 1) +
      submitted("d", data("wrap_qsub_unreachable.txt"), 1),
  ),
  expect: ["ok:25272", "fatal", "fatal", "transient"],
}, {
  name: "real Torque: accepted (full id); unknown queue; queue full; server unreachable",
  input: ["a", "b", "c", "d"].map((h) => req(h)),
  result: out(
    submitted("a", data("trq_qsub_id.txt")) +
      submitted("b", data("trq_qsub_unknown_queue.txt"), 168) +
      submitted("c", data("trq_qsub_max_queued.txt"), 200) +
      submitted("d", data("trq_qsub_unreachable.txt"), 111),
  ),
  expect: ["ok:1234.server", "fatal", "limit", "transient"],
}, {
  name: "cut off after qsub answered, and before the next one did",
  input: [req("a"), req("b")],
  result: out("--- a\n77.server\n--- b\n", null),
  expect: ["ok:77.server", "transient"],
}];

const TRQ = data("trq_qstat_f.txt");
const STATUS: SchedulerFixtures["status"] = [{
  name: "real Torque: every state letter and exit status; an unknown id after the output",
  input: jobs(...Array.from({ length: 15 }, (_, i) => `${179 + i}.server`), "999.server"),
  result: out(marked(TRQ, 153)),
  expect: {
    "179.server": { state: "gone" },
    "180.server": { state: "gone", reason: "exit_status 3" },
    "181.server": {
      state: "gone",
      failure: "timeout",
      reason: "exit_status -11: walltime limit exceeded",
    },
    "182.server": {
      state: "gone",
      failure: "oom",
      reason: "exit_status -10: memory limit exceeded",
    },
    "183.server": {
      state: "gone",
      failure: "cancelled",
      reason: "killed by signal 15 (exit_status 271)",
    },
    "184.server": {
      state: "gone",
      failure: "node_fail",
      reason: "exit_status -1: job exec failed, before files, no retry",
    },
    "185.server": { state: "running" },
    "186.server": { state: "pending", reason: "queued: waiting for resources or its turn" },
    "187.server": { state: "pending", reason: "held: it waits until released (qrls)" },
    "188.server": { state: "running" },
    "189.server": { state: "pending", reason: "waiting for its execution time (qsub -a)" },
    "190.server": { state: "running" },
    "191.server": { state: "pending", reason: "being moved to a new location" },
    "192.server": { state: "gone", reason: "killed by signal 11 (exit_status 267)" },
    "193.server": {
      state: "gone",
      failure: "cancelled",
      reason: "killed by signal 9 (exit_status 265)",
    },
    "999.server": { state: "gone" },
  },
}, {
  name: "real Torque: the id by its sequence number when the server's name differs",
  input: jobs("185.server.example.org"),
  result: out(marked(TRQ, 153)),
  expect: { "185.server.example.org": { state: "running" } },
}, {
  name: "real Torque: every id unknown (purged after keep_completed)",
  input: jobs("3884934.titan-moab.ccs.ornl.gov"),
  result: out(marked(data("trq_qstat_unknown.txt"), 153)),
  expect: { "3884934.titan-moab.ccs.ornl.gov": { state: "gone" } },
}, {
  name: "wrappers: completed (exit 0, exit 7, cancelled: no exit_status), running, queued, skipped",
  input: jobs("25272", "25273", "25274", "25275", "25276", "99999"),
  result: out(marked(data("wrap_qstat_f.txt"))),
  expect: {
    "25272": { state: "gone" },
    "25273": { state: "gone" },
    "25274": { state: "running" },
    "25275": { state: "gone" },
    "25276": { state: "pending", reason: "queued: waiting for resources or its turn" },
    "99999": { state: "gone" },
  },
}, {
  name: "wrappers: every id unknown: rc 153, no output at all (captured)",
  input: jobs("99998", "99999"),
  result: out(marked("", 153)),
  expect: { "99998": { state: "gone" }, "99999": { state: "gone" } },
}, {
  name: "wrappers: controller unreachable",
  input: jobs("25272"),
  result: out(marked(data("wrap_qstat_unreachable.txt"), 8)),
  expect: "throws",
}, {
  name: "real Torque: server unreachable",
  input: jobs("179.server"),
  result: out(marked(data("trq_qstat_unreachable.txt"), 111)),
  expect: "throws",
}, {
  name: "rc 153 with a line that is no unknown-id error",
  input: jobs("179.server"),
  result: out(marked(data("trq_qstat_unreachable.txt"), 153)),
  expect: "throws",
}, {
  name: "cut off inside qstat's answer",
  input: jobs("179.server"),
  result: out(`--- qstat\n${TRQ.slice(0, 200)}`, null),
  expect: "throws",
}, {
  name: "no qstat answer at all",
  input: jobs("179.server"),
  result: out("", 127, "bash: qstat: command not found"),
  expect: "throws",
}, {
  name: "an unknown job_state letter",
  input: jobs("7"),
  result: out(marked("Job Id: 7\njob_state = X")),
  expect: "throws",
}];

const LOOKUP: NonNullable<SchedulerFixtures["lookup"]> = [{
  name:
    "wrappers: found by full Job_Name (attempt 1 of ddd, attempt 0 of aaa); one never submitted",
  input: [req("aaaaaaaaaaaa", 0), req("dddddddddddd", 1), req("dddddddddddd", 0), req("zzz")],
  result: out(marked(data("wrap_qstat_f.txt"))),
  expect: { aaaaaaaaaaaa: "25272", dddddddddddd: "25275" },
}, {
  name: "real Torque: the full id",
  input: [req("eeeeeeeeeeee", 1)],
  result: out(marked(TRQ.replace(/\nqstat: .*$/, ""))),
  expect: { eeeeeeeeeeee: "183.server" },
}, {
  name: "wrappers: no job at all (rc 153, no output)",
  input: [req("aaaaaaaaaaaa")],
  result: out(marked("", 153)),
  expect: {},
}, {
  name: "wrappers: controller unreachable",
  input: [req("aaaaaaaaaaaa")],
  result: out(marked(data("wrap_qstat_unreachable.txt"), 8)),
  expect: "throws",
}, {
  name: "real Torque: server unreachable",
  input: [req("aaaaaaaaaaaa")],
  result: out(marked(data("trq_qstat_unreachable.txt"), 111)),
  expect: "throws",
}, {
  name: "cut off",
  input: [req("aaaaaaaaaaaa")],
  result: out("--- qstat\nJob Id: 7\n", null),
  expect: "throws",
}];

const CANCEL: SchedulerFixtures["cancel"] = [
  { name: "running (wrappers, captured: silent)", input: ["25275"], result: out(""), expect: true },
  {
    name: "wrappers: completed (silent, rc 1)",
    input: ["25272"],
    result: out("", 1),
    expect: true,
  },
  {
    name: "wrappers: 2 unknown (silent, rc 2)",
    input: ["1", "2"],
    result: out("", 2),
    expect: true,
  },
  { name: "silent but rc over the id count", input: ["1"], result: out("", 2), expect: false },
  {
    name: "wrappers: controller unreachable",
    input: ["25257"],
    result: out(data("wrap_qdel_unreachable.txt") + "\n", 1),
    expect: false,
  },
  {
    name: "real Torque: unknown (purged) id",
    input: ["1234.server"],
    result: out("", 153, data("trq_qdel_unknown.txt") + "\n"),
    expect: true,
  },
  {
    name: "real Torque: server unreachable",
    input: ["1234.server"],
    result: out("", 111, "qdel: cannot connect to server server (errno=111) Connection refused\n"),
    expect: false,
  },
  { name: "qdel killed", input: ["5"], result: out("", null), expect: false },
];

Deno.test("torqueScheduler passes the scheduler conformance steps", async (t) => {
  await testScheduler(t, s, {
    headers: HEADERS,
    submit: SUBMIT,
    status: STATUS,
    cancel: CANCEL,
    lookup: LOOKUP,
    jobId: "PBS_JOBID",
  });
});

Deno.test("torque() is a batch target over the given transport", () => {
  const target = torque();
  assert.equal(target.kind, "target");
  assert.equal(target.scheduler, s);
  assert.equal(target.executor.record.scheduler, "torque");
  assert.equal(target.executor.queues, true);
  assert.ok(Object.isFrozen(s) && Object.isFrozen(target));
  assert.deepEqual(s.cancelArgv(["1", "2.server"]), ["qdel", "1", "2.server"]);
  assert.deepEqual(s.permissions!(), { run: ["bash", "qdel"] });
  assert.deepEqual(s.env, { jobId: "PBS_JOBID", arrayIndex: "PBS_ARRAYID", arrayBase: 0 });
  assert.equal(s.endFileGraceMs, 30_000);
});
