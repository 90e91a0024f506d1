import assert from "node:assert/strict";
import { main } from "./main.ts";

async function capture(args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const original = console.error;
  console.error = (line: string) => err.push(line);
  try {
    const code = await main(args, (line) => out.push(line));
    return { code, out: out.join("\n"), err: err.join("\n") };
  } finally {
    console.error = original;
  }
}

const COMMANDS = ["submit", "status", "cancel", "submission", "render", "schema"];

Deno.test("every command has --help with usage, options and examples", async () => {
  const top = await capture(["--help"]);
  assert.equal(top.code, 0);
  for (const name of COMMANDS) {
    assert.match(top.out, new RegExp(`^  ${name} +\\S`, "m"), `${name} listed`);
    for (const args of [[name, "--help"], [name, "-h"], ["help", name]]) {
      const r = await capture(args);
      assert.equal(r.code, 0, args.join(" "));
      assert.match(r.out, new RegExp(`^dpdisp ${name}: `), args.join(" "));
      assert.match(r.out, new RegExp(`\\nUsage: dpdisp ${name}\\b`));
      assert.match(r.out, /\nOptions:\n/);
      assert.match(r.out, new RegExp(`\\nExamples:\\n  dpdisp ${name}\\b`));
    }
  }
  assert.equal((await capture([])).out, top.out);
  assert.match((await capture(["--version"])).out, /^\d+\.\d+\.\d+/);
});

Deno.test("bad command lines exit 2 with one line", async () => {
  for (
    const [args, message] of [
      [["frobnicate"], /^dpdisp: unknown command "frobnicate"; see dpdisp --help$/],
      [["submit"], /^dpdisp submit: Missing FILE .*; see dpdisp submit --help$/],
      [["submit", "a.json", "b.json"], /^dpdisp submit: Unexpected argument "b\.json"/],
      [["status", "--colour"], /^dpdisp status: Unknown option '--colour'; see dpdisp status/],
      [["cancel"], /^dpdisp cancel: Missing RUN/],
      [["submission", "--clean"], /^dpdisp submission: Missing RUN/],
      [["schema", "cluster"], /^dpdisp schema: Invalid KIND: expected .*, got "cluster"/],
      [
        ["cancel", "--work-base"],
        /^dpdisp cancel: Option '-w, --work-base <value>' argument missing/,
      ],
    ] as const
  ) {
    const r = await capture([...args]);
    assert.equal(r.code, 2, args.join(" "));
    assert.match(r.err, message);
    assert.equal(r.err.split("\n").length, 1, args.join(" "));
  }
});

Deno.test("dpdisp --help shows a machine example for every built-in batch system", async () => {
  const { BATCH_TYPES } = await import("../builtins.ts");
  const top = await capture(["--help"]);
  for (const { batchType } of Object.values(BATCH_TYPES)) {
    if (batchType.endsWith("JobArray")) continue; // the array flavour of a system shown
    assert.match(top.out, new RegExp(`\\{"batch_type": "${batchType}"`), batchType);
  }
});
