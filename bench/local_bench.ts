// Runner overhead on the local machine against hand-written bash doing the same work, in the same run,
// and the cost of building and rendering a very large plan.
//   deno run -A bench/local_bench.ts [--tasks 1000] [--group 10] [--big 100000]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { dispatch, task } from "../mod.ts";

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const N = arg("tasks", 1000);
const GROUP = arg("group", 10);
const BIG = arg("big", 100_000);
const ROUNDS = arg("rounds", 3);

const dirs = (base: string) => Array.from({ length: N }, (_, i) => join(base, `t${i}`));
const fresh = () => {
  const base = mkdtempSync(join(tmpdir(), "dpd-bench-"));
  for (const d of dirs(base)) mkdirSync(d);
  return base;
};
const time = (f: () => void) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Floor 1: a plain sequential bash loop over the task directories.
const loop = (base: string) => {
  const script = join(base, "loop.sh");
  writeFileSync(
    script,
    `cd ${base}\nfor i in $(seq 0 ${N - 1}); do (cd t$i && echo hi > out.txt); done\n`,
  );
  execFileSync("bash", [script]);
};
// Floor 2: the same grouping by hand: N/GROUP background shells of GROUP tasks each, then wait.
const grouped = (base: string) => {
  const lines = [`cd ${base}`];
  for (let j = 0; j < N; j += GROUP) {
    const body = Array.from(
      { length: Math.min(GROUP, N - j) },
      (_, k) => `(cd t${j + k} && echo hi > out.txt)`,
    ).join("; ");
    lines.push(`( ${body} ) &`);
  }
  lines.push("wait");
  writeFileSync(join(base, "grouped.sh"), lines.join("\n") + "\n");
  execFileSync("bash", [join(base, "grouped.sh")]);
};
const ours = async (base: string) => {
  const tasks = Array.from(
    { length: N },
    (_, i) => task({ command: "echo hi > out.txt", taskWorkPath: `t${i}` }),
  );
  const t = performance.now();
  const report = await dispatch({ workBase: base }).with({ groupSize: GROUP }).tasks(tasks).run();
  if (!report.ok) throw new Error("bench run failed");
  return performance.now() - t;
};

const results = { loop: [] as number[], grouped: [] as number[], ours: [] as number[] };
for (let r = 0; r < ROUNDS; r++) {
  for (const [name, f] of [["loop", loop], ["grouped", grouped]] as const) {
    const base = fresh();
    results[name].push(time(() => f(base)));
    rmSync(base, { recursive: true, force: true });
  }
  const base = fresh();
  results.ours.push(await ours(base));
  rmSync(base, { recursive: true, force: true });
}
const m = {
  loop: median(results.loop),
  grouped: median(results.grouped),
  ours: median(results.ours),
};
console.log(`# ${N} one-line tasks, groupSize ${GROUP} (${N / GROUP} jobs), median of ${ROUNDS}`);
console.log(`bash sequential loop        ${m.loop.toFixed(0).padStart(7)} ms`);
console.log(`bash grouped, background    ${m.grouped.toFixed(0).padStart(7)} ms`);
console.log(
  `dpdispatcher shell(lazyLocal) ${m.ours.toFixed(0).padStart(5)} ms   ratio ${
    (m.ours / m.loop).toFixed(2)
  }x the loop, ${(m.ours / m.grouped).toFixed(2)}x grouped bash`,
);

// Building and rendering a very large plan.
const before = process.memoryUsage().heapUsed;
let t = performance.now();
const big = Array.from(
  { length: BIG },
  (_, i) => task({ command: `run ${i}`, taskWorkPath: `d/${i}`, backwardFiles: ["out"] }),
);
const builder = dispatch({ workBase: "/bench" }).with({ groupSize: 10 }).tasks(big);
const tasksMs = performance.now() - t;
t = performance.now();
const plan = builder.toPlan();
const planMs = performance.now() - t;
t = performance.now();
const scripts = builder.render();
const renderMs = performance.now() - t;
const heapMb = (process.memoryUsage().heapUsed - before) / 1048576;
console.log(`# plan of ${BIG} tasks (${plan.jobs.length} jobs)`);
console.log(
  `task() x${BIG}  ${tasksMs.toFixed(0)} ms; toPlan ${planMs.toFixed(0)} ms; render ${
    renderMs.toFixed(0)
  } ms (${scripts.length} scripts); heap +${heapMb.toFixed(0)} MB`,
);
