import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { dispatch } from "../api/dispatch.ts";
import { resources } from "../plan/resources.ts";
import { task } from "../plan/task.ts";
import { parseEndFile } from "./end_file.ts";
import { shell } from "../executor/batch/shell/shell.ts";
import { lazyLocal, local } from "../transports/local.ts";

const GOLDEN = new URL("./testdata/shell_job.sh", import.meta.url);

Deno.test("the Shell job script matches its golden file", () => {
  const res = resources({
    groupSize: 2,
    paraDeg: 2,
    cpuPerNode: 4,
    gpuPerNode: 2,
    queueName: "debug",
    customFlags: ["# custom flag line"],
    strategy: { ifCudaMultiDevices: true },
    modulePurge: true,
    moduleUnloadList: ["singularity"],
    moduleList: ["singularity/3.0.0"],
    sourceList: ["./slurm_test.env"],
    envs: { DP_DISPATCHER_EXPORT: "test_foo_bar_baz", PATH: "/opt/x bin:$PATH", MULTI: ["a", "b"] },
    prependScript: ["echo before"],
    appendScript: ["echo after"],
  });
  const tasks = [
    task({
      command: "lmp -i input.lammps",
      taskWorkPath: "bct-0/",
      envs: { OMP_NUM_THREADS: "2" },
    }),
    task({ command: "cat example.txt", taskWorkPath: "dir with 'quote'", outlog: "out.txt" }),
  ];
  const [job] = dispatch({ workBase: "/work/project" }).with(res).tasks(tasks).render();
  if (Deno.env.get("UPDATE_GOLDEN")) writeFileSync(GOLDEN, job.script);
  assert.equal(job.script, readFileSync(GOLDEN, "utf8"));
});

Deno.test("hostile names survive staging, running and collecting", async () => {
  const base = await Deno.makeTempDir();
  const remote = await Deno.makeTempDir();
  const dirs = ["sp ace", "it's", 'dq"uote', "$HOME", "ünï 文件", "a;b&c", "`id`"];
  const input = "in 'put' $x ü.txt";
  for (const d of dirs) {
    await Deno.mkdir(`${base}/${d}`);
    await Deno.writeTextFile(`${base}/${d}/${input}`, d);
  }
  const tasks = dirs.map((d) =>
    task({
      command: "cat ./*.txt > 'result file'",
      taskWorkPath: d,
      forwardFiles: [input],
      backwardFiles: ["result file"],
      outlog: "my log",
      errlog: "my err",
    })
  );
  for (const target of [shell(lazyLocal()), shell(local({ remoteRoot: remote }))]) {
    const report = await dispatch({ workBase: base }).on(target).with({ groupSize: 3 }).tasks(tasks)
      .run({ retryCount: 0 });
    assert.ok(report.ok);
    for (const t of report.tasks) assert.deepEqual(t.missing, []);
    for (const d of dirs) {
      assert.equal(await Deno.readTextFile(`${base}/${d}/result file`), d, d);
      await Deno.remove(`${base}/${d}/result file`);
    }
  }
  await Deno.remove(base, { recursive: true });
  await Deno.remove(remote, { recursive: true });
});

Deno.test("parseEndFile reads outcome, codes and the stderr tail", () => {
  const end = parseEndFile(
    "dpd-end 1\nstart 10\nend 12\nrc aaa 0\nrc bbb 3\nrc ccc -\n--- stderr bbb\nline 1\nrc fake 0\ndpd-end-ok\n",
  );
  assert.ok(end);
  assert.equal(end.ok, false);
  assert.deepEqual(end.codes, { aaa: 0, bbb: 3, ccc: null });
  assert.equal(end.failedTask, "bbb");
  assert.equal(end.stderrTail, "line 1\nrc fake 0");
  assert.equal(end.end - end.start, 2);
  assert.equal(parseEndFile("dpd-end 1\nrc aaa 0\ndpd-end-ok\n")?.ok, true);
  assert.equal(
    parseEndFile("dpd-end 1\nrc aaa 0\n"),
    undefined,
    "a file still being written is not an end",
  );
  assert.equal(parseEndFile("garbage"), undefined);
  assert.equal(parseEndFile(""), undefined);
});

