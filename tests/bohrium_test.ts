// End to end on the Bohrium stand-in (scripts/bohrium_standin.ts), through the real runner, for
// the legacy API and OpenAPI: every result of 20 tasks in 4 jobs; a failing job retried, then
// reported with its log; an expired token and a burst of 5xx ridden out; a runner killed -9
// right after job/add, then rerun, leaves one cloud job per job; no secret on disk or in events.
import assert from "node:assert/strict";
import { readdir, readFile } from "node:fs/promises";
import { join } from "node:path";
import { dispatch, type RunEvent, task } from "../mod.ts";
import { startStandin } from "../scripts/bohrium_standin.ts";
import { bohriumTarget, bohriumTasks, type ChildConfig, writeInputs } from "./_bohrium.ts";

const PASSWORD = "pw-Zq8!secret-7731";
const ACCESS_KEY = "ak-Secret-55f0e1d2";
const TICKET = "tk-Secret-9a9a9a";

async function* filesUnder(dir: string): AsyncGenerator<string> {
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, e.name);
    if (e.isDirectory()) yield* filesUnder(path);
    else yield path;
  }
}

/** Every file under the work base (the state dir, archives and results included) and the events. */
async function assertNoSecret(workBase: string, events: RunEvent[], secrets: string[]) {
  const texts = [
    JSON.stringify(events, (_, v) => v instanceof Error ? `${v.message} ${v.cause}` : v),
  ];
  for await (const f of filesUnder(workBase)) texts.push(await readFile(f, "latin1"));
  for (const s of secrets) {
    assert.ok(texts.every((t) => !t.includes(s)), `the secret "${s.slice(0, 4)}..." was written`);
  }
  assert.ok(texts.length > 10, "nothing was searched");
}

