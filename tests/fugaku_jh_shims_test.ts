// The Fugaku (PJM) and JH UniScheduler shims on the real Slurm, against the samples in
// scripts/shims/testdata/{fugaku,jh_unischeduler}/ (see the README there for their sources).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { tempDir } from "./_helpers.ts";
import { type ShimKind, shimPath, withShims } from "./_shims.ts";
import { skipSlurm } from "./_slurm.ts";

const ignore = skipSlurm();
const DATA = new URL("../scripts/shims/testdata/", import.meta.url).pathname;
type Out = { rc: number; stdout: string; stderr: string };

async function sh(
  kind: ShimKind,
  cmd: string,
  args: string[],
  opts: { cwd?: string; input?: string } = {},
): Promise<Out> {
  const p = new Deno.Command(`${shimPath(kind)}/${cmd}`, {
    args,
    cwd: opts.cwd,
    env: withShims(kind),
    stdin: opts.input === undefined ? "null" : "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  if (opts.input !== undefined) {
    const w = p.stdin.getWriter();
    await w.write(new TextEncoder().encode(opts.input));
    await w.close();
  }
  const o = await p.output();
  const d = new TextDecoder();
  return { rc: o.code, stdout: d.decode(o.stdout), stderr: d.decode(o.stderr) };
}

/** A sample from testdata with its `<KEY>`s replaced. */
function sample(path: string, values: Record<string, string> = {}): string {
  let text = Deno.readTextFileSync(`${DATA}${path}`);
  for (const [k, v] of Object.entries(values)) text = text.replaceAll(`<${k}>`, v);
  return text;
}

/** PJM's table layout: each column as wide as its widest cell plus two, the last unpadded. */
function pjmTable(text: string): string {
  const rows = text.trimEnd().split("\n").map((l) => l.split(/ {2,}/).map((c) => c.trim()));
  const widths = rows[0].map((_, i) => Math.max(...rows.map((r) => (r[i] ?? "").length)) + 2);
  return rows.map((r) => r.map((c, i) => i < r.length - 1 ? c.padEnd(widths[i]) : c).join(""))
    .join("\n") + "\n";
}

async function waitFor<T>(what: string, f: () => Promise<T | undefined>, ms = 90_000) {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`timed out waiting for ${what}`);
}

Deno.test(
  { name: "shims/fugaku: pjsub, pjstat [-H] [--data], pjdel on real Slurm", ignore },
  async () => {
    const dir = await tempDir("dpd-shim-fugaku-");
    const tag = `f${Date.now() % 1e8}`;
    const script = (body: string, extra = "") =>
      `#!/bin/bash\n#PJM -L "rscgrp=small"\n#PJM -L "node=1"\n${extra}${body}\n`;
    const files: Record<string, string> = {
      ok: script('echo "$PJM_JOBID|$DPD_ATTEMPT|$DPD_OTHER|$PJM_O_WORKDIR"'),
      fail: script("exit 3"),
      run: script("sleep 120"),
      wall: script("sleep 300", '#PJM -L "elapse=1:00"\n'),
    };
    for (const [k, v] of Object.entries(files)) await Deno.writeTextFile(`${dir}/${k}.sh`, v);
    const sub = (k: string, more: string[] = []) =>
      sh("fugaku", "pjsub", ["-N", `${tag}${k}`, ...more, `${k}.sh`], { cwd: dir });
    const [ok, fail, run, wall] = await Promise.all([
      sub("ok", ["-x", "DPD_ATTEMPT=2"]),
      sub("fail"),
      sub("run"),
      sub("wall"),
    ]);
    const id = (o: Out) => /Job (\d+) submitted/.exec(o.stdout)?.[1] ?? "";
    for (const o of [ok, fail, run, wall]) {
      assert.deepEqual([o.rc, o.stdout, o.stderr], [
        0,
        sample("fugaku/pjsub.out", { ID: id(o) }),
        "",
      ]);
      assert.equal(o.stdout.split(/\s+/)[5], id(o), "dpdispatcher's split()[5]");
    }
    const [badNode, noFile] = await Promise.all([
      sh("fugaku", "pjsub", ["-L", "node=99", "ok.sh"], { cwd: dir }),
      sh("fugaku", "pjsub", ["missing.sh"], { cwd: dir }),
    ]);
    const nodes = execFileSync("sinfo", ["-h", "-o", "%D"], { encoding: "utf8" }).trim();
    assert.deepEqual(
      [badNode.rc, badNode.stderr],
      [1, sample("fugaku/pjsub_upper_limit.err", { N: "99", MAX: nodes })],
    );
    assert.equal(noFile.stderr, sample("fugaku/pjsub_cannot_open.err", { ID: "missing.sh" }));

    // The default table, as RIKEN's guide shows it: the capture follows the layout rule too.
    const capture = sample("fugaku/pjstat_capture.out");
    assert.equal(pjmTable(capture), capture, "the capture's layout = the rule");
    const running = await waitFor("running jobs", async () => {
      const o = await sh("fugaku", "pjstat", [id(run), id(wall)]);
      const rows = o.stdout.trimEnd().split("\n").slice(1);
      return rows.length === 2 && rows.every((r) => r.split(/\s+/)[3] === "RUN") ? o : undefined;
    });
    execFileSync("scontrol", ["update", `jobid=${id(wall)}`, "TimeLimit=0"]);
    const words = (text: string) => text.split("\n")[0].split(/\s+/);
    assert.deepEqual(words(running.stdout), words(capture), "the header's columns");
    assert.equal(pjmTable(running.stdout), running.stdout);
    const runRow = running.stdout.split("\n").find((l) => l.startsWith(`${id(run)} `));
    assert.match(runRow ?? "", new RegExp(`^${id(run)} +${tag}run +NM +RUN +\\S+ `));

    const del = await sh("fugaku", "pjdel", [id(run)]);
    assert.deepEqual([del.rc, del.stdout, del.stderr], [
      0,
      sample("fugaku/pjdel.out", { ID: id(run) }),
      "",
    ]);

    const ids = [ok, fail, wall, run].map(id);
    const fields = "jid,jnam,st,ec,pc,sn";
    const ended = await waitFor("ended jobs", async () => {
      const o = await sh("fugaku", "pjstat", ["-H", "--data", `--choose=${fields}`, ...ids]);
      return o.stdout.trimEnd().split("\n").length === 5 ? o : undefined;
    });
    const rows = new Map(
      ended.stdout.trimEnd().split("\n").slice(1).map((l) => [l.split(",")[1], l] as const),
    );
    assert.equal(ended.stdout.split("\n")[0], "H,JOB_ID,JOB_NAME,ST,EC,PC,SN");
    assert.equal(rows.get(id(ok)), `,${id(ok)},${tag}ok,EXT,0,0,0`);
    assert.equal(rows.get(id(fail)), `,${id(fail)},${tag}fail,EXT,3,0,0`);
    assert.equal(rows.get(id(run)), `,${id(run)},${tag}run,CCL,-,1,0`);
    assert.equal(rows.get(id(wall)), `,${id(wall)},${tag}wall,EXT,-,11,9`);

    // Ended jobs are not live: pjstat prints nothing (dpdispatcher then asks pjstat -H).
    const live = await sh("fugaku", "pjstat", [id(ok)]);
    assert.deepEqual([live.rc, live.stdout, live.stderr], [0, "", ""]);
    const data = await sh("fugaku", "pjstat", ["-H", "--data", "--choose=jid,jmdl", id(ok)]);
    assert.equal(data.stdout, sample("fugaku/pjstat_data_capture.out").replace("34704010", id(ok)));
    const unknown = await sh("fugaku", "pjstat", ["99999999"]);
    assert.deepEqual(
      [unknown.rc, unknown.stdout, unknown.stderr],
      [1, "", sample("fugaku/pjstat_not_exist.err", { ID: "99999999" })],
    );
    const delEnded = await sh("fugaku", "pjdel", [id(ok)]);
    assert.equal(delEnded.rc, 1);
    assert.match(
      delEnded.stderr,
      new RegExp(`^\\[ERR\\.\\] PJM \\d+ pjdel Job ${id(ok)} does not exist\\.\n$`),
    );
    // The job saw PJM's variables; -x passed DPD_ATTEMPT, the submitter's own DPD_* stayed out.
    assert.equal(
      await Deno.readTextFile(`${dir}/${tag}ok.${id(ok)}.out`),
      `${id(ok)}|2||${dir}\n`,
    );
  },
);

