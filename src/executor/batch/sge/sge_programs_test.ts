// The bash programs the SGE scheduler builds, run for real against stand-ins for qsub, qstat and
// qacct that print Son of Grid Engine 8.1.9's captured outputs (testdata/) and log their argv.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { calls, runWith, standIns } from "../_fixtures.ts";
import type { SubmitRequest } from "../scheduler.ts";
import { sgeJobArray, sgeScheduler as s } from "./sge.ts";

const TESTDATA = fileURLToPath(new URL("./testdata", import.meta.url));

const run = (argv: readonly string[], where: { bin: string; log: string }) =>
  runWith(argv, where, { TESTDATA });

const req = (hash: string, dir = "/r/jobs"): SubmitRequest => ({
  hash,
  name: `dpd-${hash}`,
  attempt: 1,
  script: `${dir}/${hash}.sh`,
  attemptPrefix: `${dir}/${hash}.1`,
});

Deno.test("the submit program passes name, logs, directory, script and attempt to qsub", async () => {
  const where = await standIns({
    qsub: `case "$*" in
  *dpd-ok-1*) cat "$TESTDATA/qsub_terse.txt";;
  *dpd-arr-1*) cat "$TESTDATA/qsub_terse_array.txt";;
  *) cat "$TESTDATA/qsub_unknown_queue.txt" >&2; exit 1;;
esac`,
  });
  const dir = `/tmp/it's a "dir" $HOME`;
  const requests = [req("ok", dir), req("bad")];
  const result = run(s.submitArgv(requests), where);
  assert.deepEqual(s.parseSubmit(result, requests), [
    { ok: true, id: "5" },
    {
      ok: false,
      kind: "fatal",
      error: 'Unable to run job: Job was rejected because job requests unknown queue "nosuch.q"',
    },
  ]);
  assert.deepEqual(calls(where.log)[0], [
    "qsub",
    "-terse",
    "-wd",
    dir,
    "-N",
    "dpd-ok-1",
    "-o",
    `${dir}/ok.1.out`,
    "-e",
    `${dir}/ok.1.err`,
    `${dir}/ok.sh`,
    "1",
  ]);
  // An array: one -t range over the unfinished elements (1-based), the throttle, a log per task.
  const array = sgeJobArray(undefined, { throttle: 2 }).scheduler;
  const elements = [{ ...req("arr"), elements: [1, 2] }, { ...req("arr"), elements: [0, 2, 4] }];
  await Deno.remove(where.log);
  const out = array.parseSubmit(run(array.submitArgv(elements), where), elements);
  assert.deepEqual(out[0], { ok: true, id: "4" });
  const [first, second] = calls(where.log);
  assert.deepEqual(first.slice(5, 13), [
    "dpd-arr-1",
    "-t",
    "2-3",
    "-tc",
    "2",
    "-o",
    "/r/jobs/arr.1.$TASK_ID.out",
    "-e",
  ]);
  assert.deepEqual(second.slice(6, 8), ["-t", "1-5:2"]);
});

Deno.test("the status program runs one qstat, and qacct only for the ids qstat does not list", async () => {
  const where = await standIns({
    qstat: `cat "$TESTDATA/qstat_xml.txt"`,
    qacct: `case "$2" in
  3) cat "$TESTDATA/qacct_exit3.txt";;
  *) echo "error: job id $2 not found" >&2; exit 1;;
esac`,
  });
  // Jobs 2 and 5 are listed; 1, 20 and 201 are not, though "1", "20" and "201" are in its text.
  const asked = [
    { id: "2", hash: "a" },
    { id: "5", hash: "b" },
    { id: "3", hash: "c" },
    {
      id: "1",
      hash: "d",
    },
    { id: "201", hash: "e" },
    { id: "20", hash: "f" },
  ];
  const st = s.parseStatus(run(s.statusArgv(asked), where), asked);
  assert.deepEqual(Object.fromEntries(st), {
    "2": { state: "running" },
    "5": { state: "pending", reason: "waiting in the queue for a free slot" },
    "3": { state: "gone", reason: "exit status 3" },
    "1": { state: "gone" },
    "201": { state: "gone" },
    "20": { state: "gone" },
  });
  assert.deepEqual(calls(where.log), [
    ["qstat", "-xml"],
    ["qacct", "-j", "3"],
    ["qacct", "-j", "1"],
    ["qacct", "-j", "201"],
    ["qacct", "-j", "20"],
  ]);
});

Deno.test("an unreachable qmaster: no qacct runs, status and lookup throw", async () => {
  const where = await standIns({
    qstat: `cat "$TESTDATA/qstat_qmaster_unreachable.txt" >&2; exit 1`,
    qacct: `cat "$TESTDATA/qacct_exit0.txt"`,
  });
  const asked = [{ id: "2", hash: "a" }];
  assert.throws(
    () => s.parseStatus(run(s.statusArgv(asked), where), asked),
    /qstat exited with code 1: error: commlib error/,
  );
  assert.throws(
    () => s.parseLookup!(run(s.lookupArgv!([req("a")]), where), [req("a")]),
    /Cannot look up submitted jobs: qstat exited with code 1/,
  );
  assert.deepEqual(calls(where.log), [["qstat", "-xml"], ["qstat", "-xml"]]);
});

Deno.test("the lookup program finds attempts by full name in qstat, then in qacct", async () => {
  const where = await standIns({
    qstat: `sed 's/<JB_name>rsok</<JB_name>dpd-live-1</' "$TESTDATA/qstat_xml.txt"`,
    qacct: `case "$2" in
  dpd-done-1) sed 's/^jobname      rsok/jobname      dpd-done-1/' "$TESTDATA/qacct_exit0.txt";;
  *) echo "error: job name $2 not found" >&2; exit 1;;
esac`,
  });
  const requests = [req("live"), req("done"), req("never")];
  const found = s.parseLookup!(run(s.lookupArgv!(requests), where), requests);
  assert.deepEqual(Object.fromEntries(found), { live: "2", done: "2" });
  assert.deepEqual(calls(where.log), [
    ["qstat", "-xml"],
    ["qacct", "-j", "dpd-done-1"],
    ["qacct", "-j", "dpd-never-1"],
  ]);
});
