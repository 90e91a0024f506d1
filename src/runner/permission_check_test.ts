import assert from "node:assert/strict";
import { join } from "node:path";
import process from "node:process";
import { pathToFileURL } from "node:url";
import { dispatch, PermissionError, task } from "../../mod.ts";
import type { DenoRuntime, PermissionQuery } from "../runtime.ts";
import { checkPermissions, missingFlags } from "./permission_check.ts";

const needs = dispatch({ workBase: "work" })
  .tasks(task({ command: "true", taskWorkPath: "t0" }))
  .permissions();

/** A Deno that grants exactly the given queries (`"run:bash"`, `"env"`, `"read:work"`). */
function fakeDeno(granted: readonly string[], main = "main.ts"): DenoRuntime & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    mainModule: pathToFileURL(join(process.cwd(), main)).href,
    args: ["--in", "a b"],
    permissions: {
      querySync(q: PermissionQuery) {
        const item = Object.entries(q).find(([k]) => k !== "name")?.[1];
        const key = item === undefined ? q.name : `${q.name}:${item}`;
        asked.push(key);
        return { state: granted.includes(key) ? "granted" : "prompt" };
      },
    },
  };
}

Deno.test("missingFlags asks Deno for each item and lists what it lacks, by kind", () => {
  const deno = fakeDeno(["read:work", "write:work", "run:bash", "sys:hostname"]);
  assert.deepEqual(missingFlags(needs, deno), ["--allow-run=ps", "--allow-env"]);
  assert.deepEqual(deno.asked, [
    "read:work",
    "write:work",
    "run:bash",
    "run:ps",
    "env",
    "sys:hostname",
  ]);
});

Deno.test("checkPermissions throws one PermissionError with a command line to paste", () => {
  const deno = fakeDeno(["read:work", "write:work"], "scripts/my run.ts");
  let thrown: unknown;
  try {
    checkPermissions("abc", needs, deno);
  } catch (caught) {
    thrown = caught;
  }
  assert.ok(thrown instanceof PermissionError);
  const p = thrown;
  assert.equal(p.runId, "abc");
  assert.deepEqual(p.missing, ["--allow-run=bash,ps", "--allow-env", "--allow-sys=hostname"]);
  assert.equal(
    p.command,
    "deno run --allow-read=work --allow-write=work --allow-run=bash,ps --allow-env " +
      "--allow-sys=hostname 'scripts/my run.ts' --in 'a b'",
  );
  assert.equal(
    p.message,
    'Cannot start run "abc" without the Deno permissions --allow-run=bash,ps --allow-env ' +
      `--allow-sys=hostname; run it with: ${p.command}`,
  );
});

Deno.test("checkPermissions passes when all is granted, and under Node (no Deno) does nothing", () => {
  const all = fakeDeno(["read:work", "write:work", "run:bash", "run:ps", "env", "sys:hostname"]);
  checkPermissions("abc", needs, all);
  checkPermissions("abc", needs, undefined);
});
