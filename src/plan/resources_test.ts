import assert from "node:assert/strict";
import { resources } from "./resources.ts";
import { formatClock, parseMemory, parseWalltime } from "./units.ts";

Deno.test("resources fill dpdispatcher's defaults", () => {
  const r = resources({ groupSize: 5 });
  assert.equal(r.numberNode, 1);
  assert.equal(r.cpuPerNode, 1);
  assert.equal(r.gpuPerNode, 0);
  assert.equal(r.queueName, "");
  assert.equal(r.paraDeg, 1);
  assert.deepEqual(r.strategy, { ifCudaMultiDevices: false, ratioUnfinished: 0 });
  assert.ok(Object.isFrozen(r) && Object.isFrozen(r.strategy) && Object.isFrozen(r.customFlags));
});

Deno.test("walltime and memory accept the usual spellings", () => {
  for (
    const [text, seconds] of [
      ["90m", 5400],
      ["1h30m", 5400],
      ["01:30:00", 5400],
      ["1-00:00:00", 86400],
      ["2d", 172800],
      ["45s", 45],
      ["30:00", 1800],
      [120, 120],
    ] as const
  ) {
    assert.equal(parseWalltime(text), seconds, String(text));
  }
  for (
    const [text, mib] of [
      ["4G", 4096],
      ["4GB", 4096],
      ["4GiB", 4096],
      ["512M", 512],
      ["1.5g", 1536],
      ["2048K", 2],
      [100, 100],
    ] as const
  ) {
    assert.equal(parseMemory(text), mib, String(text));
  }
  assert.equal(parseWalltime("soon"), undefined);
  assert.equal(parseMemory("lots"), undefined);
  assert.equal(formatClock(5400), "01:30:00");
  assert.equal(formatClock(100 * 3600 + 61), "100:01:01");
  const r = resources({ groupSize: 1, walltime: "1h30m", memory: "4G" });
  assert.equal(r.walltime, 5400);
  assert.equal(r.memory, 4096);
});

Deno.test("bad resources name the field and the value", () => {
  const cases: [unknown, RegExp][] = [
    [{}, /resources\.groupSize: missing \(expected a number\)/],
    [{ groupSize: -1 }, /resources\.groupSize.*>= 0, got -1/],
    [{ groupSize: 1, cpuPerNode: "four" }, /resources\.cpuPerNode.*got "four"/],
    [{ groupSize: 1, cpuPerNode: 0 }, /resources\.cpuPerNode.*>= 1, got 0/],
    [{ groupSize: 1.5 }, /resources\.groupSize: expected an integer, got 1\.5/],
    [{ groupSize: 1, walltime: "soon" }, /resources\.walltime.*got "soon"/],
    [{ groupSize: 1, memory: "lots" }, /resources\.memory.*got "lots"/],
    [
      { groupSize: 1, strategy: { ratioUnfinished: 2 } },
      /resources\.strategy\.ratioUnfinished.*got 2/,
    ],
    [
      { groupSize: 1, strategy: { ifCudaMultiDevices: true } },
      /ifCudaMultiDevices: needs gpuPerNode > 0/,
    ],
    [
      { groupSize: 1, numberNode: 2, gpuPerNode: 1, strategy: { ifCudaMultiDevices: true } },
      /ifCudaMultiDevices: needs numberNode 1, got numberNode 2/,
    ],
    [
      { groupSize: 1, kwargs: { custom_gpu_line: ["#SBATCH --gres=gpu:a100:1", "#SBATCH -x"] } },
      /^Invalid resources\.kwargs\.custom_gpu_line: expected one header line \(a string\), got \["#SBATCH/,
    ],
    [{ groupSize: 1, kwargs: { customGpuLine: 1 } }, /kwargs\.customGpuLine: .*got 1;/],
    [{ groupSize: 1, envs: { "1X": "a" } }, /resources\.envs/],
    [{ groupSize: 1, account: "my account" }, /resources\.account.*got "my account"/],
    [{ groupSize: 1, group_size: 1 }, /unknown key "group_size"/],
  ];
  for (const [input, pattern] of cases) {
    assert.throws(
      () => resources(input as never),
      (e: Error) => e instanceof TypeError && pattern.test(e.message),
      JSON.stringify(input),
    );
  }
});