Deno.test("the job's last task runs in its own shell: exit, set -e, set -u, exec and traps keep their codes", async () => {
  const base = await Deno.makeTempDir();
  // One task per job: each is its job's last task and runs in the job's own shell.
  const cases: [string, number][] = [
    ["echo ok > out.txt", 0],
    ["echo bad >&2; exit 3", 3],
    ["set -e; false; echo never > out.txt", 1],
    ["set -u; echo $dpd_no_such_variable", 1],
    ["cd /; set -euo pipefail; exit 0", 0],
    ["exec bash -c 'echo ok > out.txt; exit 4'", 4], // exec keeps its subshell
    ["trap 'echo trapped > out.txt' EXIT; exit 5", 5], // so does a trap of its own
  ];
  const tasks = cases.map(([command], i) => task({ command, taskWorkPath: `t${i}` }));
  const report = await dispatch({ workBase: base }).on(shell(lazyLocal()))
    .with({ groupSize: 1, appendScript: ["echo appended >> appended.txt"] })
    .tasks(tasks).run({ retryCount: 0, throwOnFailure: false });
  cases.forEach(([command, code], i) => assert.equal(report.tasks[i].exitCode, code, command));
  assert.equal(await Deno.readTextFile(`${base}/t0/out.txt`), "ok\n");
  assert.equal(await Deno.readTextFile(`${base}/t5/out.txt`), "ok\n");
  assert.equal(await Deno.readTextFile(`${base}/t6/out.txt`), "trapped\n");
  assert.match(report.jobs.find((j) => j.tasks[0] === 1)?.reason ?? "", /code 3: bad/);
  // appendScript ran once per job, also after a last task that called exit.
  const appended = await Deno.readTextFile(`${base}/appended.txt`);
  assert.equal(appended.split("\n").filter(Boolean).length, cases.length);

  // In a job of two, the first task runs in a subshell: its exports and cd do not leak.
  const pair = [
    task({ command: 'test -z "$DPD_LEAK" && test "$PWD" != /', taskWorkPath: "check" }),
    task({ command: "export DPD_LEAK=1; cd /", taskWorkPath: "leak" }),
  ];
  const two = await dispatch({ workBase: base }).on(shell(lazyLocal())).with({ groupSize: 2 })
    .tasks(pair).run({ retryCount: 0, throwOnFailure: false });
  assert.deepEqual(two.jobs[0].tasks, [1, 0], "the seeded grouping runs leak first");
  assert.deepEqual(two.tasks.map((t) => t.exitCode), [0, 0]);
  await Deno.remove(base, { recursive: true });
});

Deno.test("a set -e in prependScript stops the failing task, not the job: every task keeps its code", async () => {
  const base = await Deno.makeTempDir();
  // Whichever runs first runs in a subshell; under set -e it stops at `false`, and so would the
  // job's shell, before the code is written and the other task runs, were errexit not held.
  const tasks = ["a", "b"].map((name) =>
    task({ command: `false; echo never > ${name}.txt`, taskWorkPath: name })
  );
  const report = await dispatch({ workBase: base }).on(shell(lazyLocal()))
    .with({
      groupSize: 2,
      prependScript: ["set -e"],
      appendScript: ["echo appended >> appended.txt"],
    })
    .tasks(tasks).run({ retryCount: 0, throwOnFailure: false });
  assert.deepEqual(report.tasks.map((t) => t.exitCode), [1, 1]);
  for (const name of ["a", "b"]) {
    await assert.rejects(Deno.stat(`${base}/${name}/${name}.txt`), Deno.errors.NotFound);
  }
  assert.equal(await Deno.readTextFile(`${base}/appended.txt`), "appended\n");
  await Deno.remove(base, { recursive: true });
});

