// The Fugaku (PJM) scheduler against the conformance suite, with PJM outputs from testdata/ (see
// its README.md for which are verbatim and which constructed), and the header against
// dpdispatcher's.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { dispatch } from "../../../api/dispatch.ts";
import { resources, type ResourcesInput } from "../../../plan/resources.ts";
import { task } from "../../../plan/task.ts";
import { type SchedulerFixtures, testScheduler } from "../../../testing/scheduler_suite.ts";
import { jobs, marked, out, req, submitted, testdata } from "../_fixtures.ts";
import { fugaku, fugakuScheduler as s } from "./fugaku.ts";

const GOLDEN = new URL("./testdata/fugaku_header.sh", import.meta.url);
const data = testdata(import.meta.url);
const headerOf = (input: ResourcesInput) =>
  s.header({
    hash: "h",
    name: "dpd-h",
    runId: "r",
    tasks: [],
    resources: resources(input),
    runRoot: "/r",
    jobsDir: "/r/j",
    env: {},
  });

// dpdispatcher's tests/jsons/machine_fugaku.json (its resources, group masked there as there).
const DPD_RESOURCES: ResourcesInput = {
  numberNode: 1,
  cpuPerNode: 48,
  queueName: "small",
  groupSize: 1,
  customFlags: [
    '#PJM -L "elapse=4:00:00"',
    "#PJM -x PJM_LLIO_GFSCACHE=/vol0004",
    "#PJM -g hp******",
  ],
};

// dpdispatcher's Fugaku.gen_script_header (dpdispatcher/machines/fugaku.py), its lines without
// their trailing space, after the shebang it does not write.
function dpdispatcherHeader(r: ResourcesInput): string[] {
  return [
    "#!/bin/bash",
    ...(r.queueName ? [`#PJM -L "rscgrp=${r.queueName}"`] : []),
    `#PJM -L "node=${r.numberNode ?? 1}"`,
    `#PJM --mpi "max-proc-per-node=${r.cpuPerNode ?? 1}"`,
  ];
}

const GOLDEN_RESOURCES: ResourcesInput = {
  groupSize: 1,
  numberNode: 4,
  cpuPerNode: 48,
  queueName: "small",
  walltime: "1h30m",
  memory: "28G",
  account: "hp000000",
  qos: "high",
  customFlags: ["#PJM -x PJM_LLIO_GFSCACHE=/vol0004"],
};

Deno.test("the Fugaku header writes every line dpdispatcher writes, then the typed extras", () => {
  const [job] = dispatch({ workBase: "/w" }).on(fugaku()).with(GOLDEN_RESOURCES)
    .tasks(task({ command: "lmp", taskWorkPath: "t" })).render();
  const header = job.script.slice(0, job.script.indexOf("\n\n"));
  if (Deno.env.get("UPDATE_GOLDEN")) writeFileSync(GOLDEN, header + "\n");
  assert.equal(header + "\n", readFileSync(GOLDEN, "utf8"));
  const table: [ResourcesInput, string[]][] = [
    [{ groupSize: 1 }, []],
    [DPD_RESOURCES, []],
    [{ groupSize: 1, numberNode: 12, cpuPerNode: 4, queueName: "large" }, []],
    [{ groupSize: 1, walltime: 90 }, ['#PJM -L "elapse=00:01:30"']],
    [{ groupSize: 1, walltime: "72:00:00" }, ['#PJM -L "elapse=72:00:00"']],
    [{ groupSize: 1, account: "hp120" }, ["#PJM -g hp120"]],
    [{ groupSize: 1, memory: "8G", gpuPerNode: 2, qos: "x", jobName: "md" }, []],
  ];
  for (const [input, extra] of table) {
    assert.deepEqual(headerOf(input).split("\n"), [...dpdispatcherHeader(input), ...extra]);
  }
  assert.equal(
    headerOf({ groupSize: 1, queueName: "a b" }).split("\n")[1],
    "#PJM -L 'rscgrp=a b'",
  );
});

