import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  ConnectionError,
  dispatch,
  resources,
  type RunEvent,
  shell,
  slurm,
  slurmJobName,
  task,
} from "../mod.ts";
import { countingTasks, runCounts, tempDir, waitFor } from "./_helpers.ts";
import { sacctByName, skipSlurm } from "./_slurm.ts";
import { dpdisp } from "./_cli.ts";
import { opensshArgs, sharedDir, sshEnv, testSsh } from "./_ssh.ts";

const env = sshEnv();
const ignore = env === undefined;

async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const path = `${dir}/${e.name}`;
    if (e.isDirectory) out.push(...await filesUnder(path));
    else out.push(path);
  }
  return out;
}

/** Each counting task ran exactly once and its result came home. */
async function assertCounted(workBase: string, countDir: string, n: number): Promise<void> {
  assert.deepEqual(await runCounts(countDir, n), Array(n).fill(1));
  for (let i = 0; i < n; i++) {
    const out = `${workBase}/task-${String(i).padStart(3, "0")}/out.txt`;
    assert.equal(await Deno.readTextFile(out), `task ${i}\n`);
  }
}

Deno.test({
  name: "shell(ssh): inputs up, results down, and no secret in the plan, journal or events",
  ignore,
  fn: async () => {
    const e = env!;
    const workBase = await tempDir();
    const remoteRoot = await sharedDir("dpd-ssh-root-");
    const tasks = Array.from({ length: 6 }, (_, i) => {
      Deno.mkdirSync(`${workBase}/t${i}`);
      Deno.writeTextFileSync(`${workBase}/t${i}/in.txt`, `input ${i}\n`);
      return task({
        command: "cat in.txt > out.txt; id -un >> out.txt; echo note > log.txt",
        taskWorkPath: `t${i}`,
        forwardFiles: ["in.txt"],
        backwardFiles: ["out.txt", "*.txt", "absent.dat"],
      });
    });
    const events: RunEvent[] = [];
    const password = e.users.hpcuser.password!;
    const transport = testSsh(e, remoteRoot, { keyFilename: [], password });
    const report = await dispatch({ workBase })
      .on(shell(transport))
      .with(resources({ groupSize: 2 }))
      .tasks(...tasks)
      .run({ onEvent: (ev) => events.push(ev), throwOnFailure: false });
    assert.equal(report.ok, true, JSON.stringify(report.jobs.map((j) => j.reason)));
    for (let i = 0; i < 6; i++) {
      assert.equal(await Deno.readTextFile(`${workBase}/t${i}/out.txt`), `input ${i}\nhpcuser\n`);
      assert.equal(await Deno.readTextFile(`${workBase}/t${i}/log.txt`), "note\n");
    }
    // The missing result is reported for its task, and the run still succeeded.
    assert.ok(
      report.tasks.every((t) => t.missing.includes(`${t.taskWorkPath}/absent.dat`)),
      JSON.stringify(report.tasks[0]),
    );
    const state = await filesUnder(`${workBase}/.dpdispatcher`);
    assert.ok(state.length >= 2);
    for (const file of state) {
      assert.ok(!(await Deno.readTextFile(file)).includes(password), `password found in ${file}`);
    }
    assert.ok(!JSON.stringify(events).includes(password));
    assert.ok(!JSON.stringify(report).includes(password));
    // The journal alone draws the run: no submission file, no connection, no password needed.
    const drawn = await dpdisp("report", workBase);
    assert.equal(drawn.code, 0, drawn.stderr);
    assert.match(drawn.stdout, /3 jobs/, drawn.stdout);
    // Cancelling needs the connection, which a run id cannot rebuild: say so, by name.
    const cancel = await dpdisp("cancel", workBase);
    assert.notEqual(cancel.code, 0);
    assert.match(
      cancel.stderr,
      /over ssh, which a run id alone cannot reach; give the submission file/,
    );
    await Deno.remove(workBase, { recursive: true });
    await Deno.remove(remoteRoot, { recursive: true });
  },
});

