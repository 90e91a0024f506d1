// The malformed-input corpus: every case must exit 2 with one line on stderr that names the
// field and the value, and touch nothing (no work base state, no remote root, no new file).
import assert from "node:assert/strict";
import { main } from "../src/cli/main.ts";
import { type CliResult, dpdisp, inBatches, taskDirs, tree } from "./_cli.ts";
import { tempDir } from "./_helpers.ts";

type Json = Record<string, unknown>;

/** A valid submission for `dir`; each case breaks one thing in it. */
function valid(dir: string): Json {
  return {
    work_base: "work/",
    machine: {
      batch_type: "Shell",
      context_type: "LocalContext",
      local_root: dir,
      remote_root: `${dir}/remote`,
    },
    resources: { group_size: 2, cpu_per_node: 1 },
    task_list: [0, 1, 2].map((i) => ({
      command: "cp in.txt out.txt",
      task_work_path: `t${i}/`,
      forward_files: ["in.txt"],
      backward_files: ["out.txt"],
    })),
    forward_common_files: [],
    backward_common_files: [],
  };
}

interface Case {
  /** What is wrong. */
  readonly name: string;
  /** Changes the valid submission (return it), or gives the file's whole text. */
  readonly change: ((s: Json) => unknown) | string;
  /** The one line expected on stderr. */
  readonly error: RegExp;
  /** The file name (the extension picks the parser). @default "submission.json" */
  readonly file?: string;
  /** Extra arguments. @default ["--strict"] */
  readonly args?: readonly string[];
}

const machine = (s: Json) => s.machine as Json;
const resources = (s: Json) => s.resources as Json;
const task0 = (s: Json) => (s.task_list as Json[])[0];
const set = (f: (s: Json) => void) => (s: Json) => (f(s), s);

