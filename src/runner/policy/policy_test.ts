import assert from "node:assert/strict";
import { dropReason, shouldDrop } from "./drop.ts";
import { MAX_INTERVAL_MS, MIN_INTERVAL_MS, nextInterval } from "./poll_interval.ts";
import { mayRetry, retryDelaySeconds, submitBackoffMs } from "./retry.ts";

Deno.test("retry: submit backoff doubles to its cap; a failed job retries within its budget", () => {
  assert.deepEqual([1, 2, 3, 7, 8].map((n) => submitBackoffMs(n, "transient")), [
    1000,
    2000,
    4000,
    60_000,
    60_000,
  ]);
  assert.equal(submitBackoffMs(8, "limit"), 120_000);
  assert.equal(mayRetry({ failures: 3, retryCount: 3, failure: "oom" }), true);
  assert.equal(mayRetry({ failures: 4, retryCount: 3, failure: "oom" }), false);
  assert.equal(mayRetry({ failures: 1, retryCount: 0 }), false);
  assert.equal(mayRetry({ failures: 1, retryCount: 5, failure: "cancelled" }), false);
  assert.deepEqual([1, 2, 3, 9, 10].map((f) => retryDelaySeconds(f, 2)), [2, 4, 8, 300, 300]);
  assert.equal(retryDelaySeconds(3, 0), 0);
});

Deno.test("poll interval: short after a change, x1.5 while quiet up to the cap, or fixed", () => {
  let ms = MIN_INTERVAL_MS;
  const seen: number[] = [];
  for (let i = 0; i < 12; i++) seen.push(ms = nextInterval(ms, { changed: false }));
  assert.equal(seen[0], 375);
  assert.equal(seen.at(-1), MAX_INTERVAL_MS);
  assert.ok(seen.every((v, i) => i === 0 || v >= seen[i - 1]));
  assert.equal(nextInterval(MAX_INTERVAL_MS, { changed: true }), MIN_INTERVAL_MS);
  assert.equal(nextInterval(MAX_INTERVAL_MS, { changed: true, fixedSeconds: 0.5 }), 500);
});

Deno.test("drop: only with a ratio, an open job and enough finished tasks", () => {
  assert.equal(shouldDrop({ ratio: 0.5, finished: 5, total: 10, open: 2 }), true);
  assert.equal(shouldDrop({ ratio: 0.5, finished: 4, total: 10, open: 2 }), false);
  assert.equal(shouldDrop({ ratio: 0.5, finished: 9, total: 10, open: 0 }), false);
  assert.equal(shouldDrop({ ratio: 0.25, finished: 8, total: 10, open: 1 }), true); // ceil(7.5)
  assert.equal(shouldDrop({ ratio: 0.25, finished: 7, total: 10, open: 1 }), false);
  assert.match(dropReason({ ratio: 0.5, finished: 5, total: 10 }), /^dropped: 5 of 10 tasks/);
});
