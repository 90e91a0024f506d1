import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { globToRegExp, literalPrefix } from "./_glob.ts";
import { fakeClock, fakeTransport, testTransport } from "./mod.ts";

async function tempTree(files: Record<string, string>): Promise<string> {
  const base = await mkdtemp(join(tmpdir(), "dpd-fake-"));
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(dirname(join(base, rel)), { recursive: true });
    await writeFile(join(base, rel), text);
  }
  return base;
}

Deno.test("glob: *, ? and ** match as the real transports do", () => {
  const yes = (pattern: string, path: string) => assert.ok(globToRegExp(pattern).test(path));
  const no = (pattern: string, path: string) => assert.ok(!globToRegExp(pattern).test(path));
  yes("*.log", "a.log");
  yes("*.log", ".hidden.log");
  no("*.log", "d/a.log");
  yes("?.txt", "a.txt");
  no("?.txt", "ab.txt");
  no("?", "/");
  yes("**/*.log", "a.log");
  yes("**/*.log", "x/y/a.log");
  yes("d/**/k", "d/k");
  yes("d/**/k", "d/1/2/k");
  no("d/**/k", "e/1/k");
  yes("d/**", "d/1/2/k");
  yes("a+b (1).[x]", "a+b (1).[x]");
  no("a.b", "axb");
  assert.equal(literalPrefix("a/b/*.txt"), "a/b");
  assert.equal(literalPrefix("**/x"), "");
  assert.equal(literalPrefix("plain/file"), "plain");
});

Deno.test("fake transport: defaults, exec handler, calls recorded", async () => {
  const fake = fakeTransport();
  assert.equal(fake.name, "fake");
  assert.equal(fake.host, "fake-host");
  assert.equal(fake.inPlace, false);
  assert.deepEqual(fake.options, { remoteRoot: "/remote" });
  assert.equal(fake.runRoot("/work", "r1"), "/remote/r1");
  assert.deepEqual(fake.permissions?.({ run: ["bash", "ps"] }), { run: ["bash", "ps"] });
  assert.deepEqual(fake.permissions?.({}), {});
  const c = await fake.connect();
  assert.deepEqual(await c.exec(["sbatch", "x"]), {
    exitCode: 127,
    stdout: "",
    stderr: "fake: no handler for sbatch",
  });

  const seen: string[] = [];
  const scripted = fakeTransport({
    name: "cluster",
    remoteRoot: "/scratch/",
    files: { "/scratch/r/in.txt": "input" },
    exec: async (argv, ctx) => {
      await Promise.resolve();
      seen.push(`${argv.join(" ")} <${ctx.stdin ?? ""}> ${ctx.idempotent}`);
      ctx.files.set("/scratch/r/job.end", "0\n");
      return { exitCode: 0, stdout: ctx.files.get("/scratch/r/in.txt")!, stderr: "" };
    },
  });
  assert.equal(scripted.runRoot("/w", "r"), "/scratch/r");
  const s = await scripted.connect();
  assert.equal((await s.exec(["sbatch", "job"], { stdin: "hi" })).stdout, "input");
  await s.exec(["squeue"], { idempotent: true });
  assert.deepEqual(scripted.calls, [
    { argv: ["sbatch", "job"], stdin: "hi" },
    { argv: ["squeue"], idempotent: true },
  ]);
  assert.deepEqual(seen, ["sbatch job <hi> undefined", "squeue <> true"]);
  assert.deepEqual(await s.readFiles(["/scratch/r/job.end", "/scratch/r/nope"]), [
    "0\n",
    undefined,
  ]);
  await s.close();
  await assert.rejects(s.exec(["x"]), /connection is closed/);
  assert.equal(scripted.closes, 1);
  assert.equal(scripted.connects, 1);
});