Deno.test({
  name:
    "shell(ssh): a killed session and an sshd restart mid-run lose nothing and run nothing twice",
  ignore,
  fn: async () => {
    const e = env!;
    const workBase = await tempDir();
    const remoteRoot = await sharedDir("dpd-ssh-root-");
    const countDir = await sharedDir("dpd-ssh-count-");
    const tasks = countingTasks(8, countDir, "sleep 2;");
    const warnings: string[] = [];
    let faults = 0;
    const injected: Promise<void>[] = [];
    const onEvent = (ev: RunEvent) => {
      if (ev.type === "warning") warnings.push(ev.message);
      if (ev.type !== "job:submitted" || faults > 0) return;
      faults++;
      injected.push((async () => {
        // Kill the session's sshd process: the TCP link drops under the runner.
        execFileSync("pkill", ["-f", "^sshd: hpcuser"]);
        await new Promise((r) => setTimeout(r, 1500));
        // Then restart the server itself (listener and sessions) while jobs still run.
        execFileSync("bash", ["scripts/start_sshd.sh", "--restart", "target"], { stdio: "pipe" });
      })());
    };
    const report = await dispatch({ workBase })
      .on(shell(testSsh(e, remoteRoot)))
      .with(resources({ groupSize: 1 }))
      .tasks(...tasks)
      .run({ onEvent, throwOnFailure: false, pollInterval: 0.5 });
    await Promise.all(injected);
    assert.equal(report.ok, true, JSON.stringify(report.jobs.map((j) => j.reason)));
    await assertCounted(workBase, countDir, 8);
    assert.ok(
      warnings.filter((w) => /dropped; reconnected/.test(w)).length >= 1,
      JSON.stringify(warnings),
    );
    await Deno.remove(workBase, { recursive: true });
    await Deno.remove(remoteRoot, { recursive: true });
    await Deno.remove(countDir, { recursive: true });
  },
});

Deno.test({
  name: "shell(ssh): a link down past the reconnect budget stops the run; a rerun finishes it",
  ignore,
  fn: async () => {
    const e = env!;
    const workBase = await tempDir();
    const remoteRoot = await sharedDir("dpd-ssh-root-");
    const countDir = await sharedDir("dpd-ssh-count-");
    const builder = dispatch({ workBase })
      .on(shell(testSsh(e, remoteRoot, { reconnectAttempts: 1 })))
      .with(resources({ groupSize: 1 }))
      .tasks(...countingTasks(6, countDir, "sleep 2;"));
    let down = false;
    try {
      await assert.rejects(
        builder.run({
          pollInterval: 0.5,
          onEvent: (ev) => {
            if (ev.type !== "job:submitted" || down) return;
            down = true;
            execFileSync("bash", ["scripts/stop_sshd.sh", "target"], { stdio: "pipe" });
            execFileSync("pkill", ["-f", "^sshd: hpcuser"]);
          },
        }),
        (err: Error) =>
          err instanceof ConnectionError && !err.retryable &&
          /ECONNREFUSED.*gave up after 2 tries.*rerun to resume/.test(err.message),
      );
    } finally {
      execFileSync("bash", ["scripts/start_sshd.sh"], { stdio: "pipe" });
    }
    const report = await builder.run({ pollInterval: 0.5, throwOnFailure: false });
    assert.equal(report.ok, true, JSON.stringify(report.jobs.map((j) => j.reason)));
    await assertCounted(workBase, countDir, 6);
    await Deno.remove(workBase, { recursive: true });
    await Deno.remove(remoteRoot, { recursive: true });
    await Deno.remove(countDir, { recursive: true });
  },
});

Deno.test({
  name: "dpdisp submit: a dpdispatcher SSHContext submission with a ~/ remote root, end to end",
  ignore,
  fn: async () => {
    const e = env!;
    const dir = await tempDir();
    const remote = `dpd-cli-${crypto.randomUUID().slice(0, 8)}`;
    for (let i = 0; i < 3; i++) {
      await Deno.mkdir(`${dir}/work/t${i}`, { recursive: true });
      await Deno.writeTextFile(`${dir}/work/t${i}/in.txt`, `in ${i}`);
    }
    const submission = {
      work_base: "work",
      machine: {
        batch_type: "Shell",
        context_type: "SSHContext",
        local_root: dir,
        remote_root: `~/${remote}`,
        remote_profile: {
          hostname: e.host,
          port: e.ports.target,
          username: "hpcuser",
          key_filename: e.keys.ed25519,
          known_hosts: e.knownHosts,
          look_for_keys: false,
          timeout: 10,
        },
      },
      resources: { number_node: 1, cpu_per_node: 1, group_size: 2 },
      task_list: [0, 1, 2].map((i) => ({
        command: "cat in.txt > out.txt; pwd >> out.txt",
        task_work_path: `t${i}/`,
        forward_files: ["in.txt"],
        backward_files: ["out.txt"],
      })),
    };
    await Deno.writeTextFile(`${dir}/submission.json`, JSON.stringify(submission));
    const r = await dpdisp("submit", `${dir}/submission.json`, "--quiet");
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const out = await Deno.readTextFile(`${dir}/work/t1/out.txt`);
    assert.match(out, new RegExp(`^in 1/home/hpcuser/${remote}/[0-9a-f]+/t1\\n$`));
    execFileSync("ssh", [...opensshArgs(e), `rm -rf ~/${remote}`]);
    await Deno.remove(dir, { recursive: true });
  },
});