Deno.test(
  { name: "shims/jh_unischeduler: jsub, jjobs, jctrl kill on real Slurm", ignore },
  async () => {
    const dir = await tempDir("dpd-shim-jh-");
    const tag = `j${Date.now() % 1e8}`;
    const script = (body: string) =>
      `#!/bin/bash -l\n#JSUB -e %J.err\n#JSUB -o %J.out\n#JSUB -n 1\n#JSUB -R 'span[ptile=1]'\n#JSUB -gpgpu 0\n${body}\n`;
    const [ok, run] = await Promise.all([
      sh("jh_unischeduler", "jsub", ["-J", `${tag}ok`], { cwd: dir, input: script("echo hi") }),
      sh("jh_unischeduler", "jsub", ["-J", `${tag}run`], { cwd: dir, input: script("sleep 120") }),
    ]);
    const id = (o: Out) => o.stdout.split(/\s+/)[1].slice(1, -1); // dpdispatcher's parse
    for (const o of [ok, run]) {
      assert.deepEqual([o.rc, o.stdout], [0, sample("jh_unischeduler/jsub.out", { ID: id(o) })]);
    }
    const stat = (o: Out) => o.stdout.split("\n")[1]?.split(/\s+/)[2]; // dpdispatcher's parse
    await waitFor("a running job", async () => {
      const o = await sh("jh_unischeduler", "jjobs", [id(run)]);
      return stat(o) === "RUN" ? o : undefined;
    });
    const kill = await sh("jh_unischeduler", "jctrl", ["kill", id(run)]);
    assert.deepEqual([kill.rc, kill.stdout], [
      0,
      sample("jh_unischeduler/jctrl_kill.out", { ID: id(run) }),
    ]);
    for (const [o, want] of [[ok, "DONE"], [run, "EXIT"]] as const) {
      await waitFor(`${want}`, async () => {
        const j = await sh("jh_unischeduler", "jjobs", [id(o)]);
        return stat(j) === want ? j : undefined;
      });
    }
    const unknown = await sh("jh_unischeduler", "jjobs", ["99999999"]);
    assert.deepEqual(
      [unknown.rc, unknown.stdout, unknown.stderr],
      [255, "", sample("jh_unischeduler/jjobs_not_found.err", { ID: "99999999" })],
    );
    const byName = await sh("jh_unischeduler", "jjobs", ["-a", "-J", `${tag}ok`]);
    assert.equal(byName.stdout.split("\n")[1].split(/\s+/)[0], id(ok));
    assert.equal(await Deno.readTextFile(`${dir}/${id(ok)}.out`), "hi\n");
  },
);
