// Slurm controller load and wall time for N one-task jobs: dpdispatcher against a hand-written
// bash floor (one sbatch loop, then one squeue per second until every job left the queue), in
// the same run. Controller RPCs are counted with `sdiag` (reset before each run, root only).
// Each size runs `--repeat` pairs, alternating which side goes first; the machine's CPU time
// (all processes, from /proc/stat) shows where a difference comes from, since every run here
// keeps both cores busy.
//   deno run -A bench/slurm_bench.ts [--sizes 50,200,1000] [--repeat 3] [--all-at-once]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { dispatch, lazyLocal, slurm, task } from "../mod.ts";
import { plainJobProfile } from "../tests/_slurm.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SIZES = arg("--sizes", "50,200,1000").split(",").map(Number);
const REPEAT = Number(arg("--repeat", "3"));
// Also run ours with maxQueued: Infinity (every job queued at once, as dpdispatcher does).
const ALL_AT_ONCE = process.argv.includes("--all-at-once");
plainJobProfile(); // this image's root ~/.bashrc runs `pyenv rehash` under a lock in every login shell

const SUBMIT = ["REQUEST_SUBMIT_BATCH_JOB"];
const STATUS = ["REQUEST_JOB_INFO", "REQUEST_JOB_INFO_SINGLE", "REQUEST_JOB_USER_INFO"];

function rpcs(): Record<string, number> {
  const out = execFileSync("sdiag", { encoding: "utf8" });
  const counts: Record<string, number> = {};
  for (const m of out.matchAll(/^\s*(REQUEST_\w+|MESSAGE_\w+)\s+\(\s*\d+\)\s+count:(\d+)/gm)) {
    counts[m[1]] = Number(m[2]);
  }
  return counts;
}
/** CPU seconds the whole machine spent busy so far (user, nice, system, irq, softirq). */
function busy(): number {
  const [, ...f] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq] = f.map(Number);
  return (user + nice + system + irq + softirq) / 100;
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const sum = (c: Record<string, number>, keys: string[]) =>
  keys.reduce((a, k) => a + (c[k] ?? 0), 0);
const quiet = () => {
  while (execFileSync("squeue", ["-h"], { encoding: "utf8" }).trim() !== "") {
    execFileSync("sleep", ["1"]);
  }
};

interface Run {
  ms: number;
  cpu: number;
  submit: number;
  status: number;
  polls: number;
}

function floor(n: number): Run {
  const dir = mkdtempSync(join(tmpdir(), "dpd-floor-"));
  for (let k = 0; k < n; k++) {
    mkdirSync(join(dir, `t${k}`));
    writeFileSync(
      join(dir, `t${k}`, "job.sh"),
      `#!/bin/bash -l\ncd ${dir}/t${k} && echo hi > out.txt\n`,
    );
  }
  const script = `cd ${dir}; ids=
for k in $(seq 0 ${n - 1}); do ids="$ids,$(sbatch --parsable -o t$k/slurm.out t$k/job.sh)"; done
ids=\${ids#,}
while [ -n "$(squeue -h -j "$ids")" ]; do sleep 1; done`;
  writeFileSync(join(dir, "floor.sh"), script);
  execFileSync("sdiag", ["-r"]);
  const cpu = busy();
  const t = performance.now();
  execFileSync("bash", [join(dir, "floor.sh")]);
  const ms = performance.now() - t;
  const c = rpcs();
  rmSync(dir, { recursive: true, force: true });
  const status = sum(c, STATUS);
  return { ms, cpu: busy() - cpu, submit: sum(c, SUBMIT), status, polls: status };
}

async function ours(n: number, maxQueued?: number): Promise<Run> {
  const dir = mkdtempSync(join(tmpdir(), "dpd-ours-"));
  const tasks = Array.from(
    { length: n },
    (_, k) => task({ command: "echo hi > out.txt", taskWorkPath: `t${k}` }),
  );
  let polls = 0;
  execFileSync("sdiag", ["-r"]);
  const cpu = busy();
  const t = performance.now();
  const report = await dispatch({ workBase: dir }).on(slurm(lazyLocal())).with({ groupSize: 1 })
    .tasks(tasks)
    .run({ maxQueued, onEvent: (e) => e.type === "poll" && e.live > 0 && polls++ });
  const ms = performance.now() - t;
  const c = rpcs();
  if (!report.ok) throw new Error("benchmark run failed");
  rmSync(dir, { recursive: true, force: true });
  return { ms, cpu: busy() - cpu, submit: sum(c, SUBMIT), status: sum(c, STATUS), polls };
}

const s = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const sides = ["floor", "ours", ...(ALL_AT_ONCE ? ["all"] : [])];
console.log(
  `| N | pairs | floor wall (median) | ours wall (median) | ratio of medians | ratio per pair | machine CPU floor/ours (median) | status RPCs floor/ours | ours polls | submit RPCs floor/ours |${
    ALL_AT_ONCE ? " all at once: wall, ratio, per pair, CPU |" : ""
  }`,
);
console.log(`|---|---|---|---|---|---|---|---|---|---|${ALL_AT_ONCE ? "---|" : ""}`);
for (const n of SIZES) {
  const runs: Record<string, Run[]> = { floor: [], ours: [], all: [] };
  for (let k = 0; k < REPEAT; k++) {
    // Rotate which side runs first, so a drift in the machine's speed hits every side alike.
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(i + k) % sides.length];
      quiet();
      if (side === "floor") runs.floor.push(floor(n));
      else runs[side].push(await ours(n, side === "all" ? Infinity : undefined));
    }
  }
  const { floor: f, ours: o, all: a } = runs;
  const m = (rs: Run[], key: keyof Run) => median(rs.map((r) => r[key]));
  const ratio = (rs: Run[]) => (m(rs, "ms") / m(f, "ms")).toFixed(2);
  const pairs = (rs: Run[]) => rs.map((r, k) => (r.ms / f[k].ms).toFixed(2)).join(", ");
  console.log(
    `| ${n} | ${REPEAT} | ${s(m(f, "ms"))} | ${s(m(o, "ms"))} | **${ratio(o)}x** | ${pairs(o)} | ${
      m(f, "cpu").toFixed(0)
    }/${m(o, "cpu").toFixed(0)} s | ${m(f, "status")}/${m(o, "status")} | ${m(o, "polls")} | ${
      m(f, "submit")
    }/${m(o, "submit")} |${
      ALL_AT_ONCE
        ? ` ${s(m(a, "ms"))}, ${ratio(a)}x, ${pairs(a)}, ${m(a, "cpu").toFixed(0)} s |`
        : ""
    }`,
  );
}
