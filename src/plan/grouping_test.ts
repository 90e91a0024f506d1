import assert from "node:assert/strict";
import { groupTasks } from "./grouping.ts";

Deno.test("grouping is deterministic and covers every task once", () => {
  const a = groupTasks(103, 10);
  assert.deepEqual(a, groupTasks(103, 10));
  assert.equal(a.length, 11);
  assert.deepEqual(a.map((j) => j.length), [10, 10, 10, 10, 10, 10, 10, 10, 10, 10, 3]);
  assert.deepEqual(a.flat().sort((x, y) => x - y), Array.from({ length: 103 }, (_, i) => i));
  assert.notDeepEqual(a.flat(), Array.from({ length: 103 }, (_, i) => i), "tasks are shuffled");
  assert.notDeepEqual(groupTasks(103, 10, "7"), a, "the seed matters");
});

Deno.test("groupSize 0 puts every task in one job", () => {
  assert.equal(groupTasks(7, 0).length, 1);
  assert.equal(groupTasks(7, 0)[0].length, 7);
  assert.equal(groupTasks(3, 10).length, 1);
});
