import assert from "node:assert/strict";
import { execLocal } from "../../../transports/local_fs.ts";
import type { SubmitRequest } from "../scheduler.ts";
import { shellScheduler as sh } from "./shell.ts";

async function jobs(dir: string, scripts: Record<string, string>): Promise<SubmitRequest[]> {
  const out: SubmitRequest[] = [];
  for (const [hash, body] of Object.entries(scripts)) {
    await Deno.writeTextFile(`${dir}/${hash}.sh`, `#!/bin/bash\n${body}\n`);
    out.push({
      hash,
      name: `dpd-${hash}`,
      attempt: 0,
      script: `${dir}/${hash}.sh`,
      attemptPrefix: `${dir}/${hash}.0`,
    });
  }
  return out;
}

const alive = (pid: string) => {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    return !/^\d+ \(.*\) Z/.test(stat);
  } catch {
    return false;
  }
};

Deno.test("one launch command starts a batch of detached jobs, and relaunching is idempotent", async () => {
  const dir = await Deno.makeTempDir();
  const requests = await jobs(dir, { aaaa1111: "sleep 30", bbbb2222: "echo hi; sleep 30" });
  const first = sh.parseSubmit(await execLocal(sh.submitArgv(requests)), requests);
  assert.ok(first.every((o) => o.ok));
  const ids = first.map((o) => (o.ok ? o.id : ""));
  assert.notEqual(ids[0], ids[1]);
  const again = sh.parseSubmit(await execLocal(sh.submitArgv(requests)), requests);
  assert.deepEqual(
    again.map((o) => (o.ok ? o.id : "")),
    ids,
    "a second launch answers with the running job",
  );

  const probe = requests.map((r, i) => ({ id: ids[i], hash: r.hash }));
  const running = sh.parseStatus(await execLocal(sh.statusArgv(probe)), probe);
  assert.deepEqual([...running.values()].map((s) => s.state), ["running", "running"]);
  // Each job leads its own session and process group.
  const pgid = (await Deno.readTextFile(`/proc/${ids[0]}/stat`)).split(") ")[1].split(" ")[2];
  assert.equal(pgid, ids[0]);

  await execLocal(sh.cancelArgv(ids));
  for (let i = 0; i < 50 && ids.some(alive); i++) await new Promise((r) => setTimeout(r, 100));
  assert.ok(!ids.some(alive), "cancel stops the jobs");
  const gone = sh.parseStatus(await execLocal(sh.statusArgv(probe)), probe);
  assert.deepEqual([...gone.values()].map((s) => s.state), ["gone", "gone"]);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a recycled pid running another program does not count as the job", () => {
  const jobs = [{ id: "100", hash: "abcd" }, { id: "200", hash: "ef01" }];
  const status = sh.parseStatus(
    {
      exitCode: 0,
      stdout: "  100 S    bash /x/abcd.sh 0\n  200 S    /usr/bin/vim notes\n",
      stderr: "",
    },
    jobs,
  );
  assert.equal(status.get("100")?.state, "running");
  assert.equal(status.get("200")?.state, "gone");
  const zombie = sh.parseStatus({
    exitCode: 0,
    stdout: "100 Z [bash] <defunct> abcd\n",
    stderr: "",
  }, jobs);
  assert.equal(zombie.get("100")?.state, "gone");
  assert.equal(
    sh.parseStatus({ exitCode: 1, stdout: "", stderr: "" }, jobs).get("100")?.state,
    "gone",
  );
  assert.throws(
    () => sh.parseStatus({ exitCode: 2, stdout: "", stderr: "ps: bad option" }, jobs),
    /ps exited with code 2/,
  );
});

Deno.test("a launch interrupted between the lock and the pid is recovered, never doubled", async () => {
  const dir = await Deno.makeTempDir();
  const [fresh, started, stale] = await jobs(dir, {
    cccc3333: "sleep 30",
    dddd4444: "sleep 30",
    eeee5555: "sleep 30",
  });
  // Lock just taken, pid not written yet: wait.
  await Deno.writeTextFile(`${fresh.attemptPrefix}.pid`, "");
  // The job started and named itself in .run before the launcher could write the pid: adopt it.
  await Deno.writeTextFile(`${started.attemptPrefix}.pid`, "");
  await Deno.writeTextFile(`${started.attemptPrefix}.run`, "4242\n");
  // An old empty lock and no .run: the job never started, launch it.
  await Deno.writeTextFile(`${stale.attemptPrefix}.pid`, "");
  await execLocal(["touch", "-d", "2 minutes ago", `${stale.attemptPrefix}.pid`]);
  const out = sh.parseSubmit(await execLocal(sh.submitArgv([fresh, started, stale])), [
    fresh,
    started,
    stale,
  ]);
  assert.equal(out[0].ok === false && out[0].kind, "transient");
  assert.deepEqual(out[1], { ok: true, id: "4242" });
  assert.ok(out[2].ok && alive(out[2].id), "the stale attempt was launched");
  if (out[2].ok) await execLocal(sh.cancelArgv([out[2].id]));
  await Deno.remove(dir, { recursive: true });
});
