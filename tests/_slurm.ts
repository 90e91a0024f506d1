import { execFileSync } from "node:child_process";

/** True when a Slurm controller answers here. */
export function slurmUp(): boolean {
  try {
    execFileSync("sinfo", ["-h", "-o", "%T"], { stdio: "pipe", timeout: 10_000 });
    return true;
  } catch {
    return false;
  }
}

/**
 * Gives the test jobs a plain login profile. Slurm jobs start `bash -l` with the submitter's
 * environment (`--export=ALL`), and on this image root's ~/.bashrc runs `pyenv rehash`, which
 * holds a lock: sixteen jobs starting at once then wait on each other for a minute each. Real
 * users have their own profiles; the test cluster's jobs get an empty HOME. Deno's cache stays
 * where it is (DENO_DIR is pinned before HOME changes).
 */
export function plainJobProfile(): void {
  if (Deno.env.get("DPD_JOB_HOME")) return;
  const home = Deno.makeTempDirSync({ prefix: "dpd-job-home-" });
  const oldHome = Deno.env.get("HOME") ?? "/root";
  Deno.env.set("DENO_DIR", Deno.env.get("DENO_DIR") ?? `${oldHome}/.cache/deno`);
  Deno.env.set("npm_config_cache", Deno.env.get("npm_config_cache") ?? `${oldHome}/.npm`);
  Deno.env.set("HOME", home);
  Deno.env.set("DPD_JOB_HOME", home);
}

/**
 * Whether to skip the Slurm integration tests: only when no cluster answers AND CI did not ask
 * for them (DPD_REQUIRE_SLURM=1 turns a missing cluster into a failure).
 */
export function skipSlurm(): boolean {
  if (slurmUp()) {
    plainJobProfile();
    return false;
  }
  if (Deno.env.get("DPD_REQUIRE_SLURM") === "1") {
    throw new Error(
      "DPD_REQUIRE_SLURM=1 but no Slurm controller answers: run scripts/start_slurm.sh",
    );
  }
  console.warn(
    "Skipping Slurm integration tests: no Slurm controller answers (run scripts/start_slurm.sh)",
  );
  return true;
}

/** `sacct` rows (JobIDRaw, JobName, State) for the given job names. */
export function sacctByName(
  names: readonly string[],
): { id: string; name: string; state: string }[] {
  const out = execFileSync("sacct", [
    "-X",
    "-P",
    "-n",
    "-o",
    "JobIDRaw,JobName,State",
    "-S",
    "now-1days",
    `--name=${names.join(",")}`,
  ], {
    encoding: "utf8",
  });
  return out.trim().split("\n").filter(Boolean).map((l) => {
    const [id, name, state] = l.split("|");
    return { id, name, state };
  });
}
