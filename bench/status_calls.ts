// Status commands per poll, for every batch system, at growing N: each poll must ask the
// scheduler at most once for all of the run's live jobs, whatever N is (dpdispatcher asks once
// per job). Runs N one-line jobs on the real Slurm, the real Grid Engine (scripts/start_sge.sh)
// and the PBS and LSF shims over Slurm (scripts/shims/), counting the commands the runner sent.
//   deno run -A bench/status_calls.ts [--sizes 50,200,1000] [--systems slurm,sge,pbs,lsf]
import process from "node:process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  dispatch,
  local,
  lsf,
  pbs,
  sge,
  slurm,
  type Target,
  task,
  type Transport,
} from "../mod.ts";
import { withPathFirst } from "../tests/_path_transport.ts";
import { shimPath } from "../tests/_shims.ts";

const arg = (name: string, fallback: string) => {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : fallback;
};
const SIZES = arg("--sizes", "50,200,1000").split(",").map(Number);
const SYSTEMS = arg("--systems", "slurm,sge,pbs,lsf").split(",");

/** What marks a status command of each system (the one command asked per poll). */
const STATUS: Record<string, RegExp> = {
  slurm: /squeue -h -t all/,
  sge: /qstat -xml/,
  pbs: /qstat -f -F json/,
  lsf: /bjobs -a -o/,
};

function counting(transport: Transport, seen: string[]): Transport {
  return {
    ...transport,
    connect: async (options) => {
      const conn = await transport.connect(options);
      return {
        ...conn,
        exec: (argv, o) => {
          seen.push(argv.join(" "));
          return conn.exec(argv, o);
        },
      };
    },
  };
}

function target(system: string, transport: Transport): Target {
  if (system === "sge") return sge(transport);
  if (system === "pbs") return pbs(withPathFirst(transport, shimPath("pbs")));
  if (system === "lsf") return lsf(withPathFirst(transport, shimPath("lsf")));
  return slurm(transport);
}

console.log("| system | N | wall | polls | status commands | per poll (max) | exec per job |");
console.log("|---|---|---|---|---|---|---|");
for (const system of SYSTEMS) {
  for (const n of SIZES) {
    const base = mkdtempSync(join(tmpdir(), "dpd-status-"));
    const remote = mkdtempSync(join(tmpdir(), "dpd-status-r-"));
    const seen: string[] = [];
    const tasks = Array.from(
      { length: n },
      (_, i) => task({ command: `echo ${i} > out.txt`, taskWorkPath: `t${i}` }),
    );
    let polls = 0;
    let maxPerPoll = 0;
    let sinceLastPoll = 0;
    const started = performance.now();
    const report = await dispatch({ workBase: base })
      .on(target(system, counting(local({ remoteRoot: remote }), seen)))
      .with({ groupSize: 1, queueName: system === "sge" ? "all.q" : "", walltime: "10m" })
      .tasks(tasks)
      .run({
        maxQueued: Infinity,
        onEvent: (e) => {
          if (e.type !== "poll") return;
          // Status commands sent since the previous poll event: the poll that just ended.
          const asked = seen.filter((a) => STATUS[system].test(a)).length;
          maxPerPoll = Math.max(maxPerPoll, asked - sinceLastPoll);
          sinceLastPoll = asked;
          if (e.live > 0) polls++;
        },
      });
    const wall = (performance.now() - started) / 1000;
    const status = seen.filter((a) => STATUS[system].test(a));
    maxPerPoll = Math.max(maxPerPoll, status.length - sinceLastPoll);
    if (!report.ok) throw new Error(`${system} N=${n}: the run failed`);
    console.log(
      `| ${system} | ${n} | ${wall.toFixed(1)} s | ${polls} | ${status.length} | ${
        (status.length / Math.max(polls, 1)).toFixed(2)
      } (${maxPerPoll}) | ${(seen.length / n).toFixed(2)} |`,
    );
  }
}
