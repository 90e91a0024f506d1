// Workload W1 (issue #14) over SSH, against the hand-written floor, in the same run.
//   bash scripts/start_slurm.sh && bash scripts/start_sshd.sh
//   deno run -A bench/w1_ssh_bench.ts [--sizes 200,1000,5000] [--repeat 3]
// N tasks, each a 1 KB input.txt plus one 4 KB common file, command `wc -c < input.txt >
// out.txt`, groupSize 1, every out.txt brought home. Both sides log in to the test sshd as
// hpcuser (whose login shell costs ~6 ms: no pyenv) and submit to the local Slurm.
// Floor: one OpenSSH ControlMaster connection; one `tar c | ssh tar x` up (inputs and the job
// scripts, `#!/bin/bash`); one exec running an `sbatch` loop; one `squeue -j <all ids>` per second
// until none is left; one `ssh tar c | tar x` down.
// Ours: `slurm(ssh(...))` with default run options; its job scripts are `#!/bin/bash -l`.
// Reported per side: wall (median of the pairs, sides alternating), the machine's CPU seconds
// (/proc/stat), SSH exec channels and SFTP requests per job (ours, counted on the connection),
// and controller RPCs from `sdiag` (status: job-info requests; submit).
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";
import { type Connection, dispatch, resources, slurm, task, type Transport } from "../mod.ts";
import { opensshArgs, sshEnv, testSsh } from "../tests/_ssh.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SIZES = arg("--sizes", "200,1000,5000").split(",").map(Number);
const REPEAT = Number(arg("--repeat", "3"));
// Also run ours with every job queued at once (the queue window out of the way).
const ALL_AT_ONCE = process.argv.includes("--all-at-once");
const ONLY = arg("--only", ""); // "ours" or "all": skip the floor (for profiling)
// Also run the Slurm-only bound: the floor's jobs with no SSH, no files to move, no status queries.
const BOUND = process.argv.includes("--bound");
const found = sshEnv();
if (!found) throw new Error("start the test sshd first: bash scripts/start_sshd.sh");
const env = found;
const REMOTE = "/home/hpcuser/dpd-w1";

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
function busy(): number {
  const [, ...f] = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const [user, nice, system, , , irq, softirq] = f.map(Number);
  return (user + nice + system + irq + softirq) / 100;
}
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2; // even: the mean of the middle two
};
const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const quiet = () => {
  while (execFileSync("squeue", ["-h"], { encoding: "utf8" }).trim() !== "") {
    execFileSync("sleep", ["1"]);
  }
};
const ssh = (control: string) =>
  `ssh -o ControlPath=${control} ${opensshArgs(env).map(q).join(" ")}`;

/** A work base with N task directories of 1 KB inputs and a 4 KB common file. */
function workBase(n: number): string {
  const dir = mkdtempSync(join(tmpdir(), "dpd-w1-"));
  writeFileSync(join(dir, "common.txt"), "c".repeat(4096));
  for (let k = 0; k < n; k++) {
    mkdirSync(join(dir, `t${k}`));
    writeFileSync(join(dir, `t${k}`, "input.txt"), `${k}`.padEnd(1024, "x"));
  }
  return dir;
}

/** Checks every result came home: `wc -c` of a 1 KB file. */
function check(dir: string, n: number): void {
  for (let k = 0; k < n; k++) {
    const got = readFileSync(join(dir, `t${k}`, "out.txt"), "utf8").trim();
    if (got !== "1024") throw new Error(`t${k}/out.txt says "${got}"`);
  }
}

interface Run {
  ms: number;
  cpu: number;
  submit: number;
  status: number;
  execs?: number;
  sftp?: number;
  polls?: number;
}

function floor(n: number): Run {
  const dir = workBase(n);
  const remote = `${REMOTE}/floor-${process.pid}-${n}`;
  for (let k = 0; k < n; k++) {
    writeFileSync(
      join(dir, `t${k}`, "job.sh"),
      `#!/bin/bash\ncd ${remote}/t${k} && wc -c < input.txt > out.txt\n`,
    );
  }
  const control = join(dir, "cm.sock");
  const s = ssh(control);
  const script = `set -e
cd ${q(dir)}
ssh -o ControlMaster=yes -o ControlPersist=yes -fN -o ControlPath=${control} ${
    opensshArgs(env).map(q).join(" ")
  }
tar c common.txt t*/ | ${s} 'mkdir -p ${remote} && tar x -C ${remote}'
ids=$(${s} 'cd ${remote} && ids=; for k in $(seq 0 ${
    n - 1
  }); do ids="$ids,$(sbatch --parsable -o /dev/null t$k/job.sh)"; done; echo \${ids#,}')
while [ -n "$(${s} "squeue -h -j $ids")" ]; do sleep 1; done
${s} 'cd ${remote} && tar c t*/out.txt' | tar x
${s} -O exit 2>/dev/null || true`;
  writeFileSync(join(dir, "floor.sh"), script);
  return timedScript(dir, n, ["bash", join(dir, "floor.sh")]);
}

