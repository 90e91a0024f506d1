// The LSF scheduler against the conformance suite, with LSF outputs from testdata/ (see its
// README.md for which are verbatim and which constructed), and the header against dpdispatcher's.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { dispatch } from "../../../api/dispatch.ts";
import { resources, type ResourcesInput } from "../../../plan/resources.ts";
import { task } from "../../../plan/task.ts";
import { jobs, marked, out, req, submitted, testdata } from "../_fixtures.ts";
import { type SchedulerFixtures, testScheduler } from "../../../testing/scheduler_suite.ts";
import { lsf, lsfJobArray, lsfScheduler as s } from "./lsf.ts";

const GOLDEN = new URL("./testdata/lsf_header.sh", import.meta.url);
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

// dpdispatcher's tests/jsons/machine_lazy_local_lsf.json (its resources), and the header and
// custom flag lines tests/test_lsf_script_generation.py expects for it.
const DPD_TEST_RESOURCES: ResourcesInput = {
  numberNode: 1,
  cpuPerNode: 4,
  gpuPerNode: 1,
  queueName: "gpu",
  groupSize: 4,
  customFlags: ['#BSUB -R "select[hname != g005]"', "#BSUB -W 24:00"],
  kwargs: { gpu_usage: true, gpu_new_syntax: true, gpu_exclusive: false },
};
const DPD_TEST_HEADER = `#!/bin/bash -l
#BSUB -e %J.err
#BSUB -o %J.out
#BSUB -n 4
#BSUB -R 'span[ptile=4]'
#BSUB -q gpu
#BSUB -gpu 'num=1:mode=shared:j_exclusive=no'
#BSUB -R "select[hname != g005]"
#BSUB -W 24:00`;

// dpdispatcher's LSF.gen_script_header (dpdispatcher/machines/lsf.py), line by line; the
// template's empty lines (no queue, no GPU line) dropped.
function dpdispatcherHeader(r: ResourcesInput): string[] {
  const kw = (r.kwargs ?? {}) as Record<string, unknown>;
  const [n, c, g] = [r.numberNode ?? 1, r.cpuPerNode ?? 1, r.gpuPerNode ?? 0];
  let gpu = "";
  if (kw.custom_gpu_line) gpu = String(kw.custom_gpu_line);
  else if (kw.gpu_usage === true && g > 0) {
    gpu = kw.gpu_new_syntax === true
      ? `#BSUB -gpu 'num=${g}:mode=shared:j_exclusive=${
        (kw.gpu_exclusive ?? true) === true ? "yes" : "no"
      }'`
      : `#BSUB -R "select[ngpus >0] rusage[ngpus_excl_p=${g}]"`;
  }
  return [
    "#!/bin/bash -l",
    "#BSUB -e %J.err",
    "#BSUB -o %J.out",
    `#BSUB -n ${n * c}`,
    `#BSUB -R 'span[ptile=${c}]'`,
    r.queueName ? `#BSUB -q ${r.queueName}` : "",
    gpu,
  ].filter(Boolean);
}

const GOLDEN_RESOURCES: ResourcesInput = {
  groupSize: 1,
  numberNode: 2,
  cpuPerNode: 8,
  gpuPerNode: 2,
  queueName: "gpu",
  walltime: "1h30m",
  memory: "4G",
  account: "chem",
  qos: "high",
  customFlags: ['#BSUB -R "select[hname != g005]"'],
  kwargs: { gpu_usage: true, gpu_new_syntax: true },
};

const HEADERS: SchedulerFixtures["headers"] = [
  { resources: GOLDEN_RESOURCES, header: readFileSync(GOLDEN, "utf8") },
  { resources: DPD_TEST_RESOURCES, header: DPD_TEST_HEADER },
  {
    resources: { groupSize: 1 },
    header:
      "#!/bin/bash -l\n#BSUB -e %J.err\n#BSUB -o %J.out\n#BSUB -n 1\n#BSUB -R 'span[ptile=1]'",
  },
];

