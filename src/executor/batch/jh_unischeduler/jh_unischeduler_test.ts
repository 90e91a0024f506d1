// The JH UniScheduler scheduler against the conformance suite, with outputs from testdata/ (all
// constructed: see its README.md), and the header against dpdispatcher's.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { dispatch } from "../../../api/dispatch.ts";
import { resources, type ResourcesInput } from "../../../plan/resources.ts";
import { task } from "../../../plan/task.ts";
import { type SchedulerFixtures, testScheduler } from "../../../testing/scheduler_suite.ts";
import { jobs, marked, out, req, submitted, testdata } from "../_fixtures.ts";
import { jhUniScheduler, jhUniSchedulerScheduler as s } from "./jh_unischeduler.ts";

const GOLDEN = new URL("./testdata/jh_header.sh", import.meta.url);
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

// dpdispatcher's tests/jsons/machine_lazy_local_jh_unischeduler.json (its resources), and the
// header tests/test_JH_UniScheduler_script_generation.py expects for it.
const DPD_RESOURCES: ResourcesInput = {
  numberNode: 1,
  cpuPerNode: 4,
  queueName: "gpu",
  gpuPerNode: 1,
  groupSize: 4,
};
const DPD_HEADER = `#!/bin/bash -l
#JSUB -e %J.err
#JSUB -o %J.out
#JSUB -n 4
#JSUB -R 'span[ptile=4]'
#JSUB -q gpu
#JSUB -gpgpu 1`;

// dpdispatcher's JH_UniScheduler.gen_script_header (dpdispatcher/machines/JH_UniScheduler.py),
// line by line; its queue line dropped when there is no queue.
function dpdispatcherHeader(r: ResourcesInput): string[] {
  const custom = (r.kwargs as Record<string, unknown> | undefined)?.custom_gpu_line;
  const [n, c] = [r.numberNode ?? 1, r.cpuPerNode ?? 1];
  return [
    "#!/bin/bash -l",
    "#JSUB -e %J.err",
    "#JSUB -o %J.out",
    `#JSUB -n ${n * c}`,
    `#JSUB -R 'span[ptile=${c}]'`,
    ...(r.queueName ? [`#JSUB -q ${r.queueName}`] : []),
    custom ? String(custom) : `#JSUB -gpgpu ${r.gpuPerNode ?? 0}`,
  ];
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
  customFlags: ['#JSUB -R "select[hname != g005]"'],
};

Deno.test("the JH header writes every line dpdispatcher writes, then the typed extras", () => {
  const [job] = dispatch({ workBase: "/w" }).on(jhUniScheduler()).with(GOLDEN_RESOURCES)
    .tasks(task({ command: "lmp", taskWorkPath: "t" })).render();
  const header = job.script.slice(0, job.script.indexOf("\n\n"));
  if (Deno.env.get("UPDATE_GOLDEN")) writeFileSync(GOLDEN, header + "\n");
  assert.equal(header + "\n", readFileSync(GOLDEN, "utf8"));
  const table: [ResourcesInput, string[]][] = [
    [{ groupSize: 1 }, []],
    [DPD_RESOURCES, []],
    [{ groupSize: 1, numberNode: 3, cpuPerNode: 4, queueName: "normal" }, []],
    [{ groupSize: 1, gpuPerNode: 2, kwargs: { custom_gpu_line: "#JSUB -gpgpu 2:exclusive" } }, []],
    [{ groupSize: 1, gpuPerNode: 2, kwargs: { custom_gpu_line: "" } }, []],
    [{ groupSize: 1, walltime: 90 }, ["#JSUB -W 00:02"]],
    [{ groupSize: 1, memory: "512M" }, ["#JSUB -M 512MB"]],
    [{ groupSize: 1, account: "proj-7" }, ["#JSUB -P proj-7"]],
    [{ groupSize: 1, qos: "high", jobName: "md" }, []],
  ];
  for (const [input, extra] of table) {
    assert.deepEqual(headerOf(input).split("\n"), [...dpdispatcherHeader(input), ...extra]);
  }
  assert.equal(
    headerOf({ groupSize: 1, kwargs: { customGpuLine: "#JSUB -gpgpu 1" } }).split("\n").at(-1),
    "#JSUB -gpgpu 1",
  );
  assert.throws(
    () => headerOf({ groupSize: 1, kwargs: { custom_gpu_line: ["a", "b"] } }),
    /Invalid resources\.kwargs\.custom_gpu_line/,
  );
});

const HEADERS: SchedulerFixtures["headers"] = [
  { resources: GOLDEN_RESOURCES, header: readFileSync(GOLDEN, "utf8") },
  { resources: DPD_RESOURCES, header: DPD_HEADER },
];