const CASES: readonly Case[] = [
  // The file itself
  { name: "invalid JSON", change: "{ not json", error: /Invalid JSON in ".*submission\.json": / },
  { name: "empty file", change: "", error: /Invalid JSON in ".*": Unexpected end of JSON input/ },
  {
    name: "invalid YAML",
    file: "submission.yaml",
    change: "work_base: [unclosed\nmachine: {}\n",
    error: /Invalid YAML in ".*submission\.yaml": /,
  },
  {
    name: "no such file",
    change: () => undefined,
    file: "missing.json",
    error: /Cannot read ".*missing\.json": no such file/,
  },
  {
    name: "top level is an array",
    change: "[]",
    error: /Invalid submission: expected an object, got \[\]/,
  },
  {
    name: "top level is null",
    change: "null",
    error: /Invalid submission: expected an object, got null/,
  },
  // machine
  {
    name: "missing machine",
    change: set((s) => delete s.machine),
    error: /Invalid machine: missing \(expected an object\)/,
  },
  {
    name: "machine is a string",
    change: set((s) => (s.machine = "Shell")),
    error: /Invalid machine: expected an object, got "Shell"/,
  },
  {
    name: "missing batch_type",
    change: set((s) => delete machine(s).batch_type),
    error: /Invalid machine\.batch_type: missing \(expected a string\)/,
  },
  {
    name: "batch_type is a number",
    change: set((s) => (machine(s).batch_type = 7)),
    error: /Invalid machine\.batch_type: expected a string, got 7/,
  },
  {
    name: "unknown batch type",
    change: set((s) => (machine(s).batch_type = "Kubernetes")),
    error: /Invalid machine\.batch_type: expected Shell, .* got "Kubernetes"/,
  },
  {
    name: "unsupported batch type DistributedShell",
    change: set((s) => (machine(s).batch_type = "DistributedShell")),
    error: /Unsupported machine\.batch_type: "DistributedShell" is not supported yet/,
  },
  {
    name: "unsupported batch type distributedshell (as machine_type)",
    change: set((s) => {
      delete machine(s).batch_type;
      machine(s).machine_type = "distributedshell";
    }),
    error: /Unsupported machine\.batch_type: "distributedshell" is not supported yet/,
  },
  {
    name: "missing context_type",
    change: set((s) => delete machine(s).context_type),
    error: /Invalid machine\.context_type: missing/,
  },
  {
    name: "unsupported context HDFS",
    change: set((s) => (machine(s).context_type = "HDFSContext")),
    error: /Unsupported machine\.context_type: "HDFSContext" is not supported yet/,
  },
  {
    name: "unknown context",
    change: set((s) => (machine(s).context_type = "FTPContext")),
    error: /Invalid machine\.context_type: .*got "FTPContext"/,
  },
  {
    name: "LocalContext without remote_root",
    change: set((s) => delete machine(s).remote_root),
    error: /Invalid machine\.remote_root: missing \(required for LocalContext\)/,
  },
  {
    name: "negative retry_count",
    change: set((s) => (machine(s).retry_count = -1)),
    error: /Invalid machine\.retry_count: expected an integer >= 0, got -1/,
  },
  {
    name: "retry_count is a string",
    change: set((s) => (machine(s).retry_count = "3")),
    error: /Invalid machine\.retry_count: expected a number, got "3"/,
  },
  {
    name: "remote_profile is a list",
    change: set((s) => (machine(s).remote_profile = ["symlink"])),
    error: /Invalid machine\.remote_profile: expected a record, got \["symlink"\]/,
  },
  // resources
  {
    name: "missing resources",
    change: set((s) => delete s.resources),
    error: /Invalid resources: missing \(expected an object\)/,
  },
  {
    name: "missing group_size",
    change: set((s) => delete resources(s).group_size),
    error: /Invalid resources\.group_size: missing \(expected a number\)/,
  },
  {
    name: "group_size is a word",
    change: set((s) => (resources(s).group_size = "two")),
    error: /Invalid resources\.group_size: expected a number, got "two"/,
  },
  {
    name: "negative group_size",
    change: set((s) => (resources(s).group_size = -1)),
    error: /Invalid resources\.group_size: expected an integer >= 0, got -1/,
  },
  {
    name: "fractional group_size",
    change: set((s) => (resources(s).group_size = 1.5)),
    error: /Invalid resources\.group_size: expected an integer, got 1\.5/,
  },
  {
    name: "zero cpu_per_node",
    change: set((s) => (resources(s).cpu_per_node = 0)),
    error: /Invalid resources\.cpu_per_node: expected an integer >= 1, got 0/,
  },
  {
    name: "queue_name is a number",
    change: set((s) => (resources(s).queue_name = 5)),
    error: /Invalid resources\.queue_name: expected a string, got 5/,
  },
  {
    name: "custom_flags is a string",
    change: set((s) => (resources(s).custom_flags = "#SBATCH -x")),
    error: /Invalid resources\.custom_flags: expected an array, got "#SBATCH -x"/,
  },
  {
    name: "envs name is not a shell variable",
    change: set((s) => (resources(s).envs = { "1BAD": "x" })),
    error: /Invalid resources\.envs: key "1BAD" must be a shell variable name/,
  },
  {
    name: "ratio_unfinished above 1",
    change: set((s) => (resources(s).strategy = { ratio_unfinished: 1.5 })),
    error:
      /Invalid resources\.strategy\.ratio_unfinished: expected a ratio from 0 to below 1, got 1\.5/,
  },
  {
    name: "strategy is a list",
    change: set((s) => (resources(s).strategy = [true])),
    error: /Invalid resources\.strategy: expected an object, got \[true\]/,
  },
  {
    name: "unreadable walltime",
    change: set((s) => (resources(s).walltime = "forever")),
    error: /Invalid resources\.walltime: expected a duration like .*, got "forever"/,
  },
  {
    name: "zero para_deg",
    change: set((s) => (resources(s).para_deg = 0)),
    error: /Invalid resources\.para_deg: expected an integer >= 1, got 0/,
  },
  {
    name: "missing header template file",
    change: set((
      s,
    ) => (resources(s).strategy = { customized_script_header_template_file: "nope.sh" })),
    error:
      /Invalid resources\.strategy\.customized_script_header_template_file: cannot read "nope\.sh"/,
  },
  // task_list and tasks
  {
    name: "missing task_list",
    change: set((s) => delete s.task_list),
    error: /Invalid submission\.task_list: expected a non-empty array of tasks, got undefined/,
  },
  {
    name: "task_list is an object",
    change: set((s) => (s.task_list = { command: "x" })),
    error:
      /Invalid submission\.task_list: expected a non-empty array of tasks, got \{"command":"x"\}/,
  },
  {
    name: "empty task_list",
    change: set((s) => (s.task_list = [])),
    error: /Invalid submission\.task_list: expected a non-empty array of tasks, got \[\]/,
  },
  {
    name: "task is a string",
    change: set((s) => (s.task_list = ["echo hi"])),
    error: /Invalid submission\.task_list\[0\]: expected an object, got "echo hi"/,
  },
  {
    name: "task without command",
    change: set((s) => delete task0(s).command),
    error: /Invalid submission\.task_list\[0\]\.command: missing \(expected a string\)/,
  },
  {
    name: "blank command",
    change: set((s) => (task0(s).command = "  ")),
    error:
      /Invalid submission\.task_list\[0\]\.command: must be a non-empty shell command, got " {2}"/,
  },
  {
    name: "absolute task_work_path",
    change: set((s) => (task0(s).task_work_path = "/etc")),
    error:
      /Invalid submission\.task_list\[0\]\.task_work_path: task_work_path must be relative, not absolute, got "\/etc"/,
  },
  {
    name: "task_work_path escaping the work base",
    change: set((s) => (task0(s).task_work_path = "../../x")),
    error:
      /Invalid submission\.task_list\[0\]\.task_work_path: .*must stay inside the work base, got "\.\.\/\.\.\/x"/,
  },
  {
    name: "forward file escaping the work base",
    change: set((s) => (task0(s).forward_files = ["../../../etc/passwd"])),
    error:
      /Invalid submission\.task_list\[0\]\.forward_files(\[0\])?: .*inside the work base, got "\.\.\/\.\.\/\.\.\/etc\/passwd"/,
  },
  {
    name: "absolute backward file",
    change: set((s) => (task0(s).backward_files = ["/etc/passwd"])),
    error:
      /Invalid submission\.task_list\[0\]\.backward_files\[0\]: .*relative, not absolute, got "\/etc\/passwd"/,
  },
  {
    name: "outlog escaping the task directory",
    change: set((s) => (task0(s).outlog = "../log")),
    error:
      /Invalid submission\.task_list\[0\]\.outlog: must be a file inside the task directory, got "\.\.\/log"/,
  },
  {
    name: "forward file that does not exist",
    change: set((s) => (task0(s).forward_files = ["nope.txt"])),
    error:
      /Invalid submission\.task_list\[0\]\.forward_files: "nope\.txt" does not exist in ".*\/work\/t0"/,
  },
  // common files and work_base
  {
    name: "absolute forward_common_files",
    change: set((s) => (s.forward_common_files = ["/etc/passwd"])),
    error:
      /Invalid submission\.forward_common_files\[0\]: .*relative, not absolute, got "\/etc\/passwd"/,
  },
  {
    name: "backward_common_files escaping the work base",
    change: set((s) => (s.backward_common_files = ["../secret"])),
    error:
      /Invalid submission\.backward_common_files\[0\]: .*inside the work base, got "\.\.\/secret"/,
  },
  {
    name: "forward_common_files is a string",
    change: set((s) => (s.forward_common_files = "graph.pb")),
    error: /Invalid submission\.forward_common_files: expected an array, got "graph\.pb"/,
  },
  {
    name: "forward common file that does not exist",
    change: set((s) => (s.forward_common_files = ["graph.pb"])),
    error: /Invalid submission\.forward_common_files: "graph\.pb" does not exist in ".*\/work"/,
  },
  {
    name: "missing work_base",
    change: set((s) => delete s.work_base),
    error: /Invalid submission\.work_base: missing \(expected a directory path\)/,
  },
  {
    name: "work_base is a number",
    change: set((s) => (s.work_base = 42)),
    error: /Invalid submission\.work_base: expected a directory path, got 42/,
  },
  {
    name: "work_base that does not exist",
    change: set((s) => (s.work_base = "nowhere/")),
    error: /Invalid submission\.work_base: directory does not exist, got ".*nowhere\/?"/,
  },
  // unknown keys with --strict
  {
    name: "unknown top-level key",
    change: set((s) => (s.task_lists = [])),
    error: /Unknown key submission\.task_lists \(did you mean "task_list"\?\)/,
  },
  {
    name: "unknown resources key",
    change: set((s) => (resources(s).grup_size = 1)),
    error: /Unknown key resources\.grup_size \(did you mean "group_size"\?\)/,
  },
  {
    name: "unknown task key",
    change: set((s) => (task0(s).comand = "x")),
    error: /Unknown key submission\.task_list\[0\]\.comand \(did you mean "command"\?\)/,
  },
  {
    name: "unknown machine key",
    change: set((s) => (machine(s).batchtype = "Shell")),
    error: /Unknown key machine\.batchtype \(did you mean "batch_type"\?\)/,
  },
  // the command line
  {
    name: "unknown option",
    change: (s) => s,
    args: ["--dryrun"],
    error: /Unknown option '--dryrun'; did you mean "--dry-run"\? See dpdisp submit --help/,
  },
];

