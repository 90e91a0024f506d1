import { readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve } from "node:path";
import { type LoadedSubmission, loadSubmission, readInputFile } from "../compat/load.ts";
import type { Plan } from "../plan/plan.ts";
import { STATE_DIR } from "../layout.ts";
import type { Target } from "../executor/executor.ts";
import { targetOf } from "./_target.ts";
import { type Io, onePositional } from "./_common.ts";

/** How `RUN` is read, for the help of `cancel` and `submission`. */
export const RUN_HELP = `RUN is one of:
  FILE.json | FILE.yaml  the submission file the run was submitted from (needed for runs
                         whose connection holds secrets, such as SSH)
  DIR                    a work base that holds exactly one run
  ID                     a run id, or a unique prefix of one, as \`dpdisp status\` shows it,
                         recorded under --work-base (default ".")`;

/** Loads a submission file (JSON or YAML); unknown keys warn on stderr, or fail with `strict`. */
export function loadSubmissionFile(file: string, strict: boolean, io: Io): LoadedSubmission {
  const { value, dir } = readInputFile(file);
  return loadSubmission(value, {
    strict,
    baseDir: dir,
    onWarning: (w) => io.err(`warning: ${w}`),
  });
}

/** The options of every command that takes `RUN`, besides its own. */
export const RUN_OPTIONS = {
  "work-base": { type: "string", short: "w" },
  strict: { type: "boolean" },
  json: { type: "boolean" },
} as const;

/** The one `RUN` positional of `command`, resolved with the `RUN_OPTIONS` values. */
export function runArgument(
  command: string,
  positionals: string[],
  values: { readonly "work-base"?: string; readonly strict?: boolean },
  io: Io,
): RunRef {
  const ref = onePositional(command, positionals, "RUN (a submission file, work base or run id)");
  return resolveRun(ref, { workBase: values["work-base"], strict: values.strict ?? false, io });
}

/**
 * A recorded run, reopened: its plan (with the work base where it was found) and target. The
 * target is rebuilt only when read, so commands that need just the journal (`report`) work for
 * runs whose connection cannot be rebuilt from a run id (SSH).
 */
export interface RunRef {
  readonly plan: Plan;
  readonly target: Target;
}

const isDir = (path: string) => statSync(path, { throwIfNoEntry: false })?.isDirectory() ?? false;
const isFile = (path: string) => statSync(path, { throwIfNoEntry: false })?.isFile() ?? false;

function runIds(workBase: string): string[] {
  try {
    return readdirSync(join(workBase, STATE_DIR))
      .filter((n) => n.endsWith(".plan.json"))
      .map((n) => n.slice(0, -".plan.json".length))
      .sort();
  } catch {
    return [];
  }
}

/** Resolves `RUN` (a submission file, a work base, or a run id or prefix). Touches nothing. */
export function resolveRun(
  ref: string,
  options: { workBase?: string; strict: boolean; io: Io },
): RunRef {
  if (isFile(ref)) {
    const { builder } = loadSubmissionFile(ref, options.strict, options.io);
    const plan = builder.toPlan();
    if (!isFile(join(resolve(plan.workBase), STATE_DIR, `${plan.runId}.plan.json`))) {
      throw new TypeError(
        `Invalid RUN: the run of "${ref}" (${plan.runId}) was never submitted: nothing is recorded under "${
          resolve(plan.workBase)
        }"`,
      );
    }
    return { plan, target: builder.target };
  }
  let workBase = resolve(options.workBase ?? ".");
  let wanted: string | undefined = ref;
  if (isDir(ref)) [workBase, wanted] = [resolve(ref), undefined];
  const ids = runIds(workBase);
  const matches = wanted === undefined ? ids : ids.filter((id) => id.startsWith(wanted!));
  if (matches.length !== 1) {
    const what = wanted === undefined ? "" : ` matching "${wanted}"`;
    const found = ids.length === 0
      ? "none is recorded there"
      : `recorded: ${ids.slice(0, 5).join(", ")}${ids.length > 5 ? ", ..." : ""}`;
    throw new TypeError(
      matches.length === 0
        ? `Invalid RUN: no run${what} under "${workBase}" (${found})`
        : `Invalid RUN: ${matches.length} runs${what} under "${workBase}" (${found}); give more of the run id`,
    );
  }
  const runId = matches[0];
  const file = join(workBase, STATE_DIR, `${runId}.plan.json`);
  const recorded = JSON.parse(readFileSync(file, "utf8")) as Plan;
  // The plan keeps the work base as it was given (maybe relative to another directory).
  const plan: Plan = Object.freeze({ ...recorded, workBase });
  return {
    plan,
    get target() {
      return targetOf(plan.target, runId);
    },
  };
}