const SUBMIT: SchedulerFixtures["submit"] = [{
  name: "a queue given, the default queue; a refused queue; the daemon down",
  input: ["a", "b", "c", "d"].map((h) => req(h)),
  result: out(
    submitted("a", data("jsub_queue.txt")) + submitted("b", data("jsub_default_queue.txt")) +
      submitted("c", data("jsub_no_such_queue.txt"), 255) +
      submitted("d", data("jh_down.txt"), 255),
  ),
  expect: ["ok:123", "ok:2812", "fatal", "transient"],
}, {
  name: "a missing script; cut off after jsub answered",
  input: [req("a"), req("b")],
  result: out(
    submitted("a", "bash: line 8: /r/jobs/a.sh: No such file or directory", 1) +
      `--- b\n${data("jsub_queue.txt")}\n`,
    null,
  ),
  expect: ["fatal", "ok:123"],
}];

const STATUS: SchedulerFixtures["status"] = [{
  name: "RUN, PEND, PSUSP, DONE, EXIT, SSUSP; an id not found",
  input: jobs("201", "202", "203", "204", "205", "206", "123"),
  result: out(marked("jjobs", `${data("jjobs_not_found.txt")}\n${data("jjobs_states.txt")}`, 255)),
  expect: {
    "201": { state: "running" },
    "202": { state: "pending", reason: "waiting in the queue to be scheduled" },
    "203": { state: "pending", reason: "held: suspended while pending" },
    "204": { state: "gone" },
    "205": { state: "gone", reason: "exited (JH UniScheduler state EXIT)" },
    "206": { state: "running", reason: "suspended by LSF (host load or run window closed)" },
    "123": { state: "gone" },
  },
}, {
  name: "only ids not found",
  input: jobs("123"),
  result: out(marked("jjobs", data("jjobs_not_found.txt"), 255)),
  expect: { "123": { state: "gone" } },
}, {
  name: "the daemon does not answer",
  input: jobs("201"),
  result: out(marked("jjobs", data("jh_down.txt"), 255)),
  expect: "throws",
}, {
  name: "rc 255 and nothing printed",
  input: jobs("201"),
  result: out(marked("jjobs", "", 255)),
  expect: "throws",
}, {
  name: "cut off",
  input: jobs("201"),
  result: out(`--- jjobs\n${data("jjobs_states.txt")}`, null),
  expect: "throws",
}];

const CANCEL: SchedulerFixtures["cancel"] = [
  { input: ["123"], result: out(data("jctrl_killed.txt")), expect: true },
  {
    name: "one killed, one gone, one finished",
    input: ["123", "5", "124"],
    result: out(
      "Job <5> is being terminated\n",
      255,
      `${data("jctrl_no_matching.txt")}\n${data("jctrl_finished.txt")}`,
    ),
    expect: true,
  },
  {
    name: "the daemon down",
    input: ["1"],
    result: out("", 255, data("jh_down.txt")),
    expect: false,
  },
  { name: "jctrl killed", input: ["1"], result: out("", null), expect: false },
];

const LOOKUP: NonNullable<SchedulerFixtures["lookup"]> = [{
  name: "one found by name, one never submitted",
  input: [req("aaa", 1), req("bbb", 0)],
  result: out(
    marked("lookup-aaa", data("jjobs_lookup.txt")) +
      marked("lookup-bbb", "Job <dpd-bbb-0> is not found", 255),
  ),
  expect: { aaa: "130" },
}, {
  name: "LSF's own answer to a name it does not know",
  input: [req("ccc", 0)],
  result: out(marked("lookup-ccc", "No job found", 255)),
  expect: {},
}, {
  name: "the daemon down",
  input: [req("aaa", 1)],
  result: out(marked("lookup-aaa", data("jh_down.txt"), 255)),
  expect: "throws",
}];

Deno.test("jhUniSchedulerScheduler passes the scheduler conformance steps", async (t) => {
  await testScheduler(t, s, {
    headers: HEADERS,
    submit: SUBMIT,
    status: STATUS,
    cancel: CANCEL,
    lookup: LOOKUP,
  });
});

Deno.test("jhUniScheduler() is a batch target; endFileGraceMs is checked", () => {
  const target = jhUniScheduler();
  assert.equal(target.scheduler, s);
  assert.equal(target.executor.record.scheduler, "jhUniScheduler");
  assert.equal(target.executor.queues, true);
  assert.ok(Object.isFrozen(s) && Object.isFrozen(target));
  assert.equal(jhUniScheduler(undefined, { endFileGraceMs: 5 }).scheduler.endFileGraceMs, 5);
  assert.throws(
    () => jhUniScheduler(undefined, { endFileGraceMs: 1.5 }),
    /Invalid jhUniScheduler\.endFileGraceMs/,
  );
  assert.deepEqual(s.cancelArgv(["1", "2"]), ["jctrl", "kill", "1", "2"]);
  assert.deepEqual(s.permissions!(), { run: ["bash", "jctrl"] });
});
