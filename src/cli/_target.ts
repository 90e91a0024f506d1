import type { PlanTarget } from "../plan/plan.ts";
import type { Target } from "../executor/batch/scheduler.ts";
import { shell } from "../executor/batch/shell/shell.ts";
import { slurm, slurmJobArray } from "../executor/batch/slurm/slurm.ts";
import { lazyLocal, local } from "../transports/local.ts";
import type { Transport } from "../transports/transport.ts";

// The built-ins a run recorded by name can be reopened with (a plain map, no registry).
const SCHEDULERS: Readonly<Record<string, (t: Transport) => Target>> = {
  shell,
  slurm,
  slurmJobArray,
};
const TRANSPORTS: Readonly<Record<string, (options: PlanTarget["options"]) => Transport>> = {
  lazyLocal: () => lazyLocal(),
  local: (o) => local({ remoteRoot: String(o.remoteRoot), symlink: o.symlink === true }),
};

/**
 * Rebuilds the target of a recorded run from what its plan keeps (names and settings, never
 * secrets). Transports that need secrets (SSH) cannot be rebuilt: give the submission file.
 */
export function targetOf(recorded: PlanTarget, runId: string): Target {
  const transport = TRANSPORTS[recorded.transport];
  const scheduler = SCHEDULERS[recorded.scheduler];
  if (!transport || !scheduler) {
    throw new TypeError(
      `Invalid RUN: run "${runId}" runs on ${recorded.scheduler} over ${recorded.transport}, which a run id alone cannot reach; give the submission file it was submitted from instead`,
    );
  }
  return scheduler(transport(recorded.options));
}
