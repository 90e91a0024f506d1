import type { Ending, JobState } from "../state/run_state.ts";

/**
 * Where a job stands according to its journal, with the fields each phase implies:
 * `new` (never submitted, or its last attempt ended and a retry was decided elsewhere),
 * `recover` (an intent journaled without an id: a crash between submit and journal),
 * `live` (submitted, not ended), `ended` (its latest attempt ended; not yet settled),
 * `final` (done with).
 */
export type JobPhase =
  | { readonly phase: "new"; readonly attempt: number }
  | { readonly phase: "recover"; readonly attempt: number }
  | { readonly phase: "live"; readonly attempt: number; readonly id: string }
  | { readonly phase: "ended"; readonly attempt: number; readonly ended: Ending }
  | {
    readonly phase: "final";
    readonly state: "finished" | "failed" | "dropped";
    readonly reason?: string;
  };

/**
 * Derives a job's phase from its journal state. `attempt` is the attempt concerned: the next one
 * to submit (`new`, `ended`), the recovered one, or the live one.
 *
 * @example
 * ```ts
 * import { phaseOf } from "./phase.ts";
 *
 * console.log(phaseOf(undefined)); // { phase: "new", attempt: 0 }
 * ```
 */
export function phaseOf(j: JobState | undefined): JobPhase {
  if (!j) return { phase: "new", attempt: 0 };
  if (j.final) return { phase: "final", state: j.final.state, reason: j.final.reason };
  if (j.intent !== undefined) return { phase: "recover", attempt: j.intent };
  const s = j.submitted;
  if (s && (!j.ended || j.ended.attempt < s.attempt)) {
    return { phase: "live", attempt: s.attempt, id: s.id };
  }
  if (j.ended) return { phase: "ended", attempt: j.attempts, ended: j.ended };
  return { phase: "new", attempt: j.attempts };
}
