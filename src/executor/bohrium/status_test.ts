import assert from "node:assert/strict";
import { STATUS_NAMES, statusMeaning, statusWords } from "./status.ts";

Deno.test("every documented status code has a meaning; 7 and 8 keep the job alive", () => {
  const states = Object.keys(STATUS_NAMES).map(Number).sort((a, b) => a - b)
    .map((c) => [c, statusMeaning(c).state]);
  assert.deepEqual(states, [
    [-1, "ended"],
    [0, "pending"],
    [1, "running"],
    [2, "ended"],
    [3, "pending"],
    [4, "running"],
    [5, "ended"],
    [6, "running"],
    [7, "running"],
    [8, "running"],
    [9, "pending"],
  ]);
  assert.deepEqual(statusMeaning(-1), { state: "ended", how: "failed" });
  assert.deepEqual(statusMeaning(5), { state: "ended", how: "stopped" });
});

Deno.test("an unnamed status code waits with its number in words instead of ending the run", () => {
  const m = statusMeaning(42);
  assert.equal(m.state, "pending");
  assert.match(m.state === "pending" ? m.reason : "", /status 42 \(unknown\)/);
  assert.equal(statusWords(9), "status 9 (Wait)");
});
