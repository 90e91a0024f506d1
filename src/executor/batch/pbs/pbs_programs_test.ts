// The bash programs the PBS scheduler builds, run for real against stand-ins for qsub, qstat,
// qselect and qdel that print the OpenPBS outputs of testdata/ and log their argv.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { calls, runWith, standIns } from "../_fixtures.ts";
import type { SubmitRequest } from "../scheduler.ts";
import { pbsJobArray, pbsScheduler as s } from "./pbs.ts";

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

const QSUB = `case "$*" in
  *dpd-ok-1*) cat "$TESTDATA/qsub_id.txt";;
  *dpd-arr*) cat "$TESTDATA/qsub_id_array.txt";;
  *) cat "$TESTDATA/qsub_unknown_queue.txt" >&2; exit 170;;
esac`;

Deno.test("the submit program passes name, logs, attempt and script to qsub", async () => {
  const where = await standIns({ qsub: QSUB });
  const dir = `/tmp/it's a "dir" $HOME`;
  const requests = [req("ok", dir), req("bad")];
  const result = run(s.submitArgv(requests), where);
  assert.deepEqual(s.parseSubmit(result, requests), [
    { ok: true, id: "1008.qot-calc0" },
    { ok: false, kind: "fatal", error: "qsub: Unknown queue" },
  ]);
  assert.deepEqual(calls(where.log)[0], [
    "qsub",
    "-N",
    "dpd-ok-1",
    "-o",
    `${dir}/ok.1.out`,
    "-e",
    `${dir}/ok.1.err`,
    "-v",
    "DPD_ATTEMPT=1",
    `${dir}/ok.sh`,
  ]);
});

Deno.test("the array submit program passes one -J range and a log per subjob", async () => {
  const where = await standIns({ qsub: QSUB });
  const array = pbsJobArray().scheduler;
  const asked = [[1, 2], [0, 2, 4], [3], [0], [0, 1, 5]].map((elements, i) => ({
    ...req(`arr${i}`),
    elements,
  }));
  const out = array.parseSubmit(run(array.submitArgv(asked), where), asked);
  assert.deepEqual(out.map((o) => o.ok && o.id), Array(5).fill("1009[].qot-calc0"));
  const argv = calls(where.log);
  const logs = (i: number, tag: string) => [
    "-o",
    `/r/jobs/arr${i}.1.${tag}.out`,
    "-e",
    `/r/jobs/arr${i}.1.${tag}.err`,
  ];
  const tail = ["-v", "DPD_ATTEMPT=1"];
  assert.deepEqual(argv[0].slice(3), [
    ...logs(0, "^array_index^"),
    ...tail,
    "-J",
    "1-2",
    "/r/jobs/arr0.sh",
  ]);
  assert.deepEqual(argv[1].slice(-3), ["-J", "0-4:2", "/r/jobs/arr1.sh"]);
  // A single subjob k runs with its finished neighbour k-1 (-J 3-3 is refused); subjob 0 alone
  // runs as a plain job (PBS_ARRAY_INDEX unset: the script reads element 0), logs named .0.
  assert.deepEqual(argv[2].slice(-3), ["-J", "2-3", "/r/jobs/arr2.sh"]);
  assert.deepEqual(argv[3].slice(3), [...logs(3, "0"), ...tail, "/r/jobs/arr3.sh"]);
  assert.deepEqual(argv[4].slice(-3), ["-J", "0-5", "/r/jobs/arr4.sh"]);
});

