import assert from "node:assert/strict";
import { fold, type JournalRecord } from "./run_state.ts";

const failedTwice: JournalRecord[] = [
  { t: "staged", files: 1, bytes: 1, root: "/r", at: 1 },
  { t: "intent", job: "a", attempt: 0, at: 2 },
  { t: "submitted", job: "a", attempt: 0, id: "1", at: 3 },
  { t: "ended", job: "a", attempt: 0, ok: false, codes: { t1: 0, t2: 1 }, at: 4 },
  { t: "intent", job: "a", attempt: 1, at: 5 },
  { t: "submitted", job: "a", attempt: 1, id: "2", at: 6 },
  { t: "ended", job: "a", attempt: 1, ok: false, codes: { t1: 0, t2: 1 }, at: 7 },
  { t: "collected", job: "a", tasks: ["t1", "t2"], missing: {}, at: 8 },
  { t: "final", job: "a", state: "failed", reason: "a task failed", at: 9 },
];

Deno.test("a reset record gives failed jobs their retry budget back and reopens them", () => {
  const state = fold([...failedTwice, { t: "reset", jobs: ["a"], at: 10 }]);
  const a = state.jobs.get("a")!;
  assert.equal(a.failures, 0);
  assert.equal(a.final, undefined);
  assert.equal(a.attempts, 2, "attempt numbers keep counting");
  // The failed task's logs were collected; its results must still be brought home later.
  assert.deepEqual([...a.collected], ["t1"]);
});

Deno.test("a cleaned record makes the next run stage again", () => {
  const state = fold([...failedTwice, { t: "cleaned", at: 10 }]);
  assert.equal(state.staged, false);
  assert.equal(state.stagedRoot, undefined);
});
