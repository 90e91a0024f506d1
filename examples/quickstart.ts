// Runs a handful of real tasks on this machine and prints a short summary.
//   npx -y deno@2 run -A examples/quickstart.ts
// Each task counts the words of a generated text in its own directory; the run groups the tasks
// two per job, runs the jobs as background shells, and collects each result as its job ends.
// Run it twice: the second run re-attaches to the finished run and submits nothing.
import { mkdirSync, writeFileSync } from "node:fs";
import { dispatch, resources, task } from "../mod.ts";

const workBase = "examples/quickstart-work";
const texts = [
  "the quick brown fox",
  "jumps over",
  "the lazy dog",
  "dpdispatcher for typescript",
  "hello hpc",
];

const tasks = texts.map((text, i) => {
  mkdirSync(`${workBase}/task-${i}`, { recursive: true });
  writeFileSync(`${workBase}/task-${i}/input.txt`, text + "\n");
  return task({
    command: "wc -w < input.txt > words.txt && sleep 0.5",
    taskWorkPath: `task-${i}`,
    forwardFiles: ["input.txt"],
    backwardFiles: ["words.txt"],
  });
});

const started = performance.now();
const report = await dispatch({ workBase })
  .with(resources({ groupSize: 2, paraDeg: 2 }))
  .tasks(tasks)
  .run({
    onEvent: (event) => {
      if (event.type === "run:start") {
        console.log(
          `run ${event.runId}: ${event.tasks} tasks in ${event.jobs} jobs${
            event.resumed ? " (re-attached)" : ""
          }`,
        );
      }
      if (event.type === "job:final") console.log(`  ${event.name} ${event.state}`);
    },
  });

for (const t of report.tasks) {
  const words = Deno.readTextFileSync(`${t.resultsDir}/words.txt`).trim();
  console.log(`  ${t.taskWorkPath}: ${words} words (${t.state})`);
}
console.log(
  `${report.ok ? "all done" : "some jobs failed"} in ${
    ((performance.now() - started) / 1000).toFixed(1)
  } s; journal: ${report.journal}`,
);