Deno.test("the LSF header writes every line dpdispatcher writes, then the typed extras", () => {
  const [job] = dispatch({ workBase: "/w" }).on(lsf()).with(GOLDEN_RESOURCES)
    .tasks(task({ command: "lmp", taskWorkPath: "t" })).render();
  const header = job.script.slice(0, job.script.indexOf("\n\n"));
  if (Deno.env.get("UPDATE_GOLDEN")) writeFileSync(GOLDEN, header + "\n");
  assert.equal(header + "\n", readFileSync(GOLDEN, "utf8"));
  const table: [ResourcesInput, string[]][] = [
    [{ groupSize: 1 }, []],
    [{ groupSize: 1, numberNode: 3, cpuPerNode: 4, queueName: "normal" }, []],
    // dpdispatcher writes no GPU line without gpu_usage, nor for 0 GPUs.
    [{ groupSize: 1, gpuPerNode: 2 }, []],
    [{ groupSize: 1, kwargs: { gpu_usage: true, gpu_new_syntax: true } }, []],
    [{ groupSize: 1, gpuPerNode: 2, kwargs: { gpu_usage: true } }, []],
    [{ groupSize: 1, gpuPerNode: 2, kwargs: { gpu_usage: true, gpu_new_syntax: true } }, []],
    [DPD_TEST_RESOURCES, []],
    [{ groupSize: 1, kwargs: { custom_gpu_line: "#BSUB -gpu num=4" } }, []],
    [{ groupSize: 1, gpuPerNode: 1, kwargs: { gpu_usage: true, custom_gpu_line: "" } }, []],
    [{ groupSize: 1, walltime: 90 }, ["#BSUB -W 00:02"]],
    [{ groupSize: 1, walltime: "36:00:00" }, ["#BSUB -W 36:00"]],
    [{ groupSize: 1, memory: "512M" }, ["#BSUB -M 512MB"]],
    [{ groupSize: 1, account: "proj-7" }, ["#BSUB -P proj-7"]],
    [{ groupSize: 1, qos: "high", jobName: "md" }, []],
  ];
  for (const [input, extra] of table) {
    assert.deepEqual(
      headerOf(input).split("\n"),
      [...dpdispatcherHeader(input), ...extra],
      JSON.stringify(input),
    );
  }
  const gpu = (kwargs: ResourcesInput["kwargs"]) =>
    headerOf({ groupSize: 1, gpuPerNode: 1, kwargs }).split("\n").at(-1);
  assert.equal(
    gpu({ gpuUsage: true, gpuNewSyntax: true, gpuExclusive: false }),
    "#BSUB -gpu 'num=1:mode=shared:j_exclusive=no'",
    "camelCase kwargs",
  );
  assert.equal(gpu({ customGpuLine: "#BSUB -gpu -" }), "#BSUB -gpu -");
  assert.equal(headerOf({ groupSize: 1, queueName: "a b" }).split("\n").at(-1), "#BSUB -q 'a b'");
  assert.throws(
    () => gpu({ custom_gpu_line: ["#BSUB -gpu num=1", "#BSUB -R x"] }),
    (e) => e instanceof TypeError && /resources\.kwargs\.custom_gpu_line/.test(e.message),
  );
  assert.throws(() => gpu({ gpu_usage: "yes" }), /Invalid resources\.kwargs\.gpu_usage/);
  // dpdispatcher writes `#BSUB -n 0` for cpu_per_node 0 (a DP-GEN example): refused earlier.
  assert.throws(
    () => resources({ groupSize: 1, cpuPerNode: 0 }),
    /Invalid resources\.cpuPerNode: expected an integer >= 1, got 0/,
  );
});

const SUBMIT: SchedulerFixtures["submit"] = [{
  name: "queue given, default queue, after a Please wait line; a refused queue",
  input: ["a", "b", "c", "d"].map((h) => req(h)),
  result: out(
    submitted("a", data("bsub_queue.txt")) + submitted("b", data("bsub_default_queue.txt")) +
      submitted("c", data("bsub_please_wait.txt")) +
      submitted("d", data("bsub_no_such_queue.txt"), 255),
  ),
  expect: ["ok:123", "ok:2812", "ok:124", "fatal"],
}, {
  name: "LSF down; a per-user slot limit; an unknown answer; a missing script",
  input: ["a", "b", "c", "d"].map((h) => req(h)),
  result: out(
    submitted("a", `${data("lsf_down.txt")}\n${data("lsf_down.txt")}`, 255) +
      // OpenLava's lsb.err.c reason in bsub's "<reason>. Job not submitted." form: not captured.
      submitted("b", "Queue does not have enough per-user job slots. Job not submitted.", 255) +
      submitted("c", "something nobody has seen", 255) +
      submitted("d", "bash: line 8: /r/jobs/d.sh: No such file or directory", 1),
  ),
  expect: ["transient", "limit", "transient", "fatal"],
}, {
  name: "cut off after bsub answered, and before the next one did",
  input: [req("a"), req("b")],
  result: out(`--- a\n${data("bsub_queue.txt")}\n--- b\n`, null),
  expect: ["ok:123", "transient"],
}];