Deno.test("the status program runs one qstat -f -F json -x for every id", async () => {
  const where = await standIns({
    qstat: `cat "$TESTDATA/qstat_unknown_some.txt" >&2; exit 153`,
  });
  const asked = [{ id: "1008.qot-calc0", hash: "a" }, { id: "1099.qot-calc0", hash: "b" }];
  const st = s.parseStatus(run(s.statusArgv(asked), where), asked);
  assert.deepEqual(Object.fromEntries(st), {
    "1008.qot-calc0": { state: "running" },
    "1099.qot-calc0": { state: "gone" },
  });
  assert.deepEqual(calls(where.log), [
    ["qstat", "-f", "-F", "json", "-x", "1008.qot-calc0", "1099.qot-calc0"],
  ]);
  // Array ids keep their brackets as one word each.
  await Deno.remove(where.log);
  run(s.statusArgv([{ id: "1009[].qot-calc0", hash: "c" }]), where);
  assert.deepEqual(calls(where.log), [["qstat", "-f", "-F", "json", "-x", "1009[].qot-calc0"]]);
});

Deno.test("a server without job history: qstat and qselect run again without -x", async () => {
  const where = await standIns({
    qstat: `case "$*" in
  *-x*) cat "$TESTDATA/qstat_history_off.txt" >&2;;
  *) cat "$TESTDATA/qstat_json_running.txt";;
esac`,
    qselect: `case "$*" in
  *-x*) echo "qselect: PBS is not configured to maintain job history" >&2;;
  *) cat "$TESTDATA/qselect_found.txt";;
esac`,
  });
  const asked = [{ id: "1008.qot-calc0", hash: "a" }];
  const st = s.parseStatus(run(s.statusArgv(asked), where), asked);
  assert.deepEqual(Object.fromEntries(st), { "1008.qot-calc0": { state: "running" } });
  const found = s.parseLookup!(run(s.lookupArgv!([req("a")]), where), [req("a")]);
  assert.deepEqual(Object.fromEntries(found), { a: "1008.qot-calc0" });
  assert.deepEqual(calls(where.log), [
    ["qstat", "-f", "-F", "json", "-x", "1008.qot-calc0"],
    ["qstat", "-f", "-F", "json", "1008.qot-calc0"],
    ["qselect", "-x", "-N", "dpd-a-1"],
    ["qselect", "-N", "dpd-a-1"],
  ]);
});

Deno.test("the lookup program runs one qselect -x -N per name", async () => {
  const where = await standIns({
    qselect: `case "$3" in
  dpd-live-1) cat "$TESTDATA/qselect_found.txt";;
  dpd-arr-1) cat "$TESTDATA/qselect_array.txt";;
esac`,
  });
  const requests = [req("live"), req("arr"), req("never")];
  const found = s.parseLookup!(run(s.lookupArgv!(requests), where), requests);
  assert.deepEqual(Object.fromEntries(found), { live: "1008.qot-calc0", arr: "1009[].qot-calc0" });
  assert.deepEqual(calls(where.log), [
    ["qselect", "-x", "-N", "dpd-live-1"],
    ["qselect", "-x", "-N", "dpd-arr-1"],
    ["qselect", "-x", "-N", "dpd-never-1"],
  ]);
});

Deno.test("an unreachable server: status and lookup throw, a cancel fails", async () => {
  const where = await standIns({
    qstat: `cat "$TESTDATA/qstat_unreachable.txt" >&2; exit 255`,
    qselect: `cat "$TESTDATA/qselect_unreachable.txt" >&2; exit 255`,
    qdel: `cat "$TESTDATA/qdel_unreachable.txt" >&2; exit 162`,
  });
  const asked = [{ id: "1008.qot-calc0", hash: "a" }];
  assert.throws(
    () => s.parseStatus(run(s.statusArgv(asked), where), asked),
    /qstat failed: qstat: cannot connect to server/,
  );
  assert.throws(
    () => s.parseLookup!(run(s.lookupArgv!([req("a")]), where), [req("a")]),
    /Cannot look up submitted jobs with qselect: qselect: cannot connect/,
  );
  const ids = ["1008.qot-calc0"];
  assert.equal(s.parseCancel!(run(s.cancelArgv(ids), where), ids), false);
  assert.deepEqual(calls(where.log).at(-1), ["qdel", "1008.qot-calc0"]);
});
