// The bash programs the LSF scheduler builds, run for real against stand-ins for bsub and bjobs
// that print the outputs in testdata/ and log their argv, environment, directory and stdin.
import assert from "node:assert/strict";
import { fileURLToPath } from "node:url";
import { calls, runWith, standIns } from "../_fixtures.ts";
import type { SubmitRequest } from "../scheduler.ts";
import { lsfJobArray, lsfScheduler as s } from "./lsf.ts";

const TESTDATA = fileURLToPath(new URL("./testdata", import.meta.url));
const FIELDS = "jobid job_name stat exit_code exit_reason pend_reason";

const run = (argv: readonly string[], where: { bin: string; log: string }) =>
  runWith(argv, where, { TESTDATA });

const req = (hash: string, dir = "/r/jobs"): SubmitRequest => ({
  hash,
  name: `dpd-${hash}`,
  attempt: 1,
  script: `${dir}/${hash}.sh`,
  attemptPrefix: `${dir}/${hash}.1`,
});

// bsub logs its attempt variable and directory, keeps its stdin, and answers by job name.
const BSUB = `echo "env|$DPD_ATTEMPT|$PWD" >> "$DPD_LOG"
cat > "$DPD_LOG.stdin.$2"
case "$2" in
  dpd-ok-1) cat "$TESTDATA/bsub_queue.txt";;
  dpd-arr-1*) cat "$TESTDATA/bsub_default_queue.txt";;
  *) cat "$TESTDATA/bsub_no_such_queue.txt" >&2; exit 255;;
esac`;

Deno.test("the submit program runs bsub in the jobs directory, the script on its stdin", async () => {
  const where = await standIns({ bsub: BSUB });
  const dir = `${where.bin}/it's a "dir" $HOME`;
  await Deno.mkdir(dir);
  const script = "#!/bin/bash -l\n#BSUB -n 1\necho hi\n";
  await Deno.writeTextFile(`${dir}/ok.sh`, script);
  await Deno.writeTextFile(`${dir}/bad.sh`, script);
  const requests = [req("ok", dir), req("bad", dir), req("gone", `${where.bin}/missing`)];
  const result = run(s.submitArgv(requests), where);
  const outcomes = s.parseSubmit(result, requests);
  assert.deepEqual(outcomes.slice(0, 2), [
    { ok: true, id: "123" },
    { ok: false, kind: "fatal", error: "nosuch: No such queue. Job not submitted." },
  ]);
  // A jobs directory that does not exist: cd says so, and bsub never runs.
  assert.ok(!outcomes[2].ok && outcomes[2].kind === "fatal", JSON.stringify(outcomes[2]));
  assert.match(!outcomes[2].ok ? outcomes[2].error : "", /No such file or directory/);
  const log = calls(where.log);
  assert.deepEqual(log.slice(0, 2), [
    ["bsub", "-J", "dpd-ok-1", "-o", `${dir}/ok.1.out`, "-e", `${dir}/ok.1.err`],
    ["env", "1", dir],
  ]);
  assert.equal(log.length, 4, "bsub ran for the two jobs whose directory exists");
  assert.equal(await Deno.readTextFile(`${where.log}.stdin.dpd-ok-1`), script);
});

Deno.test("an array's elements go in -J as 1-based ranges with the throttle, logs per %I", async () => {
  const where = await standIns({ bsub: BSUB });
  const array = lsfJobArray(undefined, { throttle: 2 }).scheduler;
  const dir = `${where.bin}/jobs`;
  await Deno.mkdir(dir);
  await Deno.writeTextFile(`${dir}/arr.sh`, "#!/bin/bash\n");
  const requests = [
    { ...req("arr", dir), elements: [1, 2] },
    { ...req("arr", dir), elements: [0, 2, 3, 4, 6] },
  ];
  const out = array.parseSubmit(run(array.submitArgv(requests), where), requests);
  assert.deepEqual(out, [{ ok: true, id: "2812" }, { ok: true, id: "2812" }]);
  const bsubs = calls(where.log).filter((c) => c[0] === "bsub");
  assert.deepEqual(bsubs, [
    ["bsub", "-J", "dpd-arr-1[2-3]%2", "-o", `${dir}/arr.1.%I.out`, "-e", `${dir}/arr.1.%I.err`],
    [
      "bsub",
      "-J",
      "dpd-arr-1[1,3-5,7]%2",
      "-o",
      `${dir}/arr.1.%I.out`,
      "-e",
      `${dir}/arr.1.%I.err`,
    ],
  ]);
  // Without a throttle, no %.
  const plain = lsfJobArray().scheduler;
  await Deno.remove(where.log);
  run(plain.submitArgv([requests[0]]), where);
  assert.equal(calls(where.log)[0][2], "dpd-arr-1[2-3]");
});

Deno.test("the status program runs one bjobs for every id, with the JSON fields", async () => {
  const where = await standIns({
    bjobs:
      `cat "$TESTDATA/bjobs_not_found.txt" >&2; cat "$TESTDATA/bjobs_json_states.txt"; exit 255`,
  });
  const asked = [{ id: "201", hash: "a" }, { id: "204", hash: "b" }, { id: "123", hash: "c" }];
  const st = s.parseStatus(run(s.statusArgv(asked), where), asked);
  assert.deepEqual(Object.fromEntries(st), {
    "201": { state: "running" },
    "204": {
      state: "gone",
      failure: "timeout",
      reason: "TERM_RUNLIMIT: job killed after reaching LSF run time limit; exit code 140",
    },
    "123": { state: "gone" },
  });
  assert.deepEqual(calls(where.log), [["bjobs", "-a", "-o", FIELDS, "-json", "201", "204", "123"]]);
});

Deno.test("an unreachable mbatchd: status and lookup throw", async () => {
  const where = await standIns({
    bjobs: `cat "$TESTDATA/lsf_down.txt" "$TESTDATA/daemon_not_responding.txt" >&2; exit 255`,
  });
  const asked = [{ id: "201", hash: "a" }];
  assert.throws(
    () => s.parseStatus(run(s.statusArgv(asked), where), asked),
    /master batch daemon did not answer: bjobs exited with code 255: LSF is down/,
  );
  assert.throws(
    () => s.parseLookup!(run(s.lookupArgv!([req("a")]), where), [req("a")]),
    /Cannot look up submitted jobs/,
  );
});

Deno.test("the lookup program asks bjobs -a -J for each attempt's name", async () => {
  const where = await standIns({
    bjobs: `case "$3" in
  dpd-aaa-1) cat "$TESTDATA/bjobs_lookup.txt";;
  *) echo "Job <$3> is not found" >&2; exit 255;;
esac`,
  });
  const requests = [req("aaa"), { ...req("bbb"), name: "dpd-b'b $x" }];
  const found = s.parseLookup!(run(s.lookupArgv!(requests), where), requests);
  assert.deepEqual(Object.fromEntries(found), { aaa: "130" });
  assert.deepEqual(calls(where.log), [
    ["bjobs", "-a", "-J", "dpd-aaa-1", "-o", "jobid job_name", "-json"],
    ["bjobs", "-a", "-J", "dpd-b'b $x-1", "-o", "jobid job_name", "-json"],
  ]);
});
