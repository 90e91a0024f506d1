// A new user's first hour with the real `dpdisp` binary, run from a scratch project directory
// outside the clone: relative paths, did-you-mean, status from the project or the submission
// file, missing results and failed tasks said out loud, JSON keyed by task path.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { dpdispIn } from "./_cli.ts";
import { sshEnv } from "./_ssh.ts";

/** A project directory with `sub.json` whose work base is `work/`, as dpdispatcher users write it. */
function project(tasks: readonly Record<string, unknown>[]): string {
  const dir = mkdtempSync(join(tmpdir(), "dpd-first-hour-"));
  mkdirSync(join(dir, "work", "t1"), { recursive: true });
  writeFileSync(join(dir, "work", "t1", "in.txt"), "hello\n");
  writeFileSync(
    join(dir, "sub.json"),
    JSON.stringify({
      work_base: "work/",
      machine: { batch_type: "Shell", context_type: "LazyLocalContext", local_root: "./" },
      resources: { number_node: 1, cpu_per_node: 1, group_size: 1 },
      task_list: tasks,
    }),
  );
  return dir;
}

Deno.test("dpdisp from a project directory: relative paths, did-you-mean, status by project or file", async () => {
  const dir = project([
    {
      command: "cat in.txt > out.txt",
      task_work_path: "t1/",
      forward_files: ["in.txt"],
      backward_files: ["out.txt"],
    },
  ]);
  const missing = await dpdispIn(dir, "submit", "nope.json");
  assert.equal(missing.code, 2);
  assert.match(
    missing.stderr,
    new RegExp(`Cannot read "nope.json": no such file \\(looked for ${dir}/nope.json\\)`),
  );

  const typo = await dpdispIn(dir, "sumbit", "sub.json");
  assert.equal(typo.code, 2);
  assert.match(typo.stderr, /unknown command "sumbit"; did you mean "submit"\? See dpdisp --help/);
  const option = await dpdispIn(dir, "submit", "sub.json", "--dryrun");
  assert.equal(option.code, 2);
  assert.match(
    option.stderr,
    /Unknown option '--dryrun'; did you mean "--dry-run"\? See dpdisp submit --help/,
  );

  const run = await dpdispIn(dir, "submit", "sub.json", "--quiet");
  assert.equal(run.code, 0, run.stdout + run.stderr);
  assert.equal(Deno.readTextFileSync(join(dir, "work", "t1", "out.txt")), "hello\n");

  const fromProject = await dpdispIn(dir, "status");
  assert.equal(fromProject.code, 0, fromProject.stderr);
  assert.match(
    fromProject.stdout,
    /run \w+ \(in work\): 1 jobs \(1 finished, 0 failed\), 1\/1 tasks done/,
  );
  const fromFile = await dpdispIn(dir, "status", "sub.json");
  assert.equal(fromFile.code, 0, fromFile.stderr);
  assert.match(fromFile.stdout, /^run \w+: 1 jobs \(1 finished, 0 failed\)/);
  const elsewhere = await dpdispIn(join(dir, "work", "t1"), "status");
  assert.match(elsewhere.stdout, /No runs recorded under "\." or its subdirectories/);
});

Deno.test("dpdisp submit says which results are missing and where a failed task's stderr is", async () => {
  const dir = project([
    {
      command: "cat in.txt > out.txt",
      task_work_path: "t1/",
      forward_files: ["in.txt"],
      backward_files: ["out.txt", "nothere.txt"],
    },
    {
      command: "echo boom >&2; exit 3",
      task_work_path: "t2/",
      forward_files: [],
      backward_files: [],
    },
  ]);
  const sub = JSON.parse(Deno.readTextFileSync(join(dir, "sub.json")));
  writeFileSync(
    join(dir, "sub.json"),
    JSON.stringify({ ...sub, machine: sub.machine, resources: sub.resources }),
  );
  const r = await dpdispIn(dir, "submit", "sub.json", "--quiet");
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(
    r.stderr,
    /warning: task directory t2 does not exist in ".*\/work": the run creates it/,
  );
  assert.match(
    r.stdout,
    /results missing: 1 task left a backward file unmatched \(exit 1\)\n +t1: t1\/nothere\.txt/,
  );
  assert.match(r.stdout, new RegExp(`t2: exit 3; stderr: ${dir}/work/t2/err`));
  assert.match(
    r.stdout,
    /retry them: dpdisp submission \w+ --work-base work\/ --reset-fail-count && dpdisp submit sub\.json/,
  );
});