/** Runs a side's script (argv) on the clock, counting RPCs and CPU; checks and removes `dir`. */
function timedScript(dir: string, n: number, argv: string[]): Run {
  execFileSync("sdiag", ["-r"]);
  const cpu = busy();
  const t = performance.now();
  execFileSync(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "inherit"] });
  const ms = performance.now() - t;
  const c = rpcs();
  const used = busy() - cpu;
  check(dir, n);
  rmSync(dir, { recursive: true, force: true });
  return { ms, cpu: used, submit: sum(c, SUBMIT), status: sum(c, STATUS) };
}

/**
 * The Slurm-only bound: the floor's jobs, their inputs already in place on the cluster side, submitted
 * by one local `sbatch` loop as hpcuser; each job appends a line to one file as it ends, and the clock
 * stops when that file has N lines (read every 50 ms). No SSH, no upload, no download, no status
 * query: a client that submits each job with `sbatch` cannot finish sooner than Slurm runs them.
 */
function bound(n: number): Run {
  const dir = mkdtempSync(join("/home/hpcuser", "dpd-w1-bound-"));
  writeFileSync(join(dir, "common.txt"), "c".repeat(4096));
  for (let k = 0; k < n; k++) {
    mkdirSync(join(dir, `t${k}`));
    writeFileSync(join(dir, `t${k}`, "input.txt"), `${k}`.padEnd(1024, "x"));
    writeFileSync(
      join(dir, `t${k}`, "job.sh"),
      `#!/bin/bash\ncd ${dir}/t${k} && wc -c < input.txt > out.txt; echo ${k} >> ${dir}/ended\n`,
    );
  }
  writeFileSync(join(dir, "ended"), "");
  const script = `cd ${dir}
for k in $(seq 0 ${n - 1}); do sbatch --parsable -o /dev/null t$k/job.sh > /dev/null; done
while [ "$(wc -l < ended)" -lt ${n} ]; do sleep 0.05; done`;
  writeFileSync(join(dir, "bound.sh"), script);
  execFileSync("chown", ["-R", "hpcuser:", dir]);
  return timedScript(dir, n, ["runuser", "-u", "hpcuser", "--", "bash", join(dir, "bound.sh")]);
}

async function ours(n: number, maxQueued?: number): Promise<Run> {
  const dir = workBase(n);
  const tasks = Array.from({ length: n }, (_, k) =>
    task({
      command: "wc -c < input.txt > out.txt",
      taskWorkPath: `t${k}`,
      forwardFiles: ["input.txt"],
      backwardFiles: ["out.txt"],
    }));
  const stats: { execs: number; sftpOps: number }[] = [];
  const counting = (t: Transport): Transport => ({
    ...t,
    connect: async (o) => {
      const c = await t.connect(o) as Connection & { stats: { execs: number; sftpOps: number } };
      stats.push(c.stats);
      return c;
    },
  });
  let polls = 0;
  execFileSync("sdiag", ["-r"]);
  const cpu = busy();
  const t = performance.now();
  const report = await dispatch({ workBase: dir })
    .on(slurm(counting(testSsh(env, `${REMOTE}/ours`))))
    .with(resources({ groupSize: 1 }))
    .tasks(tasks)
    .forwardCommonFiles("common.txt")
    .run({ maxQueued, onEvent: (e) => e.type === "poll" && e.live > 0 && polls++ });
  const ms = performance.now() - t;
  const c = rpcs();
  const used = busy() - cpu;
  if (!report.ok) throw new Error("benchmark run failed");
  check(dir, n);
  rmSync(dir, { recursive: true, force: true });
  return {
    ms,
    cpu: used,
    submit: sum(c, SUBMIT),
    status: sum(c, STATUS),
    execs: stats.reduce((a, s) => a + s.execs, 0),
    sftp: stats.reduce((a, s) => a + s.sftpOps, 0),
    polls,
  };
}