Deno.test("fake transport: failNext throws the given error on the next N calls", async () => {
  const fake = fakeTransport({ exec: () => ({ exitCode: 0, stdout: "ok", stderr: "" }) });
  const drop = new Error("link dropped");
  fake.failNext("connect", drop);
  await assert.rejects(fake.connect(), (e) => e === drop);
  const c = await fake.connect();
  fake.failNext("exec", drop, 2);
  fake.failNext("readFiles", drop);
  fake.failNext("download", drop);
  await assert.rejects(c.exec(["a"]), (e) => e === drop);
  await assert.rejects(c.exec(["b"]), (e) => e === drop);
  assert.equal((await c.exec(["c"])).stdout, "ok");
  await assert.rejects(c.readFiles(["/x"]), (e) => e === drop);
  assert.deepEqual(await c.readFiles(["/x"]), [undefined]);
  await assert.rejects(c.download("/remote", "/nowhere", ["x"]), (e) => e === drop);
  // Failed calls are recorded too: a test can see that a retry happened.
  assert.deepEqual(fake.calls.map((call) => call.argv[0]), ["a", "b", "c"]);
  assert.deepEqual(fake.transfers.map((t) => t.kind), [
    "readFiles",
    "readFiles",
    "download",
  ]);
  fake.failNext("writeFiles", drop);
  fake.failNext("remove", drop);
  fake.failNext("upload", drop);
  await assert.rejects(c.writeFiles([{ path: "/remote/a", content: "" }]), (e) => e === drop);
  await assert.rejects(c.remove("/remote/a"), (e) => e === drop);
  await assert.rejects(c.upload("/nowhere", "/remote", ["x"]), (e) => e === drop);
  assert.equal(fake.files.size, 0);
});

Deno.test("fake transport: upload and download with files, dirs, globs and missing", async () => {
  const base = await tempTree({
    "a.txt": "A",
    "d/b.txt": "BB",
    "d/e/c.log": "CCC",
    "logs/1.log": "1",
    "logs/22.log": "22",
    "logs/x.txt": "x",
  });
  try {
    const fake = fakeTransport();
    const c = await fake.connect();
    const up = await c.upload(base, "/remote/r", ["a.txt", "d", "logs/?.log", "no", "z/*.q"]);
    assert.deepEqual(up, { files: 4, bytes: 7, missing: ["no", "z/*.q"] });
    assert.deepEqual([...fake.files.keys()].sort(), [
      "/remote/r/a.txt",
      "/remote/r/d/b.txt",
      "/remote/r/d/e/c.log",
      "/remote/r/logs/1.log",
    ]);
    assert.ok(fake.dirs.has("/remote/r/d/e"));
    // Unchanged files are not counted again; ** reaches any depth.
    assert.deepEqual(await c.upload(base, "/remote/r", ["**/*.log"]), {
      files: 1,
      bytes: 2,
      missing: [],
    });
    assert.deepEqual(await c.upload(base, "/remote/r", ["a.txt", "d"]), {
      files: 0,
      bytes: 0,
      missing: [],
    });
    assert.deepEqual(fake.transfers[0], {
      kind: "upload",
      localBase: base,
      remoteBase: "/remote/r",
      entries: ["a.txt", "d", "logs/?.log", "no", "z/*.q"],
    });

    fake.files.set("/remote/r/out/res.txt", "result ü");
    fake.files.set("/remote/other/secret", "no");
    const back = join(base, "back");
    const down = await c.download("/remote/r", back, ["out", "d/*", "**/2?.log", "gone", "*.x"]);
    assert.deepEqual(down, { files: 4, bytes: 2 + 3 + 2 + 9, missing: ["gone", "*.x"] });
    assert.equal(await readFile(join(back, "out/res.txt"), "utf8"), "result ü");
    assert.equal(await readFile(join(back, "d/e/c.log"), "utf8"), "CCC");
    assert.equal(await readFile(join(back, "logs/22.log"), "utf8"), "22");
    assert.deepEqual(await c.download("/remote/none", back, ["x"]), {
      files: 0,
      bytes: 0,
      missing: ["x"],
    });
  } finally {
    await rm(base, { recursive: true, force: true });
  }
});