const HEADERS: SchedulerFixtures["headers"] = [
  { resources: GOLDEN_RESOURCES, header: readFileSync(GOLDEN, "utf8") },
  {
    resources: DPD_RESOURCES,
    header: `#!/bin/bash
#PJM -L "rscgrp=small"
#PJM -L "node=1"
#PJM --mpi "max-proc-per-node=48"
#PJM -L "elapse=4:00:00"
#PJM -x PJM_LLIO_GFSCACHE=/vol0004
#PJM -g hp******`,
  },
];

const SUBMIT: SchedulerFixtures["submit"] = [{
  name: "submitted; over the node limit; a group not authorized",
  input: ["a", "b", "c"].map((h) => req(h)),
  result: out(
    submitted("a", data("pjsub_submitted.txt")) +
      submitted("b", data("pjsub_upper_limit.txt"), 1) +
      submitted("c", data("pjsub_group.txt"), 1),
  ),
  expect: ["ok:167661", "fatal", "fatal"],
}, {
  name: "an unreadable script; a staging error with rc 0; an unknown answer; cut off",
  input: ["a", "b", "c", "d"].map((h) => req(h)),
  result: out(
    submitted("a", data("pjsub_cannot_open.txt"), 1) +
      submitted("b", data("pjsub_staging.txt"), 0) +
      submitted("c", "[ERR.] PJM 9999 pjsub something nobody has seen", 1) + "--- d\n",
    null,
  ),
  expect: ["fatal", "fatal", "transient", "transient"],
}];

const status = (live: string, history: string, liveRc = 0, historyRc = 0) =>
  out(marked("pjstat", live, liveRc) + marked("pjstat-H", history, historyRc));

const STATUS: SchedulerFixtures["status"] = [{
  name: "live states; ended ones from the history; the history wins",
  input: jobs("201", "202", "203", "204", "205", "206", "207", "301", "302", "303", "304"),
  result: status(data("pjstat_status_live.txt"), data("pjstat_status_history.txt")),
  expect: {
    "201": { state: "gone" },
    "202": { state: "pending", reason: "waiting in the queue to be scheduled" },
    "203": { state: "pending", reason: "held by a user (pjrls releases it)" },
    "204": { state: "pending", reason: "acquiring the resources to run" },
    "205": { state: "running", reason: "ending: waiting for its termination processing" },
    "206": { state: "pending", reason: "suspended (pjresume resumes it)" },
    "207": { state: "running", reason: 'in PJM state "XYZ", unknown here' },
    "301": { state: "gone" },
    "302": { state: "gone", reason: "exit code 3" },
    "303": {
      state: "gone",
      failure: "timeout",
      reason: "PJM code 11: Job execution timeout due to violation of elapsed time limit; signal 9",
    },
    "304": {
      state: "gone",
      failure: "cancelled",
      reason: "cancelled; PJM code 1: CANCEL by pjdel command that the user controled",
    },
  },
}, {
  name: "memory, node down, rejected; an id that does not exist; one in neither list",
  input: jobs("305", "306", "307", "123", "999"),
  result: status(data("pjstat_not_exist.txt"), data("pjstat_status_history.txt"), 1),
  expect: {
    "305": {
      state: "gone",
      failure: "oom",
      reason: "PJM code 12: Forced termination due to excessive memory usage; signal 9",
    },
    "306": {
      state: "gone",
      failure: "node_fail",
      reason: "fixed in the ERR state by an error; PJM code 20: Node down",
    },
    "307": {
      state: "gone",
      reason: "its submission was rejected; PJM code 2: REJECT based on job acceptance judgment",
    },
    "123": { state: "gone" },
    "999": { state: "gone" },
  },
}, {
  name: "verbatim rows of other columns: states read, sub jobs skipped",
  input: jobs("34716160", "34716168", "34716159"),
  result: status(data("pjstat_data_queued.txt"), data("pjstat_data_history.txt")),
  expect: {
    "34716160": { state: "pending", reason: "waiting in the queue to be scheduled" },
    "34716168": { state: "pending", reason: "waiting in the queue to be scheduled" },
    "34716159": { state: "gone" },
  },
}, {
  name: "no rows at all: every job gone",
  input: jobs("5"),
  result: status("", ""),
  expect: { "5": { state: "gone" } },
}, {
  name: "the job manager does not answer",
  input: jobs("201"),
  result: status(data("pjstat_down.txt"), data("pjstat_down.txt"), 1, 1),
  expect: "throws",
}, {
  name: "the history is cut off",
  input: jobs("201"),
  result: out(marked("pjstat", data("pjstat_status_live.txt")) + "--- pjstat-H\n,301,EXT", null),
  expect: "throws",
}, {
  name: "rows without their header",
  input: jobs("201"),
  result: status(",201,RUN,0,0,0", ""),
  expect: "throws",
}, {
  name: "no pjstat at all",
  input: jobs("201"),
  result: out("", 127, "bash: pjstat: command not found"),
  expect: "throws",
}];

