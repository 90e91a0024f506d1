import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { StateError } from "../errors.ts";
import { Journal } from "./journal.ts";
import { fold } from "./run_state.ts";

Deno.test("journal appends, folds, and ignores a torn last line", async () => {
  const dir = await Deno.makeTempDir();
  const j = await Journal.open(dir, "run1");
  await j.append([{ t: "intent", job: "a", attempt: 0, at: 1 }], true);
  await j.append([{ t: "submitted", job: "a", attempt: 0, id: "42", at: 2 }], true);
  await j.close();
  await Deno.writeTextFile(`${dir}/run1.jsonl`, '{"t":"ended","job":"a","att', { append: true });
  const again = await Journal.open(dir, "run1");
  assert.equal(again.records.length, 2);
  // The torn tail is cut off, so a record appended now is not glued onto it.
  await again.append([{ t: "ended", job: "a", attempt: 0, ok: true, codes: {}, at: 3 }], true);
  assert.deepEqual((await Journal.read(`${dir}/run1.jsonl`)).map((r) => r.t), [
    "intent",
    "submitted",
    "ended",
  ]);
  const state = fold(again.records);
  assert.equal(state.jobs.get("a")?.submitted?.id, "42");
  assert.equal(state.jobs.get("a")?.intent, undefined);
  await again.close();
  await Deno.writeTextFile(`${dir}/bad.jsonl`, 'nonsense\n{"t":"run"}\n{"t":"run"}\n');
  await assert.rejects(Journal.read(`${dir}/bad.jsonl`), StateError);
  await Deno.remove(dir, { recursive: true });
});

Deno.test("a live runner's lock is refused and a dead runner's lock is taken over", async () => {
  const dir = await Deno.makeTempDir();
  const holder = await Journal.open(dir, "run2");
  // Another process holding the lock: refuse.
  const other = spawn("sleep", ["30"]);
  await Deno.writeTextFile(`${dir}/run3.lock`, `${other.pid} ${Deno.hostname()}\n`);
  await assert.rejects(
    Journal.open(dir, "run3"),
    (e: Error) => e instanceof StateError && /already being run by process/.test(e.message),
  );
  other.kill("SIGKILL");
  await new Promise((r) => other.on("exit", r));
  // Its runner died: take over.
  const next = await Journal.open(dir, "run3");
  await next.close();
  await holder.close();
  await Deno.remove(dir, { recursive: true });
});