Deno.test("dpdisp submit --json keys exit codes and missing files by task path, and ends a fatal error with a JSON event", async () => {
  const dir = project([
    {
      command: "cat in.txt > out.txt",
      task_work_path: "t1/",
      forward_files: ["in.txt"],
      backward_files: ["out.txt", "nothere.txt"],
    },
  ]);
  const r = await dpdispIn(dir, "submit", "sub.json", "--json");
  const events = r.stdout.trim().split("\n").map((l) => JSON.parse(l));
  const ended = events.find((e) => e.type === "job:ended");
  assert.deepEqual(ended.exitCodes, { t1: 0 });
  const collected = events.find((e) => e.type === "job:collected");
  assert.deepEqual(collected.missing, { t1: ["t1/nothere.txt"] });

  // A work base that is not there: the error is the last JSON line, with the exit code.
  const sub = JSON.parse(Deno.readTextFileSync(join(dir, "sub.json")));
  writeFileSync(join(dir, "gone.json"), JSON.stringify({ ...sub, work_base: "gone/" }));
  const bad = await dpdispIn(dir, "submit", "gone.json", "--json");
  assert.equal(bad.code, 2);
  const last = JSON.parse(bad.stdout.trim().split("\n").at(-1)!);
  assert.equal(last.type, "error");
  assert.equal(last.exitCode, 2);
  assert.match(last.message, /work_base|workBase/);
});

Deno.test("a script outside the clone imports mod.ts and the compat module by path and runs with plain deno run", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dpd-by-path-"));
  const root = new URL("..", import.meta.url).pathname;
  writeFileSync(
    join(dir, "use.ts"),
    `import { dispatch, resources, task } from "${root}mod.ts";
import { Machine } from "${root}src/compat/mod.ts";
const report = await dispatch({ workBase: "w" }).with(resources({ groupSize: 1 }))
  .tasks(task({ command: "echo hi > out.txt", taskWorkPath: "t0", backwardFiles: ["out.txt"] })).run();
console.log(report.ok, typeof Machine.load_from_json);
`,
  );
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "--no-config", "use.ts"],
    cwd: dir,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const err = new TextDecoder().decode(stderr);
  assert.equal(code, 0, err);
  assert.equal(new TextDecoder().decode(stdout), "true function\n");
  assert.equal(Deno.readTextFileSync(join(dir, "w", "t0", "out.txt")), "hi\n");
});

Deno.test({
  name: "SSH errors reached from a JSON file name remote_profile keys as the user wrote them",
  ignore: sshEnv() === undefined,
  fn: async () => {
    const e = sshEnv()!;
    const dir = mkdtempSync(join(tmpdir(), "dpd-first-hour-ssh-"));
    mkdirSync(join(dir, "t0"));
    writeFileSync(join(dir, "t0", "in.txt"), "x");
    writeFileSync(join(dir, "empty_known_hosts"), "");
    const sub = (profile: Record<string, unknown>) =>
      JSON.stringify({
        work_base: "./",
        machine: {
          batch_type: "Shell",
          context_type: "SSHContext",
          remote_root: "/tmp/dpd-first-hour-remote",
          remote_profile: {
            hostname: e.host,
            port: e.ports.target,
            username: "hpcuser",
            look_for_keys: false,
            ...profile,
          },
        },
        resources: { group_size: 1 },
        task_list: [{ command: "true", task_work_path: "t0/", forward_files: ["in.txt"] }],
      });
    writeFileSync(join(dir, "nokey.json"), sub({ key_filename: join(dir, "no_such_key") }));
    const nokey = await dpdispIn(dir, "submit", "nokey.json");
    assert.equal(nokey.code, 2, nokey.stderr);
    assert.match(nokey.stderr, /Invalid machine\.remote_profile\.key_filename: cannot read/);
    writeFileSync(
      join(dir, "unknown.json"),
      sub({ key_filename: e.keys.ed25519, known_hosts: join(dir, "empty_known_hosts") }),
    );
    const unknown = await dpdispIn(dir, "submit", "unknown.json");
    assert.equal(unknown.code, 1, unknown.stderr);
    assert.match(
      unknown.stderr,
      /set "host_key_policy": "accept-new" in machine\.remote_profile/,
    );
    assert.doesNotMatch(unknown.stderr, /hostKeyPolicy/);
  },
});
