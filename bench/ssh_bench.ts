// SSH transfer speed and round trips, against OpenSSH doing the same work in the same run.
//   bash scripts/start_sshd.sh && deno run -A bench/ssh_bench.ts
// 1. Upload of 2,000 small files, and of one 100 MB file: ours (one tar stream into `tar -x`
//    over an ssh2 exec channel) next to `tar cf - ... | ssh host tar xf -` with OpenSSH.
// 2. Download of the same, next to `ssh host tar cf - ... | tar xf -`.
// 3. A rerun's upload (nothing changed: zero bytes).
// 4. Round trips per submitted job: exec channels and SFTP requests for shell(ssh) plans of 20
//    and 100 one-task jobs (should not grow with files per job).
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type Connection, dispatch, resources, shell, task, type Transport } from "../mod.ts";
import { opensshArgs, sshEnv, testSsh } from "../tests/_ssh.ts";

const env = sshEnv();
if (!env) throw new Error("start the test sshd first: bash scripts/start_sshd.sh");
const sshArgs = opensshArgs(env);
const q = (s: string) => `'${s.replaceAll("'", `'\\''`)}'`;
const sshCmd = `ssh ${sshArgs.map(q).join(" ")}`;
const time = async (fn: () => unknown) => {
  const t = performance.now();
  await fn();
  return (performance.now() - t) / 1000;
};
const bash = (script: string) => execFileSync("bash", ["-c", script], { stdio: "pipe" });

const local = mkdtempSync(join(tmpdir(), "dpd-ssh-bench-"));
for (let d = 0; d < 20; d++) {
  mkdirSync(join(local, "many", `d${d}`), { recursive: true });
  for (let f = 0; f < 100; f++) {
    writeFileSync(join(local, "many", `d${d}`, `f${f}`), randomBytes(100));
  }
}
writeFileSync(join(local, "big.bin"), randomBytes(100 * 1024 * 1024));
const remote = "/home/hpcuser/dpd-bench";
const back = mkdtempSync(join(tmpdir(), "dpd-ssh-back-"));
const conn = await testSsh(env, remote).connect();
const rows: string[] = [];
for (const what of (Deno.args[0] ?? "many,big.bin").split(",").filter((w) => w !== "trips")) {
  const label = what === "many" ? "2,000 files of 100 B" : "one 100 MB file";
  const ratios: string[] = [];
  for (let rep = 0; rep < 3; rep++) {
    bash(`${sshCmd} 'rm -rf ${remote}'`);
    const floorUp = await time(() =>
      bash(
        `tar cf - -C ${
          q(local)
        } ${what} | ${sshCmd} 'mkdir -p ${remote}/f && tar xf - -C ${remote}/f'`,
      )
    );
    const oursUp = await time(() => conn.upload(local, `${remote}/o`, [what]));
    const again = await conn.upload(local, `${remote}/o`, [what]);
    const rerun = await time(() => conn.upload(local, `${remote}/o`, [what]));
    rmSync(back, { recursive: true, force: true });
    mkdirSync(back);
    const floorDown = await time(() =>
      bash(`${sshCmd} 'tar cf - -C ${remote}/f ${what}' | tar xf - -C ${q(back)}`)
    );
    rmSync(back, { recursive: true, force: true });
    const oursDown = await time(() => conn.download(`${remote}/o`, back, [what]));
    ratios.push(
      `| ${label} | ${floorUp.toFixed(2)} s | ${oursUp.toFixed(2)} s | ${
        (oursUp / floorUp).toFixed(2)
      }x | ${floorDown.toFixed(2)} s | ${oursDown.toFixed(2)} s | ${
        (oursDown / floorDown).toFixed(2)
      }x | ${again.bytes} B, ${rerun.toFixed(2)} s |`,
    );
  }
  rows.push(...ratios);
}
await conn.close();

// Round trips per job: count every exec channel and SFTP request of whole runs.
const counted: { execs: number; sftpOps: number; logins: number }[] = [];
const counting = (t: Transport): Transport => ({
  ...t,
  connect: async (o) => {
    const c = await t.connect(o) as Connection & { stats: (typeof counted)[0] };
    counted.push(c.stats);
    return c;
  },
});
const trips: string[] = [];
for (const n of [20, 100]) {
  for (const filesPerTask of [1, 20]) {
    const wb = mkdtempSync(join(tmpdir(), "dpd-ssh-trips-"));
    const tasks = Array.from({ length: n }, (_, i) => {
      for (let f = 0; f < filesPerTask; f++) {
        mkdirSync(join(wb, `t${i}`), { recursive: true });
        writeFileSync(join(wb, `t${i}`, `in${f}`), `x${f}`);
      }
      return task({
        command: "for f in in*; do cp $f out.$f; done",
        taskWorkPath: `t${i}`,
        forwardFiles: ["in*"],
        backwardFiles: ["out.*"],
      });
    });
    counted.length = 0;
    const wall = await time(() =>
      dispatch({ workBase: wb }).on(shell(counting(testSsh(env, `${remote}/runs`))))
        .with(resources({ groupSize: 1 })).tasks(...tasks).run({ pollInterval: 0.5 })
    );
    const s = counted[0];
    trips.push(
      `| ${n} | ${filesPerTask} | ${s.execs} | ${(s.execs / n).toFixed(2)} | ${s.sftpOps} | ${
        (s.sftpOps / n).toFixed(2)
      } | ${wall.toFixed(1)} s |`,
    );
    rmSync(wb, { recursive: true, force: true });
  }
}
bash(`${sshCmd} 'rm -rf ${remote}'`);
rmSync(local, { recursive: true, force: true });
rmSync(back, { recursive: true, force: true });

console.log(
  "| what | floor up | ours up | ratio | floor down | ours down | ratio | rerun upload |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- | --- |");
for (const r of rows) console.log(r);
console.log(
  "\n| jobs | files per task | exec channels | per job | SFTP requests | per job | wall |",
);
console.log("| --- | --- | --- | --- | --- | --- | --- |");
for (const r of trips) console.log(r);
