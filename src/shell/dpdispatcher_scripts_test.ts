// One table test for every batch type: the lines Python dpdispatcher writes for a resources dict
// (captured once from its gen_script, in testdata/dpdispatcher_scripts/, see the README there)
// must mean the same in our script for the same dict. Header directives are compared as a set
// (`--opt value` and `--opt=value` are one directive), environment lines in order, and the
// per-task part by its shape: each task's GPU and which tasks run at once. Bookkeeping (finish
// tags, fail flags, `cd $REMOTE_ROOT`) is dpdispatcher's own protocol; ours is the end file.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { loadSubmission } from "../compat/load.ts";

const DIR = new URL("./testdata/dpdispatcher_scripts/", import.meta.url).pathname;

interface Case {
  resources: Record<string, unknown> & { strategy?: Record<string, unknown> };
  tasks: { command: string }[];
  batch_types: string[];
}
const { cases, task_order: taskOrder } = JSON.parse(readFileSync(`${DIR}cases.json`, "utf8")) as {
  cases: Record<string, Case>;
  task_order: Record<string, number[]>;
};

/** A dpdispatcher line ours need not have, and why. `batch` limits it to those batch types. */
interface Allowed {
  line: RegExp;
  batch?: readonly string[];
  why: string;
}
const ALLOWED: readonly Allowed[] = [
  {
    line: /^#!\/bin\/bash -l$/,
    batch: ["Shell"],
    why: "dpdispatcher's Shell header starts with an empty line, so its #! is no shebang; " +
      "both run the script as `bash script` (no login shell), ours says #!/bin/bash",
  },
  {
    line: /^#(PBS|BSUB) -q$/,
    why: "an empty queue: dpdispatcher writes `-q` with no value, which qsub and bsub refuse; " +
      "ours leaves the line out, so the default queue takes the job",
  },
  {
    line: /^#PBS -j oe$/,
    batch: ["Torque"],
    why: "output-file lines aside: qsub gets -o <attempt>.out -e <attempt>.err, and on Torque " +
      "-j oe would still merge stderr into the .out file",
  },
  {
    line: /^#\$ -N wDPjob$/,
    why: "job name lines aside: our SGE header names the job by its stable name (qsub -N " +
      "<name>-<attempt> on the command line wins either way, for lookup by name)",
  },
  {
    line: /^#SBATCH --array=\d+(,\d+)*$/,
    batch: ["SlurmJobArray"],
    why: "a retry's unfinished elements: dpdispatcher rewrites the script's --array; ours writes " +
      "the script once with every element and passes the unfinished ones as sbatch --array=..., " +
      "which overrides the script's",
  },
];

/** The lines of dpdispatcher's own protocol, not the user's resources. */
const BOOKKEEPING = [
  /^REMOTE_ROOT=\$\(readlink -f .*\)$/,
  /^echo 0 > \$REMOTE_ROOT\/JOB_HASH_flag_if_job_task_fail$/,
  /^test \$\? -ne 0 && exit 1$/,
  /^source \$REMOTE_ROOT\/JOB_HASH\.sub\.run$/,
  /^cd \$REMOTE_ROOT$/,
  /^wait$/,
  /^FLAG_IF_JOB_TASK_FAIL=/,
  /^if test \$FLAG_IF_JOB_TASK_FAIL -eq 0; then touch JOB_HASH_job_tag_finished; else exit 1;fi$/,
];

