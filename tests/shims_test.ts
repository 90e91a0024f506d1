import assert from "node:assert/strict";
import { execFile, execFileSync } from "node:child_process";
import { promisify } from "node:util";
import { tempDir } from "./_helpers.ts";
import { skipSlurm } from "./_slurm.ts";
import { shimPath, withShims } from "./_shims.ts";

const ignore = skipSlurm();
const execFileAsync = promisify(execFile);
const DATA = new URL("../scripts/shims/testdata/", import.meta.url).pathname;

type Out = { rc: number; stdout: string; stderr: string };

async function sh(
  kind: "pbs" | "lsf",
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string; env?: Record<string, string> } = {},
): Promise<Out> {
  const env = withShims(kind, opts.env);
  if (opts.input !== undefined) {
    // bsub reads the job script on stdin
    const p = new Deno.Command(`${shimPath(kind)}/${cmd}`, {
      args,
      cwd: opts.cwd,
      env,
      clearEnv: true,
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const w = p.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.input));
    await w.close();
    const o = await p.output();
    const d = new TextDecoder();
    return { rc: o.code, stdout: d.decode(o.stdout), stderr: d.decode(o.stderr) };
  }
  try {
    const { stdout, stderr } = await execFileAsync(`${shimPath(kind)}/${cmd}`, args, {
      cwd: opts.cwd,
      env,
      encoding: "utf8",
    });
    return { rc: 0, stdout, stderr };
  } catch (e) {
    const err = e as { code?: number; stdout?: string; stderr?: string };
    return { rc: err.code ?? -1, stdout: err.stdout ?? "", stderr: err.stderr ?? "" };
  }
}

/** A verbatim sample from testdata with `<ID>` replaced. */
function sample(path: string, id = ""): string {
  return Deno.readTextFileSync(`${DATA}${path}`).replaceAll("<ID>", id);
}