const CANCEL: SchedulerFixtures["cancel"] = [
  { input: ["12345"], result: out(data("pjdel_deleted.txt")), expect: true },
  {
    name: "one deleted, one already ended",
    input: ["12345", "123"],
    result: out(data("pjdel_deleted.txt"), 1, data("pjdel_not_exist.txt")),
    expect: true,
  },
  {
    name: "the job manager down",
    input: ["1"],
    result: out("", 1, data("pjstat_down.txt").replace("pjstat", "pjdel")),
    expect: false,
  },
  { name: "pjdel killed", input: ["1"], result: out("", null), expect: false },
];

const lookup = (live: string, history: string, rc = 0) =>
  out(marked("lookup", live, rc) + marked("lookup-H", history));

const LOOKUP: NonNullable<SchedulerFixtures["lookup"]> = [{
  name: "live, ended, never submitted",
  input: [req("aaa", 1), req("ccc", 0), req("ddd", 0)],
  result: lookup(data("pjstat_lookup_live.txt"), data("pjstat_lookup_history.txt")),
  expect: { aaa: "130", ccc: "120" },
}, {
  name: "no jobs at all",
  input: [req("aaa", 1)],
  result: lookup("", ""),
  expect: {},
}, {
  name: "the job manager does not answer",
  input: [req("aaa", 1)],
  result: lookup(data("pjstat_down.txt"), "", 1),
  expect: "throws",
}, {
  name: "cut off before the history",
  input: [req("aaa", 1)],
  result: out(marked("lookup", data("pjstat_lookup_live.txt")), null),
  expect: "throws",
}];

Deno.test("fugakuScheduler passes the scheduler conformance steps", async (t) => {
  await testScheduler(t, s, {
    headers: HEADERS,
    submit: SUBMIT,
    status: STATUS,
    cancel: CANCEL,
    lookup: LOOKUP,
    jobId: "PJM_JOBID",
  });
});

Deno.test("fugaku() is a batch target; endFileGraceMs is checked", () => {
  const target = fugaku();
  assert.equal(target.scheduler, s);
  assert.equal(target.executor.record.scheduler, "fugaku");
  assert.equal(target.executor.queues, true);
  assert.ok(Object.isFrozen(s) && Object.isFrozen(target));
  assert.equal(s.endFileGraceMs, 30_000);
  assert.equal(fugaku(undefined, { endFileGraceMs: 0 }).scheduler.endFileGraceMs, 0);
  assert.throws(() => fugaku(undefined, { endFileGraceMs: -1 }), /Invalid fugaku\.endFileGraceMs/);
  assert.deepEqual(s.cancelArgv(["1", "2"]), ["pjdel", "1", "2"]);
  assert.deepEqual(s.permissions!(), { run: ["bash", "pjdel"] });
  const argv = s.statusArgv([{ id: "7", hash: "h" }, { id: "8;rm", hash: "g" }]);
  assert.match(argv[2], /pjstat --data --choose=jid,st,ec,pc,sn 7\n/);
  assert.match(argv[2], /pjstat -H --data --choose=jid,st,ec,pc,sn 7\n/);
});
