import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { countingTasks, runCounts, tempDir } from "./_helpers.ts";
import { dispatch, lazyLocal, local, shell } from "../mod.ts";

const FIXTURE = new URL("./fixtures/run_plan.ts", import.meta.url).pathname;
const TASKS = 16;

/** Runs the fixture runner; resolves with its exit signal/code and stdout. Kills it after `killAfterMs` if given. */
function runner(
  args: string[],
  killAfterMs?: number,
): Promise<{ code: number | null; signal: string | null; stdout: string }> {
  return new Promise((resolve) => {
    const child = spawn(Deno.execPath(), ["run", "-A", FIXTURE, ...args], {
      stdio: ["ignore", "pipe", "inherit"],
    });
    let stdout = "";
    child.stdout!.on("data", (d) => (stdout += d));
    const timer = killAfterMs === undefined
      ? undefined
      : setTimeout(() => child.kill("SIGKILL"), killAfterMs);
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout });
    });
  });
}

async function assertExactlyOnce(base: string, counts: string, where: string) {
  const final = await runner([base, counts, where]);
  assert.equal(final.code, 0, `the final run succeeds: ${final.stdout}`);
  const result = JSON.parse(final.stdout);
  assert.equal(result.ok, true);
  assert.ok(
    result.attempts.every((a: number) => a === 1),
    `no job was resubmitted: ${result.attempts}`,
  );
  assert.deepEqual(
    await runCounts(counts, TASKS),
    Array(TASKS).fill(1),
    "every task ran exactly once",
  );
  for (let i = 0; i < TASKS; i++) {
    const out = await Deno.readTextFile(`${base}/task-${String(i).padStart(3, "0")}/out.txt`);
    assert.equal(out, `task ${i}\n`);
  }
}

for (
  const [killOn, killAt, what] of [
    ["job:submitting", 1, "after the intents are journaled, before the launch"],
    ["job:submitted", 3, "after some ids are journaled (one job per batch)"],
    ["job:ended", 1, "while polling, after the first job ended"],
    ["job:collected", 2, "while collecting results"],
  ] as const
) {
  Deno.test(`kill -9 of the runner ${what}, then a rerun: every task ran exactly once`, async () => {
    const base = await tempDir();
    const counts = await tempDir();
    const remote = await tempDir();
    const killed = await runner([
      base,
      counts,
      remote,
      `killOn=${killOn}`,
      `killAt=${killAt}`,
      `waitTime=${killOn === "job:submitted" ? 0.05 : 0}`,
    ]);
    assert.equal(killed.signal, "SIGKILL", "the runner died where we wanted");
    await assertExactlyOnce(base, counts, remote);
  });
}

Deno.test("kill -9 of the runner at many moments, over and over: every task still ran exactly once", async () => {
  const base = await tempDir();
  const counts = await tempDir();
  for (const ms of [150, 300, 450, 600, 750, 900, 1100, 1300]) {
    await runner([base, counts, "lazy", "waitTime=0.03"], ms);
  }
  await assertExactlyOnce(base, counts, "lazy");
});

Deno.test("the same plan from the library and from the fixture share one run id", () => {
  const counts = "/tmp/c";
  const a = dispatch({ workBase: "/a" }).on(shell(lazyLocal())).with({ groupSize: 2 }).tasks(
    countingTasks(TASKS, counts, "sleep 0.3;"),
  ).toPlan();
  const b = dispatch({ workBase: "/b" }).on(shell(local({ remoteRoot: "/r" }))).with({
    groupSize: 2,
  }).tasks(countingTasks(TASKS, counts, "sleep 0.3;")).toPlan();
  assert.equal(a.jobs.length, TASKS / 2);
  assert.deepEqual(
    a.jobs.map((j) => j.hash),
    b.jobs.map((j) => j.hash),
    "job identity ignores the machine",
  );
});
