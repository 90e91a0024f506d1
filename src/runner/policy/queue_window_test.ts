import assert from "node:assert/strict";
import {
  QUEUE_WINDOW,
  QUEUE_WINDOW_MAX,
  queueRoom,
  queueWindow,
  widenQueueWindow,
} from "./queue_window.ts";

Deno.test("queueWindow: 64 that may grow by default, the user's size fixed", () => {
  assert.deepEqual(queueWindow(), { size: QUEUE_WINDOW, fixed: false });
  assert.deepEqual(queueWindow(5), { size: 5, fixed: true });
  assert.deepEqual(queueWindow(Infinity), { size: Infinity, fixed: true });
  assert.ok(Object.isFrozen(queueWindow()));
});

Deno.test("queueRoom: what the window has left, never below zero", () => {
  assert.equal(queueRoom(queueWindow(10), 0), 10);
  assert.equal(queueRoom(queueWindow(10), 7), 3);
  assert.equal(queueRoom(queueWindow(10), 12), 0);
  assert.equal(queueRoom(queueWindow(Infinity), 1e6), Infinity);
});

Deno.test("widenQueueWindow: doubles only when jobs were held back and none waited", () => {
  const w = queueWindow();
  assert.equal(widenQueueWindow(w, { held: true, pending: 0 }).size, 2 * QUEUE_WINDOW);
  assert.equal(widenQueueWindow(w, { held: true, pending: 1 }), w, "the queue still holds jobs");
  assert.equal(widenQueueWindow(w, { held: false, pending: 0 }), w, "nothing was held back");
  const fixed = queueWindow(8);
  assert.equal(widenQueueWindow(fixed, { held: true, pending: 0 }), fixed, "the user's size");
  let grown = w;
  for (let k = 0; k < 20; k++) grown = widenQueueWindow(grown, { held: true, pending: 0 });
  assert.equal(grown.size, QUEUE_WINDOW_MAX);
});
