import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { tempDir } from "./_helpers.ts";

const MAIN = new URL("../src/cli/main.ts", import.meta.url).pathname;
const dpdisp = (...args: string[]) =>
  spawnSync(Deno.execPath(), ["run", "-A", MAIN, ...args], { encoding: "utf8" });

async function submission(dir: string, extra: Record<string, unknown> = {}): Promise<string> {
  for (let i = 0; i < 3; i++) {
    await Deno.mkdir(`${dir}/work/t${i}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/work/t${i}/in.txt`, `in ${i}`);
  }
  const file = `${dir}/submission.json`;
  await Deno.writeTextFile(
    file,
    JSON.stringify({
      work_base: "work/",
      machine: { batch_type: "Shell", context_type: "LazyLocalContext", local_root: dir },
      resources: { group_size: 2 },
      task_list: [0, 1, 2].map((i) => ({
        command: "cp in.txt out.txt",
        task_work_path: `t${i}/`,
        forward_files: ["in.txt"],
        backward_files: ["out.txt"],
      })),
      ...extra,
    }),
  );
  return file;
}

Deno.test("dpdisp submit runs a dpdispatcher submission; a rerun re-attaches; status shows it", async () => {
  const dir = await tempDir();
  const file = await submission(dir);
  const first = dpdisp("submit", file);
  assert.equal(first.status, 0, first.stderr);
  assert.match(first.stdout, /3 tasks in 2 jobs/);
  for (let i = 0; i < 3; i++) {
    assert.equal(await Deno.readTextFile(`${dir}/work/t${i}/out.txt`), `in ${i}`);
  }
  const again = dpdisp("submit", file);
  assert.equal(again.status, 0);
  assert.match(again.stdout, /re-attached/);
  const status = dpdisp("status", `${dir}/work`);
  assert.match(status.stdout, /2 jobs \(2 finished, 0 failed/);
  const render = dpdisp("render", file);
  assert.equal(render.status, 0);
  assert.equal(render.stdout.match(/^#!\/bin\/bash$/gm)?.length, 2);
});

Deno.test("dpdisp submit: bad input exits 2 with one clear line and touches nothing", async () => {
  const dir = await tempDir();
  const cases: [string, Record<string, unknown> | string, RegExp][] = [
    ["invalid JSON", "{ not json", /Invalid JSON in/],
    ["missing group_size", { resources: {} }, /resources\.group_size: missing/],
    [
      "wrong type",
      { resources: { group_size: "two" } },
      /resources\.group_size: expected a number, got "two"/,
    ],
    ["unsupported batch type", {
      machine: { batch_type: "LSF", context_type: "LazyLocal", local_root: "." },
    }, /"LSF" is not supported yet/],
    [
      "absolute task path",
      { task_list: [{ command: "x", task_work_path: "/etc" }] },
      /task_list\[0\]\.task_work_path/,
    ],
    [
      "escaping task path",
      { task_list: [{ command: "x", task_work_path: "../../x" }] },
      /inside the work base/,
    ],
    [
      "unknown key with --strict",
      { resources: { group_size: 1, grup_size: 1 } },
      /did you mean "group_size"/,
    ],
  ];
  for (const [what, change, pattern] of cases) {
    const file = await submission(`${dir}/${what.replaceAll(" ", "-")}`);
    if (typeof change === "string") await Deno.writeTextFile(file, change);
    else {
      const json = JSON.parse(await Deno.readTextFile(file));
      await Deno.writeTextFile(file, JSON.stringify({ ...json, ...change }));
    }
    const r = dpdisp("submit", file, "--strict");
    assert.equal(r.status, 2, `${what}: ${r.stderr}`);
    assert.match(r.stderr, pattern, what);
    assert.equal(r.stderr.trim().split("\n").length, 1, `${what}: one line`);
    await assert.rejects(
      Deno.stat(`${dir}/${what.replaceAll(" ", "-")}/work/.dpdispatcher`),
      Deno.errors.NotFound,
      what,
    );
  }
});
