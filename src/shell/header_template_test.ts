import assert from "node:assert/strict";
import { resources } from "../plan/resources.ts";
import { fillHeader } from "./header_template.ts";

Deno.test("a header template takes resource values, kwargs and strategy entries, and literal braces", () => {
  const r = resources({
    groupSize: 1,
    numberNode: 2,
    cpuPerNode: 8,
    queueName: "tiger",
    kwargs: { qos: "tiger-vshort", customGpuLine: "#SBATCH --gres=gpu:2" },
  });
  const template = [
    "#SBATCH -N {number_node} -n {cpuPerNode} -p {queue_name}",
    "#SBATCH --qos={kwargs[qos]}",
    "{kwargs[custom_gpu_line]}",
    "# ratio {strategy[ratio_unfinished]}",
    "echo {{literal}} {unknown} {kwargs[absent]}",
  ].join("\n");
  assert.equal(
    fillHeader(template, r),
    [
      "#SBATCH -N 2 -n 8 -p tiger",
      "#SBATCH --qos=tiger-vshort",
      "#SBATCH --gres=gpu:2",
      "# ratio 0",
      "echo {literal} {unknown} {kwargs[absent]}",
    ].join("\n"),
  );
});