/** OpenPBS ≤23.06's JSON printer: 4-space indent, `"key":value`, one member per line. */
function pbsJson(v: unknown, indent = 0): string {
  const pad = " ".repeat(indent);
  if (v !== null && typeof v === "object") {
    const items = Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${pad}    ${JSON.stringify(k)}:${pbsJson(x, indent + 4)}`);
    return items.length ? `{\n${items.join(",\n")}\n${pad}}` : `{\n${pad}}`;
  }
  return JSON.stringify(v);
}

/** LSF 10.1's bjobs -json printer: 2-space indent, string values, `/` escaped. */
function lsfJson(doc: { COMMAND: string; JOBS: number; RECORDS: Record<string, string>[] }) {
  const s = (x: unknown) => JSON.stringify(x).replaceAll("/", "\\/");
  const recs = doc.RECORDS.map((r) =>
    `    {\n${Object.entries(r).map(([k, v]) => `      ${s(k)}:${s(v)}`).join(",\n")}\n    }`
  );
  return `{\n  "COMMAND":${s(doc.COMMAND)},\n  "JOBS":${doc.JOBS},\n  "RECORDS":[\n` +
    (recs.length ? recs.join(",\n") + "\n" : "") + "  ]\n}\n";
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 60_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** A slurm.conf whose controller and database ports answer nothing (Slurm "down"). */
async function downEnv(): Promise<Record<string, string>> {
  const dir = await tempDir("dpd-slurm-down-");
  const conf = (await Deno.readTextFile("/etc/slurm/slurm.conf"))
    .replace(/^SlurmctldPort=.*$/m, "SlurmctldPort=6999")
    .replace(/^AccountingStoragePort=.*$/m, "AccountingStoragePort=6998");
  await Deno.writeTextFile(`${dir}/slurm.conf`, conf);
  try {
    await Deno.copyFile("/etc/slurm/cgroup.conf", `${dir}/cgroup.conf`);
  } catch { /* optional */ }
  return { ...Deno.env.toObject(), SLURM_CONF: `${dir}/slurm.conf` };
}

/** Slurm's walltime granularity is one minute; this expires a running job's limit now. */
function expireWalltime(slurmId: string) {
  execFileSync("scontrol", ["update", `jobid=${slurmId}`, "TimeLimit=0"]);
}

function slurmState(slurmId: string): string {
  return execFileSync("squeue", ["-h", "-t", "all", "-j", slurmId, "-o", "%T"], {
    encoding: "utf8",
  }).trim();
}

// ---------------------------------------------------------------- PBS

Deno.test(
  { name: "shims/pbs: qsub, qstat -f -F json -x, qdel, qselect on real Slurm", ignore },
  async () => {
    const dir = await tempDir("dpd-shim-pbs-");
    const tag = `s${Date.now() % 1e8}`;
    const script = (name: string, body: string, extra = "") =>
      `#!/bin/bash\n#PBS -N ${name}\n#PBS -l select=1:ncpus=1\n#PBS -j oe\n${extra}${body}\n`;
    const files: Record<string, string> = {
      run: script(`${tag}run`, "sleep 120"),
      ok: script(`${tag}ok`, 'echo "$PBS_JOBID|$FOO|$PBS_O_WORKDIR|$PWD"; exit 0'),
      fail: script(`${tag}fail`, "exit 3"),
      wall: script(`${tag}wall`, "sleep 300", "#PBS -l walltime=00:00:05\n"),
    };
    for (const [k, v] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${k}.sh`, v);
    const [run, ok, fail, wall, arr] = await Promise.all([
      sh("pbs", "qsub", ["run.sh"], { cwd: dir }),
      sh("pbs", "qsub", ["-v", "FOO=bar,BAZ=1", "ok.sh"], { cwd: dir }),
      sh("pbs", "qsub", ["fail.sh"], { cwd: dir }),
      sh("pbs", "qsub", ["wall.sh"], { cwd: dir }),
      sh("pbs", "qsub", ["-J", "1-3", "-N", `${tag}arr`, "ok.sh"], { cwd: dir }),
    ]);
    const seq = (o: Out) => o.stdout.match(/^(\d+)/)?.[1] ?? "";
    for (const o of [run, ok, fail, wall]) {
      assert.equal(o.rc, 0, o.stderr);
      assert.equal(o.stderr, "");
      assert.equal(o.stdout, sample("pbs/qsub.out", seq(o)));
    }
    assert.equal(arr.stdout, sample("pbs/qsub_array.out", seq(arr)));

    // submit errors
    const [badq, nofile, badopt] = await Promise.all([
      sh("pbs", "qsub", ["-q", "nosuch", "ok.sh"], { cwd: dir }),
      sh("pbs", "qsub", ["missing.sh"], { cwd: dir }),
      sh("pbs", "qsub", ["-Z", "ok.sh"], { cwd: dir }),
    ]);
    assert.deepEqual([badq.rc, badq.stdout, badq.stderr], [
      170,
      "",
      sample("pbs/qsub_unknown_queue.err"),
    ]);
    assert.deepEqual([nofile.rc, nofile.stderr], [1, sample("pbs/qsub_not_a_file.err")]);
    assert.equal(badopt.rc, 2);
    assert.match(badopt.stderr, /^qsub: invalid option -- 'Z'\nusage: qsub /);

    const qstat = async (...ids: string[]) => {
      const o = await sh("pbs", "qstat", ["-f", "-F", "json", "-x", ...ids]);
      const doc = JSON.parse(o.stdout);
      // byte for byte: OpenPBS 23's printer layout
      assert.equal(o.stdout, pbsJson(doc) + "\n");
      return { o, doc, jobs: (doc.Jobs ?? {}) as Record<string, Record<string, unknown>> };
    };
    const id = (o: Out) => o.stdout.trim();

    // a running job
    const running = await waitFor("running job", async () => {
      const q = await qstat(id(run), id(wall));
      return q.jobs[id(run)]?.job_state === "R" && q.jobs[id(wall)]?.job_state === "R"
        ? q
        : undefined;
    });
    expireWalltime(seq(wall));
    assert.equal(running.o.rc, 0);
    assert.equal(running.doc.pbs_version, "23.06.06");
    assert.equal(running.doc.pbs_server, "pbs-shim");
    assert.equal(typeof running.doc.timestamp, "number");
    const r = running.jobs[id(run)];
    assert.equal(r.Job_Name, `${tag}run`);
    assert.equal(r.queue, "workq");
    assert.equal(r.substate, 42);
    assert.equal(r.Exit_status, undefined);
    assert.match(
      String(r.comment),
      /^Job run at \w{3} \w{3} \d\d at \d\d:\d\d on \(\S+:ncpus=1\)$/,
    );
    assert.equal((r.Resource_List as Record<string, unknown>).select, "1:ncpus=1");
    // same keys, in the same order, as the real 20.0.1 capture (where both have them)
    const capture = Deno.readTextFileSync(`${DATA}pbs/qstat_f_json_20.0.1_capture.json`);
    assert.equal(pbsJson(JSON.parse(capture)) + "\n", capture, "capture layout = printer");
    const capJob = Object.values(JSON.parse(capture).Jobs)[0] as Record<string, unknown>;
    const common = Object.keys(capJob).filter((k) => k in r);
    assert.deepEqual(Object.keys(r).filter((k) => k in capJob), common);
    assert.ok(common.length >= 12, common.join(","));

    // the plain table
    const table = await sh("pbs", "qstat", [id(run)]);
    assert.equal(table.rc, 0);
    assert.ok(table.stdout.startsWith(sample("pbs/qstat_header.out")));
    assert.match(
      table.stdout.split("\n")[2],
      new RegExp(`^${seq(run)}\\.pbs-shim +${tag}run +root +(0|00:00:\\d\\d) R workq +$`),
    );

    // qdel of a running job: silent, rc 0; then F 271
    const del = await sh("pbs", "qdel", [id(run)]);
    assert.deepEqual([del.rc, del.stdout, del.stderr], [0, "", ""]);

    // finished jobs (history kept), walltime kill, cancelled, unknown id: one document, rc 153
    const unknown = "99999999.pbs-shim";
    const fin = await waitFor("finished jobs", async () => {
      const q = await qstat(id(ok), id(fail), id(wall), id(run), unknown, id(arr));
      const done = [ok, fail, wall, run].every((o) => q.jobs[id(o)]?.job_state === "F");
      return done && q.jobs[id(arr)]?.job_state === "F" ? q : undefined;
    }, 70_000);
    assert.equal(fin.o.rc, 153);
    assert.equal(fin.o.stderr, sample("pbs/qstat_unknown.err", "99999999"));
    const ex = (o: Out) => fin.jobs[id(o)];
    assert.deepEqual([ex(ok).Exit_status, ex(ok).substate], [0, 92]);
    assert.deepEqual([ex(fail).Exit_status, ex(fail).substate], [3, 93]);
    assert.deepEqual([ex(wall).Exit_status, ex(run).Exit_status], [-29, 271]);
    assert.match(String(ex(ok).comment), / and finished$/);
    assert.match(String(ex(fail).comment), / and failed$/);
    assert.match(String(ex(wall).comment), / and exceeded resource walltime$/);
    assert.match(String(ex(run).comment), / and terminated$/);
    assert.equal((ex(wall).Resource_List as Record<string, unknown>).walltime, "00:00:05");
    assert.equal(ex(arr).array, "True");
    assert.equal(ex(arr).array_state_count, "Queued:0 Running:0 Exiting:0 Expired:3 ");
    assert.equal(slurmState(seq(wall)), "TIMEOUT");
    assert.equal(
      ex(ok).Variable_List && (ex(ok).Variable_List as Record<string, string>).FOO,
      "bar",
    );
    // the job saw PBS's variables and started in $HOME like a PBS job
    const okOut = await Deno.readTextFile(`${dir}/${tag}ok.o${seq(ok)}`);
    assert.equal(okOut, `${id(ok)}|bar|${dir}|${Deno.env.get("HOME")}\n`);
    const sub2 = await qstat(`${seq(arr)}[2].pbs-shim`);
    assert.equal(sub2.jobs[`${seq(arr)}[2].pbs-shim`].job_state, "X");

    // without -x a finished job is an error; qdel of finished / unknown jobs
    const [nox, qdelFin, qdelUnk] = await Promise.all([
      sh("pbs", "qstat", [id(fail)]),
      sh("pbs", "qdel", [id(fail)]),
      sh("pbs", "qdel", [unknown]),
    ]);
    assert.deepEqual([nox.rc, nox.stdout, nox.stderr], [
      35,
      "",
      sample("pbs/qstat_finished_no_x.err", seq(fail)),
    ]);
    assert.deepEqual([qdelFin.rc, qdelFin.stderr], [
      35,
      sample("pbs/qdel_finished.err", seq(fail)),
    ]);
    assert.deepEqual([qdelUnk.rc, qdelUnk.stderr], [
      153,
      sample("pbs/qdel_unknown.err", "99999999"),
    ]);

    // lookup by name, finished included
    const sel = await sh("pbs", "qselect", ["-x", "-N", `${tag}fail`]);
    assert.deepEqual([sel.rc, sel.stdout], [0, `${id(fail)}\n`]);
    const selArr = await sh("pbs", "qselect", ["-x", "-N", `${tag}arr`]);
    assert.equal(selArr.stdout, `${id(arr)}\n`);
  },
);

// ---------------------------------------------------------------- LSF

const FIELDS = "jobid job_name stat exit_code exit_reason pend_reason";

Deno.test({ name: "shims/lsf: bsub, bjobs -json, bkill on real Slurm", ignore }, async () => {
  const dir = await tempDir("dpd-shim-lsf-");
  const tag = `l${Date.now() % 1e8}`;
  const script = (name: string, body: string, extra = "") =>
    `#!/bin/bash\n#BSUB -J ${name}\n#BSUB -o %J.out\n#BSUB -e %J.err\n#BSUB -n 1\n${extra}${body}\n`;
  const [run, ok, fail, wall, arr] = await Promise.all([
    sh("lsf", "bsub", [], { cwd: dir, input: script(`${tag}run`, "sleep 120") }),
    sh("lsf", "bsub", [], {
      cwd: dir,
      input: script(`${tag}ok`, 'echo "$LSB_JOBID|$LSB_JOBINDEX|$FOO|$PWD"'),
      env: { ...Deno.env.toObject(), FOO: "bar" },
    }),
    sh("lsf", "bsub", ["-q", "normal"], { cwd: dir, input: script(`${tag}fail`, "exit 3") }),
    sh("lsf", "bsub", [], {
      cwd: dir,
      input: script(`${tag}wall`, "sleep 300", "#BSUB -W 0:01\n"),
    }),
    sh("lsf", "bsub", ["-J", `${tag}arr[1-3]%2`, "-o", "a.%J.%I"], {
      cwd: dir,
      input: "#!/bin/bash\necho $LSB_JOBINDEX\n",
    }),
  ]);
  const jid = (o: Out) => o.stdout.match(/^Job <(\d+)>/)?.[1] ?? "";
  for (const o of [run, ok, wall, arr]) {
    assert.equal(o.rc, 0, o.stderr);
    assert.equal(o.stdout, sample("lsf/bsub.out", jid(o)));
  }
  assert.equal(fail.stdout, sample("lsf/bsub_q.out", jid(fail)));

  const [badq, badopt] = await Promise.all([
    sh("lsf", "bsub", ["-q", "nosuch"], { cwd: dir, input: "true\n" }),
    sh("lsf", "bsub", ["-Z"], { cwd: dir, input: "true\n" }),
  ]);
  assert.deepEqual([badq.rc, badq.stdout, badq.stderr], [
    255,
    "",
    sample("lsf/bsub_unknown_queue.err"),
  ]);
  assert.equal(badopt.rc, 255);
  assert.match(badopt.stderr, /^bsub: illegal option -- Z\nUsage: bsub /);

  const capture = Deno.readTextFileSync(`${DATA}lsf/bjobs_json_capture.json`);
  assert.equal(lsfJson(JSON.parse(capture)), capture + "", "capture layout = printer");
  const bjobs = async (...ids: string[]) => {
    const o = await sh("lsf", "bjobs", ["-a", "-o", FIELDS, "-json", ...ids]);
    const doc = JSON.parse(o.stdout);
    assert.equal(o.stdout, lsfJson(doc));
    return { o, doc, recs: doc.RECORDS as Record<string, string>[] };
  };
  const rec = (recs: Record<string, string>[], id: string) => recs.find((r) => r.JOBID === id)!;

  const running = await waitFor("running job", async () => {
    const b = await bjobs(jid(run), jid(wall));
    return b.recs.every((r) => r.STAT === "RUN") ? b : undefined;
  });
  expireWalltime(jid(wall));
  assert.equal(running.o.rc, 0);
  assert.deepEqual(rec(running.recs, jid(run)), {
    JOBID: jid(run),
    JOB_NAME: `${tag}run`,
    STAT: "RUN",
    EXIT_CODE: "",
    EXIT_REASON: "",
    PEND_REASON: "",
  });

  const kill = await sh("lsf", "bkill", [jid(run)]);
  assert.deepEqual([kill.rc, kill.stdout, kill.stderr], [0, sample("lsf/bkill.out", jid(run)), ""]);

  const fin = await waitFor("finished jobs", async () => {
    const b = await bjobs(jid(ok), jid(fail), jid(wall), jid(run), "99999999", jid(arr));
    return b.recs.filter((r) => "STAT" in r).every((r) => r.STAT === "DONE" || r.STAT === "EXIT")
      ? b
      : undefined;
  }, 70_000);
  assert.equal(fin.o.rc, 255);
  assert.equal(fin.o.stderr, "");
  const expected = [
    [jid(ok), `${tag}ok`, "DONE", "", ""],
    [jid(fail), `${tag}fail`, "EXIT", "3", ""],
    [
      jid(wall),
      `${tag}wall`,
      "EXIT",
      "140",
      "TERM_RUNLIMIT: job killed after reaching LSF run time limit",
    ],
    [jid(run), `${tag}run`, "EXIT", "", "TERM_OWNER: job killed by owner"],
  ].map(([JOBID, JOB_NAME, STAT, EXIT_CODE, EXIT_REASON]) => ({
    JOBID,
    JOB_NAME,
    STAT,
    EXIT_CODE,
    EXIT_REASON,
    PEND_REASON: "",
  }));
  assert.deepEqual(fin.recs.slice(0, 4), expected);
  // (the ERROR record's text is unverified: SCHEDULERS.md section 7)
  assert.deepEqual(fin.recs[4], { JOBID: "99999999", ERROR: "Job <99999999> is not found" });
  assert.deepEqual(
    fin.recs.slice(5).map((r) => [r.JOBID, r.JOB_NAME, r.STAT]),
    [1, 2, 3].map(
      (i) => [jid(arr), `${tag}arr[${i}]`, "DONE"],
    ),
  );
  assert.equal(fin.doc.JOBS, 8);
  assert.equal(
    await Deno.readTextFile(`${dir}/${jid(ok)}.out`),
    `${jid(ok)}|0|bar|${dir}\n`,
  );
  assert.equal(await Deno.readTextFile(`${dir}/a.${jid(arr)}.2`), "2\n");

  // by name
  const byName = await sh("lsf", "bjobs", ["-a", "-J", `${tag}fail`, "-o", FIELDS, "-json"]);
  assert.equal(byName.rc, 0);
  assert.equal(byName.stdout, lsfJson({ COMMAND: "bjobs", JOBS: 1, RECORDS: [expected[1]] }));

  const [killFin, killUnk] = await Promise.all([
    sh("lsf", "bkill", [jid(fail)]),
    sh("lsf", "bkill", ["99999999"]),
  ]);
  assert.deepEqual([killFin.rc, killFin.stdout, killFin.stderr], [
    255,
    "",
    sample("lsf/bkill_finished.err", jid(fail)),
  ]);
  assert.deepEqual([killUnk.rc, killUnk.stderr], [
    255,
    sample("lsf/bkill_unknown.err", "99999999"),
  ]);
});

// ---------------------------------------------------------------- Slurm unreachable

Deno.test(
  { name: "shims: Slurm unreachable -> PBS 'cannot connect', LSF 'LSF is down'", ignore },
  async () => {
    const env = await downEnv();
    const [q, b] = await Promise.all([
      sh("pbs", "qstat", ["-f", "-F", "json", "-x", "1.pbs-shim"], { env }),
      sh("lsf", "bjobs", ["-a", "-o", FIELDS, "-json", "1"], { env }),
    ]);
    assert.equal(q.rc, 255);
    assert.equal(q.stdout, "");
    assert.equal(q.stderr.split("\n").slice(-2)[0] + "\n", sample("pbs/qstat_down.err.lastline"));
    assert.deepEqual([b.rc, b.stdout, b.stderr], [255, "", sample("lsf/down.err")]);
  },
);
