// Drops in the middle of the two long-lived SSH operations of a run: the batched download of
// every ended job's results (one tar stream), and the end-file watcher's channel. Either way
// nothing runs twice and every result comes home whole.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { dispatch, resources, type RunEvent, shell, task } from "../mod.ts";
import { processesMentioning, runCounts, tempDir } from "./_helpers.ts";
import { sharedDir, sshEnv, testSsh } from "./_ssh.ts";

const env = sshEnv();
const ignore = env === undefined;

/** Tasks that count their runs and write a 4 MB random result with its checksum. */
function bigResultTasks(n: number, countDir: string, extra = "") {
  return Array.from({ length: n }, (_, i) =>
    task({
      command: `echo run >> '${countDir}/${i}'; ${extra} head -c 4000000 /dev/urandom > out.bin; ` +
        "sha256sum out.bin | cut -d' ' -f1 > out.sha",
      taskWorkPath: `t${i}`,
      backwardFiles: ["out.bin", "out.sha"],
    }));
}

async function assertWhole(workBase: string, countDir: string, n: number): Promise<void> {
  assert.deepEqual(await runCounts(countDir, n), Array(n).fill(1), "every task ran once");
  for (let i = 0; i < n; i++) {
    const bytes = await Deno.readFile(`${workBase}/t${i}/out.bin`);
    const sum = createHash("sha256").update(bytes).digest("hex");
    assert.equal(sum, (await Deno.readTextFile(`${workBase}/t${i}/out.sha`)).trim(), `t${i} whole`);
  }
}

Deno.test({
  name: "shell(ssh): a link killed mid-way through the batched download loses nothing",
  ignore,
  fn: async () => {
    const workBase = await tempDir();
    const remoteRoot = await sharedDir("dpd-ssh-root-");
    const countDir = await sharedDir("dpd-ssh-count-");
    const n = 12;
    const warnings: string[] = [];
    // Every job ends at about the same time, so their 48 MB come home in one tar stream; the
    // session is killed while that tar runs.
    let killed = false;
    let done = false;
    const watcher = (async () => {
      while (!killed && !done) {
        if ((await processesMentioning("-h --null -T -")).length > 0) {
          execFileSync("pkill", ["-f", "^sshd: hpcuser"]);
          killed = true;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const report = await dispatch({ workBase })
      .on(shell(testSsh(env!, remoteRoot)))
      .with(resources({ groupSize: 1 }))
      .tasks(...bigResultTasks(n, countDir, "sleep 1;"))
      .run({
        throwOnFailure: false,
        onEvent: (e: RunEvent) => e.type === "warning" && warnings.push(e.message),
      });
    done = true;
    await watcher;
    assert.ok(killed, "the session was killed while the download's tar ran");
    assert.equal(report.ok, true, JSON.stringify(report.jobs.map((j) => j.reason)));
    await assertWhole(workBase, countDir, n);
    assert.ok(warnings.some((w) => /dropped; reconnected/.test(w)), JSON.stringify(warnings));
    for (const dir of [workBase, remoteRoot, countDir]) await Deno.remove(dir, { recursive: true });
  },
});

Deno.test({
  name: "shell(ssh): the end-file watcher killed mid-run: polls read end files, it restarts",
  ignore,
  fn: async () => {
    const workBase = await tempDir();
    const remoteRoot = await sharedDir("dpd-ssh-root-");
    const countDir = await sharedDir("dpd-ssh-count-");
    const n = 8;
    const warnings: string[] = [];
    const watchers = async () => await processesMentioning("declare -A seen");
    const seenWatchers = new Set<number>();
    let stop = false;
    const killer = (async () => {
      let kills = 0;
      while (!stop) {
        for (const pid of await watchers()) {
          seenWatchers.add(pid);
          // Kill the first watcher, and then the first restarted one too.
          if (kills < 2) {
            try {
              Deno.kill(pid, "SIGKILL");
              kills++;
            } catch { /* gone */ }
          }
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    })();
    const report = await dispatch({ workBase })
      .on(shell(testSsh(env!, remoteRoot)))
      .with(resources({ groupSize: 1 }))
      .tasks(...bigResultTasks(n, countDir, "sleep $((RANDOM % 3 + 1));"))
      .run({
        throwOnFailure: false,
        onEvent: (e: RunEvent) => e.type === "warning" && warnings.push(e.message),
      });
    stop = true;
    await killer;
    assert.equal(report.ok, true, JSON.stringify(report.jobs.map((j) => j.reason)));
    await assertWhole(workBase, countDir, n);
    assert.ok(
      warnings.some((w) => /end-file watcher on .* stopped/.test(w)),
      JSON.stringify(warnings),
    );
    assert.ok(seenWatchers.size >= 2, `the watcher restarted (${seenWatchers.size} seen)`);
    assert.deepEqual(await watchers(), [], "no watcher outlives its run");
    for (const dir of [workBase, remoteRoot, countDir]) await Deno.remove(dir, { recursive: true });
  },
});