const secs = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
const raw: string[] = [];
const rows: string[] = [];
const allRows: string[] = [];
const boundRows: string[] = [];
for (const n of SIZES) {
  const runs: Record<string, Run[]> = { floor: [], ours: [], all: [], bound: [] };
  const sides = ONLY
    ? [ONLY]
    : ["floor", "ours", ...(ALL_AT_ONCE ? ["all"] : []), ...(BOUND ? ["bound"] : [])];
  for (let k = 0; k < REPEAT; k++) {
    // Rotate which side goes first, so a drift in the machine's speed hits every side alike.
    for (let i = 0; i < sides.length; i++) {
      const side = sides[(i + k) % sides.length];
      quiet();
      execFileSync("bash", ["-c", `${ssh("none")} 'rm -rf ${REMOTE}'`]);
      const r = side === "floor"
        ? floor(n)
        : side === "bound"
        ? bound(n)
        : await ours(n, side === "all" ? Infinity : undefined);
      runs[side].push(r);
      raw.push(
        `| ${n} | ${k + 1} | ${side} | ${secs(r.ms)} | ${
          r.cpu.toFixed(1)
        } s | ${r.status} | ${r.submit} | ${r.execs ?? "-"} | ${r.sftp ?? "-"} | ${
          r.polls ?? "-"
        } |`,
      );
      console.error(raw.at(-1));
    }
  }
  if (ONLY) continue;
  const { floor: f, ours: o, all: a, bound: b } = runs;
  const m = (rs: Run[], key: keyof Run) => median(rs.map((r) => r[key] ?? 0));
  const pairs = o.map((r, k) => (r.ms / f[k].ms).toFixed(2)).join(", ");
  if (ALL_AT_ONCE) {
    const ap = a.map((r, k) => (r.ms / f[k].ms).toFixed(2)).join(", ");
    allRows.push(
      `| ${n} | ${secs(m(a, "ms"))} | **${(m(a, "ms") / m(f, "ms")).toFixed(2)}x** | ${ap} | ${
        m(a, "cpu").toFixed(0)
      } s |`,
    );
  }
  if (BOUND) {
    const per = (xs: Run[]) => xs.map((r, k) => (r.ms / f[k].ms).toFixed(2));
    const pooled = (xs: Run[]) => median(xs.map((r, k) => r.ms / f[k].ms)).toFixed(2);
    boundRows.push(
      `| ${n} | ${secs(m(b, "ms"))} | **${pooled(b)}x** | ${per(b).join(", ")} | **${
        pooled(o)
      }x** | ${per(o).join(", ")} | ${m(b, "cpu").toFixed(0)} s |`,
    );
  }
  rows.push(
    `| ${n} | ${REPEAT} | ${secs(m(f, "ms"))} | ${secs(m(o, "ms"))} | **${
      (m(o, "ms") / m(f, "ms")).toFixed(2)
    }x** | ${pairs} | ${m(f, "cpu").toFixed(0)}/${m(o, "cpu").toFixed(0)} s | ${
      (m(o, "execs") / n).toFixed(3)
    } | ${(m(o, "sftp") / n).toFixed(3)} | ${m(f, "status")}/${m(o, "status")} | ${
      m(o, "polls")
    } |`,
  );
}
console.log(
  "| N | pairs | floor wall | ours wall | ratio of medians | ratio per pair | machine CPU floor/ours | exec channels per job | SFTP requests per job | status RPCs floor/ours | ours polls |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|---|");
for (const r of rows) console.log(r);
if (allRows.length > 0) {
  console.log("\nEvery job queued at once (maxQueued: Infinity):\n");
  console.log("| N | wall | ratio to the floor | per pair | machine CPU |");
  console.log("|---|---|---|---|---|");
  for (const r of allRows) console.log(r);
}
if (boundRows.length > 0) {
  console.log(
    "\nThe Slurm-only bound (no SSH, no files, no status queries), per pair against the floor:\n",
  );
  console.log(
    "| N | bound wall | bound/floor, pooled median | per pair | ours/floor, pooled median | per pair | bound machine CPU |",
  );
  console.log("|---|---|---|---|---|---|---|");
  for (const r of boundRows) console.log(r);
}
console.log("\nRaw runs:\n");
console.log(
  "| N | pair | side | wall | machine CPU | status RPCs | submit RPCs | execs | SFTP | polls |",
);
console.log("|---|---|---|---|---|---|---|---|---|---|");
for (const r of raw) console.log(r);