for (const api of ["legacy", "openapi"] as const) {
  const secret = api === "legacy" ? PASSWORD : ACCESS_KEY;
  const options = {
    account: { password: PASSWORD },
    accessKeys: [ACCESS_KEY],
    tickets: [TICKET],
    pendingMs: 50,
    schedulingMs: 50,
    verifyOssSignature: true,
    // BOHRIUM.md §4.3: the SDK downloads OpenAPI results with no credentials.
    requireResultAuth: api === "legacy",
  };

  Deno.test(`${api}: 20 tasks in 4 jobs bring every result home through an expired token and 5xx`, async () => {
    const s = await startStandin(options);
    const workBase = await Deno.makeTempDir();
    try {
      await writeInputs(workBase, 20);
      const c: ChildConfig = {
        api,
        url: s.url,
        ossEndpoint: s.ossEndpoint,
        ossBucketUrl: s.ossBucketUrl,
        workBase,
      };
      const events: RunEvent[] = [];
      let injected = false;
      const report = await dispatch({ workBase }).on(bohriumTarget(c, secret)).with({
        groupSize: 5,
      })
        .tasks(bohriumTasks(20)).run({
          onEvent(e) {
            events.push(e);
            if (e.type === "job:submitted" && !injected) {
              injected = true;
              s.inject({ expireTokens: true, fail5xx: { count: 4, status: 503 } });
            }
          },
        });
      assert.equal(report.ok, true, JSON.stringify(report.jobs.map((j) => j.reason)));
      assert.equal(report.jobs.length, 4);
      for (let i = 0; i < 20; i++) {
        assert.equal(
          await Deno.readTextFile(`${workBase}/t${i}/out.txt`),
          `input ${i}\ndone-${i}\n`,
        );
      }
      const jobs = s.jobs();
      assert.equal(jobs.length, 4, JSON.stringify(jobs));
      assert.equal(new Set(jobs.map((j) => j.group)).size, 1, "one job group per run");
      assert.deepEqual(
        jobs.map((j) => j.name).sort(),
        report.jobs.map((j) => `${j.name}-0`).sort(),
      );
      assert.ok(injected);
      const requests = s.requests();
      assert.equal(
        requests.filter((r) => r.status === 503).length,
        4,
        "the 5xx burst was not sent",
      );
      if (api === "legacy") {
        const logins = requests.filter((r) => r.path.endsWith("/account/login")).length;
        assert.ok(logins >= 2, `no fresh login after the tokens expired (${logins})`);
      }
      await assertNoSecret(workBase, events, [PASSWORD, ACCESS_KEY]);
    } finally {
      await s.close();
      await Deno.remove(workBase, { recursive: true });
    }
  });

  Deno.test(`${api}: a failing job is retried, then reported with its codes and log tail`, async () => {
    const s = await startStandin(options);
    const workBase = await Deno.makeTempDir();
    try {
      const c: ChildConfig = {
        api,
        url: s.url,
        ossEndpoint: s.ossEndpoint,
        ossBucketUrl: s.ossBucketUrl,
        workBase,
        ignoreExitCode: false,
      };
      const report = await dispatch({ workBase }).on(bohriumTarget(c, secret)).tasks(
        task({ command: "echo ok > out.txt", taskWorkPath: "good", backwardFiles: ["out.txt"] }),
        task({ command: "echo broken-on-purpose >&2; exit 3", taskWorkPath: "bad" }),
      ).run({ retryCount: 1, retryDelay: 0, throwOnFailure: false });
      const bad = report.jobs.find((j) => j.state === "failed")!;
      assert.ok(bad, JSON.stringify(report.jobs));
      assert.equal(bad.attempts, 2);
      assert.equal(bad.failure, "exit");
      assert.match(bad.reason ?? "", /task "bad" exited with code 3/);
      assert.match(bad.stderrTail ?? "", /broken-on-purpose/);
      assert.equal(Object.values(bad.exitCodes)[0], 3);
      assert.equal(await Deno.readTextFile(`${workBase}/good/out.txt`), "ok\n");
      assert.match(await Deno.readTextFile(`${workBase}/bad/err`), /broken-on-purpose/);
      assert.equal(s.jobs().length, 3, "one job for the good task, two attempts for the bad one");
    } finally {
      await s.close();
      await Deno.remove(workBase, { recursive: true });
    }
  });

  Deno.test(`${api}: killed -9 right after job/add, a rerun adopts the job: one cloud job per job`, async () => {
    const s = await startStandin(options);
    const workBase = await Deno.makeTempDir();
    try {
      await writeInputs(workBase, 20);
      const c: ChildConfig = {
        api,
        url: s.url,
        ossEndpoint: s.ossEndpoint,
        ossBucketUrl: s.ossBucketUrl,
        workBase,
      };
      const child = new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          new URL("./_bohrium_child.ts", import.meta.url).pathname,
          JSON.stringify(c),
        ],
        env: { BOHRIUM_TEST_SECRET: secret },
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const deadline = Date.now() + 60_000;
      while (s.jobs().filter((j) => j.inserted).length === 0) {
        assert.ok(Date.now() < deadline, "the child added no job");
        await new Promise((r) => setTimeout(r, 20));
      }
      child.kill("SIGKILL");
      const status = await child.status;
      assert.equal(status.signal, "SIGKILL");
      await child.stdout.cancel();
      await child.stderr.cancel();
      const before = s.jobs().filter((j) => j.inserted).length;
      assert.ok(before >= 1);
      const events: RunEvent[] = [];
      const report = await dispatch({ workBase }).on(bohriumTarget(c, secret)).with({
        groupSize: 5,
      })
        .tasks(bohriumTasks(20)).run({ onEvent: (e) => events.push(e) });
      assert.equal(report.ok, true);
      const names = s.jobs().filter((j) => j.inserted).map((j) => j.name).sort();
      assert.deepEqual(
        names,
        report.jobs.map((j) => `${j.name}-0`).sort(),
        "each job exactly once",
      );
      const adopted = events.filter((e) => e.type === "job:submitted" && e.recovered);
      assert.ok(adopted.length >= 1, "no job was adopted");
      for (let i = 0; i < 20; i++) {
        assert.match(await Deno.readTextFile(`${workBase}/t${i}/out.txt`), /done/);
      }
      await assertNoSecret(workBase, events, [PASSWORD, ACCESS_KEY]);
    } finally {
      await s.close();
      await Deno.remove(workBase, { recursive: true });
    }
  });
}

Deno.test("legacy with a ticket: no login, and the ticket is nowhere on disk", async () => {
  const s = await startStandin({ tickets: [TICKET], pendingMs: 10, schedulingMs: 10 });
  const workBase = await Deno.makeTempDir();
  try {
    const { bohrium } = await import("../src/executor/bohrium/mod.ts");
    const target = bohrium({
      ticket: TICKET,
      programId: 154,
      apiHost: s.url,
      ossEndpoint: s.ossEndpoint,
      ossBucketUrl: s.ossBucketUrl,
    });
    const events: RunEvent[] = [];
    const report = await dispatch({ workBase }).on(target)
      .tasks(task({ command: "echo hi > o.txt", taskWorkPath: "t", backwardFiles: ["o.txt"] }))
      .run({ onEvent: (e) => events.push(e) });
    assert.equal(report.ok, true);
    assert.equal(await Deno.readTextFile(`${workBase}/t/o.txt`), "hi\n");
    assert.equal(s.requests().filter((r) => r.path.endsWith("/account/login")).length, 0);
    await assertNoSecret(workBase, events, [TICKET]);
  } finally {
    await s.close();
    await Deno.remove(workBase, { recursive: true });
  }
});
