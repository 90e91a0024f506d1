import { recordedTarget } from "../builtins.ts";
import type { Target } from "../executor/executor.ts";
import type { PlanTarget } from "../plan/plan.ts";

/**
 * Rebuilds the target of a recorded run from what its plan keeps (names and settings, never
 * secrets). Transports that need secrets (SSH) cannot be rebuilt: give the submission file.
 */
export function targetOf(recorded: PlanTarget, runId: string): Target {
  const target = recordedTarget(recorded);
  if (!target) {
    throw new TypeError(
      `Invalid RUN: run "${runId}" runs on ${recorded.scheduler} over ${recorded.transport}, which a run id alone cannot reach; give the submission file it was submitted from instead`,
    );
  }
  return target;
}