Deno.test("fake transport: writeFiles records dirs; remove takes a tree, not its sibling", async () => {
  const fake = fakeTransport();
  const c = await fake.connect();
  await c.writeFiles(
    [{ path: "/remote/r/t/a", content: "1" }, { path: "/remote/r/t2/b", content: "2" }],
    { dirs: ["/remote/r/t/x/", "/remote/r/u"] },
  );
  assert.deepEqual([...fake.dirs], ["/remote/r/t/x", "/remote/r/u"]);
  assert.deepEqual(fake.transfers[0], {
    kind: "writeFiles",
    files: [{ path: "/remote/r/t/a", content: "1" }, { path: "/remote/r/t2/b", content: "2" }],
    dirs: ["/remote/r/t/x/", "/remote/r/u"],
  });
  await c.writeFiles([{ path: "/remote/r/t/a", content: "one" }]);
  assert.equal(fake.files.get("/remote/r/t/a"), "one");
  await c.remove("/remote/r/absent");
  await c.remove("/remote/r/t");
  assert.deepEqual([...fake.files.keys()], ["/remote/r/t2/b"]);
  assert.deepEqual([...fake.dirs], ["/remote/r/u"]);
  await c[Symbol.asyncDispose]();
  await c.close();
  assert.equal(fake.closes, 2);
});

Deno.test("fake clock: sleeps advance now at once, aborted ones return", async () => {
  const clock = fakeClock(100);
  assert.equal(clock.now(), 100);
  let later = false;
  const sleeping = clock.sleep(60_000).then(() => (later = true));
  assert.equal(clock.now(), 60_100); // moved at once
  assert.equal(later, false); // resolves on a microtask, not synchronously
  await sleeping;
  assert.equal(later, true);
  await clock.sleep(-5);
  await clock.sleep(Number.NaN);
  const controller = new AbortController();
  controller.abort();
  await clock.sleep(1_000, controller.signal);
  await clock.sleep(40, new AbortController().signal);
  assert.equal(clock.now(), 60_140);
  assert.equal(clock.slept, 60_040);
  assert.equal(fakeClock().now(), 0);
});

Deno.test("testTransport: the fake passes the conformance steps (exec: false)", async (t) => {
  const workBase = await mkdtemp(join(tmpdir(), "dpd-fake-suite-"));
  try {
    // One instance for every step, so its in-memory disk persists like a real one.
    const fake = fakeTransport();
    await testTransport(t, () => fake, { workBase, exec: false, runId: "r" });
    assert.equal(fake.closes, fake.connects + 2); // the close-twice step closes its connection 3 times
    assert.deepEqual(fake.files.size, 0); // the clean-up step removed the run root
  } finally {
    await rm(workBase, { recursive: true, force: true });
  }
});

Deno.test("testTransport: a broken transport fails its steps", async () => {
  // A fake whose readFiles drops trailing newlines must not pass.
  const workBase = await mkdtemp(join(tmpdir(), "dpd-fake-suite-"));
  const failed: string[] = [];
  const steps = {
    step: async (name: string, fn: () => void | Promise<void>) => {
      try {
        await fn();
      } catch {
        failed.push(name);
      }
    },
  };
  try {
    await testTransport(steps, () => {
      const fake = fakeTransport();
      const connect = fake.connect;
      return {
        ...fake,
        connect: async () => {
          const c = await connect();
          return {
            ...c,
            readFiles: async (paths) => (await c.readFiles(paths)).map((s) => s?.trimEnd()),
          };
        },
      };
    }, { workBase, exec: false });
    assert.ok(failed.some((n) => n.startsWith("readFiles")), failed.join("; "));
  } finally {
    await rm(workBase, { recursive: true, force: true });
  }
});
