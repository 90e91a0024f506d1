// Runs every JSDoc @example of the library (`deno test --doc`), as issue #6 asks: the examples
// are type-checked by `deno task check` and executed here, in a scratch directory holding the
// "work" and "project" directories they name.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";

const ROOT = new URL("..", import.meta.url).pathname;

Deno.test("every JSDoc example runs", async () => {
  const sources = execFileSync("git", ["ls-files", "mod.ts", "src/*.ts"], {
    cwd: ROOT,
    encoding: "utf8",
  }).split("\n").filter((f) => f && !f.endsWith("_test.ts")).map((f) => `${ROOT}${f}`);
  const scratch = await Deno.makeTempDir({ prefix: "dpd-doc-" });
  await Deno.mkdir(`${scratch}/work`);
  await Deno.mkdir(`${scratch}/project`);
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "test",
      "--doc",
      "--no-check", // `deno task check` type-checks them
      "--parallel",
      "-A",
      "--config",
      `${ROOT}deno.json`,
      "--permit-no-files",
      ...sources,
    ],
    cwd: scratch,
    env: { NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const out = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  assert.equal(code, 0, out.slice(-3000));
  const passed = Number(/ok \| (\d+) passed(?: \(\d+ steps\))? \| 0 failed/.exec(out)?.[1] ?? 0);
  assert.ok(passed >= 30, `expected the library's examples to run, got: ${out.slice(-500)}`);
  await Deno.remove(scratch, { recursive: true });
});