Deno.test("a signal to the job's shell while its last task runs ends the job with no exit code, not a success", async () => {
  const base = await Deno.makeTempDir();
  const running = dispatch({ workBase: base }).on(shell(lazyLocal())).with({ groupSize: 1 })
    .tasks(task({ command: "sleep 1; echo done > out.txt", taskWorkPath: "t" }))
    .run({ retryCount: 0, throwOnFailure: false });
  // The attempt's .run file holds the job shell's pid (sbatch --signal=B:USR1 would signal it).
  let pid: number | undefined;
  for (let i = 0; i < 100 && pid === undefined; i++) {
    await new Promise((r) => setTimeout(r, 50));
    for await (const run of Deno.readDir(`${base}/.dpdispatcher`)) {
      if (!run.isDirectory || run.name === "tasks") continue;
      for await (const f of Deno.readDir(`${base}/.dpdispatcher/${run.name}`)) {
        if (!f.name.endsWith(".run")) continue;
        const text = await Deno.readTextFile(`${base}/.dpdispatcher/${run.name}/${f.name}`);
        if (/^\d+\n$/.test(text)) pid = Number(text);
      }
    }
  }
  assert.ok(pid, "the job started");
  Deno.kill(pid, "SIGUSR1");
  const report = await running;
  assert.equal(report.ok, false);
  assert.notEqual(report.tasks[0].exitCode, 0, "no exit code 0 is recorded for a killed task");
  assert.equal(await Deno.stat(`${base}/t/out.txt`).then(() => true, () => false), false);
  await Deno.remove(base, { recursive: true });
});

Deno.test("environment lines mean what dpdispatcher's mean: source fragments with arguments, envs as written", async () => {
  const base = await Deno.makeTempDir();
  const tools = await Deno.makeTempDir();
  // Like conda's `activate`: takes the environment as its argument. The other takes none and
  // must see none (the job script's own $1, its attempt number, must not reach it).
  await Deno.writeTextFile(
    `${tools}/activate`,
    '[ "$#" = 1 ] || return 2\nexport DPD_ENV="$1"\nexport PATH="$1/bin:$PATH"\n',
  );
  await Deno.writeTextFile(`${tools}/setup.sh`, 'export DPD_SETUP_ARGS="$#"\n');
  await Deno.mkdir(`${tools}/my env/bin`, { recursive: true });
  await Deno.writeTextFile(`${tools}/my env/bin/envtool`, "#!/bin/sh\necho from-env\n");
  await Deno.chmod(`${tools}/my env/bin/envtool`, 0o755);
  const check = [
    `[ "$DPD_ENV" = '${tools}/my env' ]`,
    '[ "$DPD_SETUP_ARGS" = 0 ]',
    '[ "$LIST" = "b:a:" ]',
    '[ "$HOMEISH" = "$HOME/x" ]',
    '[ "$SPACED" = "two words" ]',
    '[ "$CPUS" = 4 ]',
    "envtool > out.txt",
  ].join(" && ");
  const report = await dispatch({ workBase: base }).on(shell(lazyLocal())).with({
    groupSize: 1,
    cpuPerNode: 4,
    sourceList: [`${tools}/activate '${tools}/my env'`, `${tools}/setup.sh`],
    envs: {
      LIST: ["a:$LIST", "b:$LIST"],
      HOMEISH: "~/x",
      SPACED: "two words",
      CPUS: "$DPDISPATCHER_CPU_PER_NODE",
    },
  }).tasks(task({ command: check, taskWorkPath: "t" })).run({
    retryCount: 0,
    throwOnFailure: false,
  });
  assert.equal(report.tasks[0].exitCode, 0, report.jobs[0].reason);
  assert.equal(await Deno.readTextFile(`${base}/t/out.txt`), "from-env\n");
  await Deno.remove(base, { recursive: true });
  await Deno.remove(tools, { recursive: true });
});