/** `#SBATCH --nodes 1` and `#SBATCH --nodes=1` are one directive; indentation means nothing. */
function normalize(line: string): string {
  return line.trim().replace(/^(#SBATCH --[\w-]+) (\S)/, "$1=$2");
}

function ours(name: string, c: Case, batch: string): string {
  const res = structuredClone(c.resources);
  const file = res.strategy?.customized_script_header_template_file;
  if (typeof file === "string") res.strategy!.customized_script_header_template_file = DIR + file;
  const { builder } = loadSubmission({
    work_base: "/work/base",
    machine: { batch_type: batch, context_type: "LazyLocalContext", local_root: "/" },
    resources: res,
    task_list: c.tasks.map((t) => ({ ...t })),
  });
  const jobs = builder.render();
  assert.equal(jobs.length, 1, `${name}.${batch}: one job`);
  return jobs[0].script;
}

/** The shape of the task part: per task in run order its GPU, and the groups run at once. */
interface Shape {
  gpus: (number | undefined)[];
  groups: number[][];
}

/** Collects a shape line by line; array elements, when there are any, are the groups. */
function shaper() {
  const shape: Shape = { gpus: [], groups: [] };
  const elements: number[][] = [];
  let group: number[] = [];
  const close = () => {
    if (group.length > 0) shape.groups.push(group);
    group = [];
  };
  return {
    task(n: number, gpu: string | undefined, background: boolean) {
      shape.gpus.push(gpu === undefined ? undefined : Number(gpu));
      group.push(n);
      elements.at(-1)?.push(n);
      if (!background) close();
    },
    wait: close,
    element: () => elements.push([]),
    done(): Shape {
      close();
      return elements.length > 0 ? { ...shape, groups: elements } : shape;
    },
  };
}

function dpdShape(run: string): Shape {
  const s = shaper();
  for (const line of run.split("\n")) {
    const task = /\( echo task(\d+) > result\.txt \)/.exec(line);
    if (task) s.task(Number(task[1]), /CUDA_VISIBLE_DEVICES=(\d+);/.exec(line)?.[1], true);
    if (/^wait\s*$/.test(line)) s.wait();
    if (/^\d+\)$/.test(line)) s.element();
  }
  return s.done();
}

function ourShape(script: string): Shape {
  const fns = new Map<string, { task: number; gpu?: string }>();
  for (const m of script.matchAll(/^(dpd_t\d+)\(\) \{\n((?: {2}.*\n)*?) {2}\{ echo task(\d+) /gm)) {
    fns.set(m[1], { task: Number(m[3]), gpu: /CUDA_VISIBLE_DEVICES=(\d+)/.exec(m[2])?.[1] });
  }
  const s = shaper();
  for (const line of script.split("\n")) {
    const call = /^\s*dpd_(?:run|last) \S+ \S+ (dpd_t\d+) \S+( &)?$/.exec(line);
    if (call) s.task(fns.get(call[1])!.task, fns.get(call[1])!.gpu, call[2] !== undefined);
    if (/^\s*wait$/.test(line)) s.wait();
    if (/^ {2}\d+\)$/.test(line)) s.element();
  }
  return s.done();
}

/** Group sizes only: our job orders its tasks by its own shuffle, not Python's. */
function sizes(groups: number[][]): number[] {
  return groups.map((g) => g.length);
}

const used = new Set<Allowed>();

for (const [name, c] of Object.entries(cases)) {
  for (const batch of c.batch_types) {
    Deno.test(`dpdispatcher's ${batch} script for "${name}" means the same in ours`, () => {
      const key = `${name}.${batch}`;
      const theirs = readFileSync(`${DIR}${key}.sub`, "utf8");
      const script = ours(name, c, batch);
      const lines = script.split("\n").map(normalize);
      const header = new Set(lines.slice(0, lines.findIndex((l) => !l.startsWith("#"))));
      const missing: string[] = [];
      let at = 0; // environment lines keep dpdispatcher's order
      for (const raw of theirs.split("\n")) {
        const line = normalize(raw);
        if (line === "" || BOOKKEEPING.some((re) => re.test(line))) continue;
        const found = line.startsWith("#") ? header.has(line) : lines.indexOf(line, at) >= 0;
        if (found && !line.startsWith("#")) at = lines.indexOf(line, at) + 1;
        if (found) continue;
        const allowed = ALLOWED.find((a) =>
          a.line.test(line) && (a.batch ?? [batch]).includes(batch)
        );
        if (allowed) used.add(allowed);
        else missing.push(line);
      }
      assert.deepEqual(
        missing,
        [],
        `${key}: dpdispatcher's lines missing from ours, in:\n${script}`,
      );
      const run = readFileSync(`${DIR}${key}.sub.run`, "utf8");
      const want = dpdShape(run);
      const got = ourShape(script);
      assert.equal(got.gpus.length, c.tasks.length, `${key}: every task runs`);
      assert.deepEqual(got.gpus, want.gpus, `${key}: the GPU of each task, in run order`);
      assert.deepEqual(sizes(got.groups), sizes(want.groups), `${key}: tasks run at once`);
      assert.deepEqual(
        want.groups.flat().sort(),
        taskOrder[key].slice().sort(),
        `${key}: the capture ran every task`,
      );
    });
  }
}

Deno.test("every allowed difference is still needed", () => {
  for (const a of ALLOWED) assert.ok(used.has(a), `unused allowance ${a.line}: ${a.why}`);
});