type Runner = (args: string[]) => Promise<CliResult>;

/** Calls `main()` in this process, capturing what it prints (the exit code is its result). */
const inProcess: Runner = async (args) => {
  const out: string[] = [];
  const err: string[] = [];
  const original = console.error;
  console.error = (line: string) => err.push(line);
  try {
    const code = await main(args, (line) => out.push(line));
    return { code, stdout: out.map((l) => `${l}\n`).join(""), stderr: err.join("\n") };
  } finally {
    console.error = original;
  }
};

/** Breaks a valid submission as the case says, runs `dpdisp submit`, lists what went wrong. */
async function check(root: string, c: Case, i: number, dpdispRun: Runner): Promise<string> {
  const dir = `${root}/case-${i}`;
  await taskDirs(dir, 3);
  const file = `${dir}/${c.file ?? "submission.json"}`;
  if (typeof c.change === "string") await Deno.writeTextFile(file, c.change);
  else {
    const changed = c.change(valid(dir));
    if (changed !== undefined) await Deno.writeTextFile(file, JSON.stringify(changed));
  }
  const before = await tree(dir);
  const r = await dpdispRun(["submit", file, ...(c.args ?? ["--strict"])]);
  const problems: string[] = [];
  if (r.code !== 2) problems.push(`exit ${r.code}, not 2`);
  const lines = r.stderr.trimEnd().split("\n");
  if (lines.length !== 1) problems.push(`${lines.length} lines on stderr`);
  if (!c.error.test(lines[0])) problems.push(`message does not match ${c.error}`);
  if (r.stdout !== "") problems.push(`stdout: ${JSON.stringify(r.stdout)}`);
  const after = await tree(dir);
  if (JSON.stringify(after) !== JSON.stringify(before)) {
    problems.push(`touched: ${after.filter((p) => !before.includes(p)).join(", ")}`);
  }
  return problems.length > 0 ? `${c.name}: ${problems.join("; ")}\n    ${r.stderr.trim()}` : "";
}

Deno.test(`dpdisp submit: ${CASES.length} malformed inputs each exit 2 with one line and touch nothing`, async () => {
  assert.ok(CASES.length >= 30);
  const root = await tempDir("dpd-malformed-");
  const failures: string[] = [];
  for (const [i, c] of CASES.entries()) failures.push(await check(root, c, i, inProcess));
  assert.deepEqual(failures.filter(Boolean), []);
  await Deno.remove(root, { recursive: true });
});

Deno.test("dpdisp submit: a sample of the malformed inputs, as separate processes", async () => {
  // Every case runs in process above; a process costs ~0.5 s of CPU, so one case in six
  // (all kinds: file, machine, resources, tasks, paths, options) also runs as the real thing.
  const root = await tempDir("dpd-malformed-process-");
  const sample = CASES.map((c, i) => [c, i] as const).filter(([, i]) => i % 6 === 0);
  const failures = await inBatches(sample, 3, ([c, i]) => check(root, c, i, (a) => dpdisp(...a)));
  assert.deepEqual(failures.filter(Boolean), []);
  await Deno.remove(root, { recursive: true });
});
