import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";

/** What scripts/start_torque.sh wrote about the slurm-wlm-torque wrappers. */
export interface TorqueEnv {
  /** The private bin directory holding qsub, qstat, qdel (and the Slurm links they need). */
  readonly bin: string;
  /** The wrappers' Debian version. */
  readonly version: string;
  /** Whether Slurm's spank_pbs plugin sets PBS_JOBID in jobs. */
  readonly spankPbs: boolean;
  /** The environment to run the wrappers with: this one, with `bin` first on PATH. */
  readonly env: Readonly<Record<string, string>>;
}

const DIRS = Deno.env.get("DPD_TORQUE_DIR")
  ? [Deno.env.get("DPD_TORQUE_DIR")!]
  : ["/opt/dpd-torque", "/var/tmp/dpd-torque"];
let cached: TorqueEnv | undefined;

function readEnv(): Omit<TorqueEnv, "env"> | undefined {
  for (const dir of DIRS) {
    const file = `${dir}/env.json`;
    if (!existsSync(file)) continue;
    try {
      return JSON.parse(readFileSync(file, "utf8"));
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** Runs a command with the wrappers first on PATH, bounded by `timeoutMs` (default 30 s). */
export function torqueCommand(
  env: TorqueEnv,
  argv: readonly string[],
  timeoutMs = 30_000,
): { stdout: string; stderr: string; code: number | null } {
  const r = spawnSync(argv[0], argv.slice(1), {
    encoding: "utf8",
    timeout: timeoutMs,
    env: env.env,
  });
  return {
    stdout: r.stdout ?? "",
    stderr: (r.stderr ?? "") + (r.error ? `${r.error}\n` : ""),
    code: r.status,
  };
}

/**
 * The wrappers' description when they answer (`qstat -f -1 1`: rc 0, or rc 153 for an unknown
 * id, within 15 s), else undefined (skip, with a warning). `DPD_REQUIRE_TORQUE=1` turns "not
 * answering" into an error.
 */
export function torqueEnv(): TorqueEnv | undefined {
  if (cached) return cached;
  const found = readEnv();
  if (found) {
    const env = {
      ...Deno.env.toObject(),
      PATH: `${found.bin}:${Deno.env.get("PATH") ?? "/usr/bin:/bin"}`,
    };
    const candidate = { ...found, env };
    const r = torqueCommand(candidate, [`${found.bin}/qstat`, "-f", "-1", "1"], 15_000);
    if (r.code === 0 || r.code === 153) return cached = candidate;
  }
  if (Deno.env.get("DPD_REQUIRE_TORQUE") === "1") {
    throw new Error(
      `DPD_REQUIRE_TORQUE=1 but the Torque wrappers do not answer (${
        found ? "qstat fails: is Slurm up?" : `no env.json in ${DIRS.join(" or ")}`
      }): run scripts/start_torque.sh`,
    );
  }
  console.warn(
    "Skipping Torque integration tests: the slurm-wlm-torque wrappers do not answer (run scripts/start_torque.sh)",
  );
  return undefined;
}