const STATES = data("bjobs_json_states.txt");
const STATES_EXPECT = {
  "201": { state: "running" },
  "202": { state: "pending", reason: "New job is waiting for scheduling" },
  "203": { state: "pending", reason: "held: suspended while pending (bresume releases it)" },
  "204": {
    state: "gone",
    failure: "timeout",
    reason: "TERM_RUNLIMIT: job killed after reaching LSF run time limit; exit code 140",
  },
  "205": {
    state: "gone",
    failure: "oom",
    reason: "TERM_MEMLIMIT: job killed after reaching LSF memory usage limit",
  },
  "206": { state: "gone", failure: "cancelled", reason: "TERM_OWNER: job killed by owner" },
  "207": { state: "gone", reason: "exit code 1" },
  "208": { state: "running", reason: "suspended by LSF (host load or run window closed)" },
} as const;
const STATUS: SchedulerFixtures["status"] = [{
  name: "RUN, PEND, PSUSP, EXIT by run limit, memory limit, bkill and exit 1, SSUSP",
  input: jobs(...Object.keys(STATES_EXPECT)),
  result: out(marked("bjobs", STATES)),
  expect: STATES_EXPECT,
}, {
  name: 'DONE with EXIT_CODE "" (a verbatim record with more fields)',
  input: jobs("22005"),
  result: out(marked("bjobs", data("bjobs_json_done.txt"))),
  expect: { "22005": { state: "gone" } },
}, {
  name: "an unknown id on stderr beside the found ones (rc 255)",
  input: jobs("201", "123"),
  result: out(marked("bjobs", `${data("bjobs_not_found.txt")}\n${STATES}`, 255)),
  expect: { "201": { state: "running" }, "123": { state: "gone" } },
}, {
  name: "an unknown id as an ERROR record",
  input: jobs("201", "99"),
  result: out(marked("bjobs", data("bjobs_json_error_record.txt"), 255)),
  expect: { "201": { state: "running" }, "99": { state: "gone" } },
}, {
  name: "only unknown ids; an empty document",
  input: jobs("123"),
  result: out(marked("bjobs", data("bjobs_not_found.txt"), 255)),
  expect: { "123": { state: "gone" } },
}, {
  input: jobs("5"),
  result: out(marked("bjobs", data("bjobs_json_empty.txt"))),
  expect: { "5": { state: "gone" } },
}, {
  name: "arrays: running while an element runs; an element's run limit names the failure",
  input: jobs("301", "302", "303"),
  result: out(marked("bjobs", data("bjobs_json_array.txt"))),
  expect: {
    "301": { state: "running" },
    "302": {
      state: "gone",
      failure: "timeout",
      reason: "TERM_RUNLIMIT: job killed after reaching LSF run time limit; exit code 140",
    },
    "303": { state: "pending", reason: "New job is waiting for scheduling" },
  },
}, {
  name: "LSF is down",
  input: jobs("201"),
  result: out(marked("bjobs", `${data("lsf_down.txt")}\n${data("lsf_down.txt")}`, 255)),
  expect: "throws",
}, {
  name: "batch system daemon not responding",
  input: jobs("201"),
  result: out(marked("bjobs", data("daemon_not_responding.txt"), 255)),
  expect: "throws",
}, {
  name: "cut off inside the document",
  input: jobs("201"),
  result: out(`--- bjobs\n${STATES.slice(0, 200)}`, null),
  expect: "throws",
}, {
  name: "rc 0 but an unreadable document",
  input: jobs("201"),
  result: out(marked("bjobs", STATES.slice(0, 200) + "\n}")),
  expect: "throws",
}, {
  name: "rc 0 but nothing at all",
  input: jobs("201"),
  result: out(marked("bjobs", "")),
  expect: "throws",
}, {
  name: "no bjobs answer at all",
  input: jobs("201"),
  result: out("", 127, "bash: bjobs: command not found"),
  expect: "throws",
}];