/** N one-line Slurm jobs over SSH; fresh job names, so Slurm shows only this run's jobs. */
function slurmSshPlan(e: NonNullable<typeof env>, workBase: string, remoteRoot: string, n: number) {
  const nonce = crypto.randomUUID();
  const tasks = Array.from({ length: n }, (_, i) =>
    task({
      command: `echo "task ${i} on $SLURM_JOB_ID" > out.txt # ${nonce}`,
      taskWorkPath: `t${String(i).padStart(3, "0")}`,
      backwardFiles: ["out.txt"],
    }));
  const builder = dispatch({ workBase }).on(slurm(testSsh(e, remoteRoot)))
    .with(resources({ groupSize: 1 })).tasks(...tasks);
  const names = builder.toPlan().jobs.map((j) => slurmJobName({ name: j.name, attempt: 0 }));
  return { builder, names };
}

/** Every job's result came home (every `step`-th checked) and sacct lists each job once. */
async function assertRanOnce(workBase: string, names: readonly string[], step: number) {
  for (let i = 0; i < names.length; i += step) {
    const text = await Deno.readTextFile(`${workBase}/t${String(i).padStart(3, "0")}/out.txt`);
    assert.match(text, new RegExp(`^task ${i} on \\d+\\n$`));
  }
  await waitFor(() => sacctByName(names).length >= names.length, 20_000, "sacct to list the jobs");
  const rows = sacctByName(names);
  assert.equal(rows.length, names.length, "every job appears exactly once in sacct");
  assert.equal(new Set(rows.map((r) => r.name)).size, names.length);
}

Deno.test({
  name: "slurm(ssh): 200 one-line tasks end to end, each job submitted once",
  ignore: ignore || skipSlurm(),
  fn: async () => {
    const workBase = await tempDir();
    const remoteRoot = await sharedDir("dpd-ssh-slurm-");
    const { builder, names } = slurmSshPlan(env!, workBase, remoteRoot, 200);
    const report = await builder.run({ throwOnFailure: false });
    assert.equal(report.ok, true, JSON.stringify(report.jobs.find((j) => j.state !== "finished")));
    await assertRanOnce(workBase, names, 37);
    await Deno.remove(workBase, { recursive: true });
    await Deno.remove(remoteRoot, { recursive: true });
  },
});

Deno.test({
  name: "slurm(ssh): a link dropped while sbatch runs submits no job twice",
  ignore: ignore || skipSlurm(),
  fn: async () => {
    const workBase = await tempDir();
    const remoteRoot = await sharedDir("dpd-ssh-drop-");
    const n = 120;
    const { builder, names } = slurmSshPlan(env!, workBase, remoteRoot, n);
    const inQueue = () =>
      execFileSync("squeue", ["-h", "-t", "all", "-o", "%j", `--name=${names.join(",")}`], {
        encoding: "utf8",
      }).split("\n").filter(Boolean).length;
    const warnings: string[] = [];
    let dropped: Promise<number> | undefined;
    const report = await builder.run({
      throwOnFailure: false,
      onEvent: (ev) => {
        if (ev.type === "warning") warnings.push(ev.message);
        if (ev.type !== "job:submitting" || dropped) return;
        // Once sbatch has submitted a few, kill the session: the rest of the loop and the ids
        // already printed are lost with it, and the runner must find those jobs by name.
        dropped = (async () => {
          await waitFor(() => inQueue() >= 5, 30_000, "the first sbatch calls");
          execFileSync("pkill", ["-f", "^sshd: hpcuser"]);
          return inQueue();
        })();
      },
    });
    const atDrop = await dropped!;
    assert.ok(atDrop < n, `the link dropped after all ${n} were submitted`);
    // One warning for the whole batch the drop cut off, not one per job.
    const refused = warnings.filter((w) => /^Cannot submit \d+ jobs .* dropped/.test(w));
    assert.equal(refused.length, 1, JSON.stringify(warnings));
    assert.equal(report.ok, true, JSON.stringify(report.jobs.find((j) => j.state !== "finished")));
    await assertRanOnce(workBase, names, 17);
    await Deno.remove(workBase, { recursive: true });
    await Deno.remove(remoteRoot, { recursive: true });
  },
});
