// Slurm controller load and wall time for N one-task jobs: dpdispatcher against a hand-written
// bash floor (one sbatch loop, then one squeue per second until every job left the queue), in
// the same run. Controller RPCs are counted with `sdiag` (reset before each run, root only).
//   deno run -A bench/slurm_bench.ts [--sizes 50,200,1000]
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { dispatch, lazyLocal, slurm, task } from "../mod.ts";
import { plainJobProfile } from "../tests/_slurm.ts";

const i = process.argv.indexOf("--sizes");
const SIZES = (i > 0 ? process.argv[i + 1] : "50,200,1000").split(",").map(Number);
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
const sum = (c: Record<string, number>, keys: string[]) =>
  keys.reduce((a, k) => a + (c[k] ?? 0), 0);
const quiet = () => {
  while (execFileSync("squeue", ["-h"], { encoding: "utf8" }).trim() !== "") {
    execFileSync("sleep", ["1"]);
  }
};

function floor(n: number): { ms: number; submit: number; status: number } {
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
  const t = performance.now();
  execFileSync("bash", [join(dir, "floor.sh")]);
  const ms = performance.now() - t;
  const c = rpcs();
  rmSync(dir, { recursive: true, force: true });
  return { ms, submit: sum(c, SUBMIT), status: sum(c, STATUS) };
}

async function ours(
  n: number,
): Promise<{ ms: number; submit: number; status: number; polls: number }> {
  const dir = mkdtempSync(join(tmpdir(), "dpd-ours-"));
  const tasks = Array.from(
    { length: n },
    (_, k) => task({ command: "echo hi > out.txt", taskWorkPath: `t${k}` }),
  );
  let polls = 0;
  execFileSync("sdiag", ["-r"]);
  const t = performance.now();
  const report = await dispatch({ workBase: dir }).on(slurm(lazyLocal())).with({ groupSize: 1 })
    .tasks(tasks)
    .run({ onEvent: (e) => e.type === "poll" && e.live > 0 && polls++ });
  const ms = performance.now() - t;
  const c = rpcs();
  if (!report.ok) throw new Error("benchmark run failed");
  rmSync(dir, { recursive: true, force: true });
  return { ms, submit: sum(c, SUBMIT), status: sum(c, STATUS), polls };
}

console.log(
  "| N | floor wall | ours wall | ratio | floor status RPCs | ours status RPCs | ours polls | ours status RPCs/poll | submit RPCs floor/ours |",
);
console.log("|---|---|---|---|---|---|---|---|---|");
for (const n of SIZES) {
  quiet();
  const f = floor(n);
  quiet();
  const o = await ours(n);
  console.log(
    `| ${n} | ${(f.ms / 1000).toFixed(1)} s | ${(o.ms / 1000).toFixed(1)} s | ${
      (o.ms / f.ms).toFixed(2)
    }x | ${f.status} | ${o.status} | ${o.polls} | ${
      (o.status / Math.max(o.polls, 1)).toFixed(2)
    } | ${f.submit}/${o.submit} |`,
  );
}