const LOOKUP: NonNullable<SchedulerFixtures["lookup"]> = [{
  name: "one found by name, one never submitted",
  input: [req("aaa", 1), req("bbb", 0)],
  result: out(
    marked("lookup-aaa", data("bjobs_lookup.txt")) +
      marked("lookup-bbb", data("bjobs_lookup_not_found.txt"), 255),
  ),
  expect: { aaa: "130" },
}, {
  name: "an array's elements; an empty document; an ERROR record",
  input: [req("aaaaaaaaaaaa", 0), req("x", 0), req("y", 0)],
  result: out(
    marked("lookup-aaaaaaaaaaaa", data("bjobs_json_array.txt")) +
      marked("lookup-x", data("bjobs_json_empty.txt")) +
      marked(
        "lookup-y",
        '{"COMMAND":"bjobs","JOBS":1,"RECORDS":[{"ERROR":"Job <dpd-y-0> is not found"}]}',
        255,
      ),
  ),
  expect: { aaaaaaaaaaaa: "301" },
}, {
  name: "LSF is down",
  input: [req("aaa", 1)],
  result: out(marked("lookup-aaa", data("lsf_down.txt"), 255)),
  expect: "throws",
}, {
  name: "cut off before the second lookup answered",
  input: [req("aaa", 1), req("bbb", 0)],
  result: out(marked("lookup-aaa", data("bjobs_lookup.txt")), null),
  expect: "throws",
}];

const CANCEL: SchedulerFixtures["cancel"] = [
  { input: ["123"], result: out(data("bkill_terminated.txt")), expect: true },
  {
    name: "already cleaned, and already finished",
    input: ["123", "124"],
    result: out(
      "",
      255,
      `${data("bkill_no_matching.txt")}\n${data("bkill_finished.txt").replace("123", "124")}`,
    ),
    expect: true,
  },
  {
    name: "one killed, one gone",
    input: ["5", "123"],
    result: out("Job <5> is being terminated\n", 255, data("bkill_finished.txt")),
    expect: true,
  },
  {
    name: "LSF is down",
    input: ["123"],
    result: out("", 255, data("lsf_down.txt")),
    expect: false,
  },
  {
    name: "someone else's job (OpenLava's lsb.err.c text)",
    input: ["123"],
    result: out("", 255, "Job <123>: User permission denied"),
    expect: false,
  },
  { name: "bkill killed", input: ["123"], result: out("", null), expect: false },
];

const LSF_FIXTURES: SchedulerFixtures = {
  headers: HEADERS,
  submit: SUBMIT,
  status: STATUS,
  cancel: CANCEL,
  lookup: LOOKUP,
  jobId: "LSB_JOBID",
};

Deno.test("lsfScheduler passes the scheduler conformance steps", async (t) => {
  await testScheduler(t, s, LSF_FIXTURES);
});

Deno.test("lsfJobArray's scheduler passes the scheduler conformance steps", async (t) => {
  const array = lsfJobArray(undefined, { throttle: 2 }).scheduler;
  await testScheduler(t, array, {
    ...LSF_FIXTURES,
    array: {
      index: "LSB_JOBINDEX",
      base: 1,
      resources: { groupSize: 5, kwargs: { lsfJobSize: 2 } },
    },
  });
});

Deno.test("lsf() and lsfJobArray() are batch targets over the given transport", () => {
  const target = lsf();
  assert.equal(target.kind, "target");
  assert.equal(target.scheduler, s);
  assert.equal(target.executor.record.scheduler, "lsf");
  assert.equal(target.executor.queues, true);
  assert.equal(s.endFileGraceMs, 30_000);
  assert.deepEqual(s.env, { jobId: "LSB_JOBID", arrayIndex: "LSB_JOBINDEX", arrayBase: 1 });
  assert.ok(Object.isFrozen(s) && Object.isFrozen(target));
  const array = lsfJobArray();
  assert.equal(array.executor.record.scheduler, "lsfJobArray");
  assert.equal(array.executor.queues, false);
  assert.equal(
    array.scheduler.arrayChunk!(resources({ groupSize: 1, kwargs: { lsf_job_size: 3 } })),
    3,
  );
  assert.throws(() => lsfJobArray(undefined, { throttle: 0 }), /Invalid lsfJobArray\.throttle/);
  assert.deepEqual(s.cancelArgv(["1", "2"]), ["bkill", "1", "2"]);
  assert.deepEqual(s.permissions!(), { run: ["bash", "bkill"] });
});
