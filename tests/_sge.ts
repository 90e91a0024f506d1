import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

/** What scripts/start_sge.sh wrote about the test Grid Engine (see scripts/SGE_NOTES.md). */
export interface SgeEnv {
  /** `SGE_ROOT` and `SGE_CELL`: pass them to every SGE command (sgeCommand does). */
  readonly env: { readonly SGE_ROOT: string; readonly SGE_CELL: string };
  readonly host: string;
  readonly queue: string;
  readonly slots: number;
  readonly pes: Readonly<Record<string, { slots: number; allocationRule: string }>>;
  readonly loginShells: string;
  readonly ports: { readonly qmaster: number; readonly execd: number };
  readonly pids: { readonly qmaster: number; readonly execd: number };
  readonly pidFiles: { readonly qmaster: string; readonly execd: string };
  readonly accountingFile: string;
  readonly logs: { readonly qmaster: string; readonly execd: string };
  readonly envSh: string;
}

/** The result of one SGE command. `code` is null when it was killed (timeout). */
export interface SgeResult {
  readonly stdout: string;
  readonly stderr: string;
  readonly code: number | null;
}

/** One `qacct -j` record (only the fields the tests compare). */
export interface QacctRecord {
  readonly jobnumber: number;
  readonly jobname: string;
  /** `undefined` for a plain job, the task number for an array task. */
  readonly taskid: string;
  /** The code of `failed` (0, 37 h_rt, 100 killed...); the reason text is dropped. */
  readonly failed: number;
  readonly exit_status: number;
}

const ENV_FILE = `${Deno.env.get("DPD_SGE_DIR") ?? "/var/tmp/dpd-sge"}/env.json`;
const DEFAULT_ENV = { SGE_ROOT: "/var/lib/gridengine", SGE_CELL: "default" };
let cached: SgeEnv | undefined;

function readEnv(): SgeEnv | undefined {
  if (!existsSync(ENV_FILE)) return undefined;
  try {
    return JSON.parse(readFileSync(ENV_FILE, "utf8")) as SgeEnv;
  } catch {
    return undefined;
  }
}

function procAlive(pidFile: string, comm: string): boolean {
  try {
    const pid = readFileSync(pidFile, "utf8").trim();
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return !/^\d+ \(.*\) [ZX]/.test(stat) &&
      readFileSync(`/proc/${pid}/comm`, "utf8").trim() === comm;
  } catch {
    return false;
  }
}

/**
 * Runs an SGE command (`["qsub", "-terse", "job.sh"]`) with SGE_ROOT/SGE_CELL from env.json,
 * bounded by `timeoutMs` (default 60 s: a `qsub -sync y` on an Eqw job would block forever).
 */
export function sgeCommand(
  argv: readonly string[],
  options: { cwd?: string; timeoutMs?: number; input?: string; env?: SgeEnv } = {},
): SgeResult {
  const sge = (options.env ?? cached ?? readEnv())?.env ?? DEFAULT_ENV;
  const r = spawnSync(argv[0], argv.slice(1), {
    cwd: options.cwd,
    input: options.input,
    encoding: "utf8",
    timeout: options.timeoutMs ?? 60_000,
    env: { ...Deno.env.toObject(), ...sge },
  });
  return {
    stdout: r.stdout ?? "",
    stderr: (r.stderr ?? "") + (r.error ? `${r.error}\n` : ""),
    code: r.status,
  };
}

/** True when the qmaster answers `qstat` within 5 s and sge_execd is alive. */
export function sgeUp(env: SgeEnv | undefined = readEnv()): boolean {
  if (!env) return false;
  return sgeCommand(["qstat"], { env, timeoutMs: 5_000 }).code === 0 &&
    procAlive(env.pidFiles.execd, "sge_execd");
}

/**
 * The test Grid Engine's description, or undefined (skip) when it is not running.
 * `DPD_REQUIRE_SGE=1` turns "not running" into an error.
 */
export function sgeEnv(): SgeEnv | undefined {
  if (cached) return cached;
  const env = readEnv();
  if (env && sgeUp(env)) {
    cached = env;
    return env;
  }
  if (Deno.env.get("DPD_REQUIRE_SGE") === "1") {
    throw new Error(
      `DPD_REQUIRE_SGE=1 but the test Grid Engine does not answer (${
        env ? "qstat fails or sge_execd is dead" : `no ${ENV_FILE}`
      }): run scripts/start_sge.sh`,
    );
  }
  console.warn(
    "Skipping SGE integration tests: no test Grid Engine answers (run scripts/start_sge.sh)",
  );
  return undefined;
}

/** Parses `qacct -j` output: records are separated by a line of `=`. */
export function parseQacct(text: string): QacctRecord[] {
  const records: QacctRecord[] = [];
  for (const block of text.split(/^=+\s*$/m)) {
    const f = new Map<string, string>();
    for (const line of block.split("\n")) {
      const m = /^(\S+)\s+(.*?)\s*$/.exec(line);
      if (m) f.set(m[1], m[2]);
    }
    if (!f.has("jobnumber")) continue;
    records.push({
      jobnumber: Number(f.get("jobnumber")),
      jobname: f.get("jobname") ?? "",
      taskid: f.get("taskid") ?? "undefined",
      failed: parseInt(f.get("failed") ?? "", 10),
      exit_status: parseInt(f.get("exit_status") ?? "", 10),
    });
  }
  return records;
}

/**
 * The accounting records of the jobs with these names (one `qacct -j NAME` each; a name is
 * matched exactly here, though qacct itself would take a `*` pattern). A name without a record
 * yet gives none. Records appear about 1 s after the job ends (flush_time is 1 s).
 */
export function qacctRecords(names: string | readonly string[]): QacctRecord[] {
  const out: QacctRecord[] = [];
  for (const name of typeof names === "string" ? [names] : names) {
    const r = sgeCommand(["qacct", "-j", name], { timeoutMs: 30_000 });
    if (r.code !== 0) {
      if (/not found/.test(r.stderr)) continue;
      throw new Error(`qacct -j ${name} failed (${r.code}): ${r.stderr.trim()}`);
    }
    out.push(...parseQacct(r.stdout).filter((rec) => rec.jobname === name));
  }
  return out;
}
