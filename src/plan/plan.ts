import { hashOf } from "./hash.ts";
import { parseWith, relativePath } from "./validate.ts";
import { groupTasks } from "./grouping.ts";
import type { JsonValue, Resources } from "./resources.ts";
import type { Task } from "./task.ts";
import { z } from "npm:zod@^4.1.0";

/** One job of a plan: a group of tasks submitted together under a stable name. */
export interface PlanJob {
  /** Always `"job"`. */
  readonly kind: "job";
  /** sha256 (16 hex) of its task hashes, the script-relevant resources and the scheduler. */
  readonly hash: string;
  /** The name the scheduler sees: `dpd-<12 hex>`. */
  readonly name: string;
  /** Indices into `plan.tasks`, in run order. */
  readonly tasks: readonly number[];
}

/** What a plan records of its target: names and settings, never secrets or live objects. */
export interface PlanTarget {
  /** Scheduler name (`"shell"`). */
  readonly scheduler: string;
  /** Transport name (`"lazyLocal"`, `"local"`). */
  readonly transport: string;
  /** Transport settings without secrets. */
  readonly options: Readonly<Record<string, JsonValue>>;
}

/** A frozen, JSON-safe description of a whole run. `JSON.stringify(plan)` is its full content. */
export interface Plan {
  /** Always `"plan"`. */
  readonly kind: "plan";
  /** Plan format version. */
  readonly version: 1;
  /** sha256 (16 hex) of the job hashes, common files and transport name: the run's identity. */
  readonly runId: string;
  /** The local work base, as given. */
  readonly workBase: string;
  /** The target's names and settings. */
  readonly target: PlanTarget;
  /** The resources of every job. */
  readonly resources: Resources;
  /** Every task, in the order given. */
  readonly tasks: readonly Task[];
  /** The jobs, as grouped. */
  readonly jobs: readonly PlanJob[];
  /** Files (relative to the work base) sent once for all tasks. */
  readonly forwardCommonFiles: readonly string[];
  /** Files or globs (relative to the work base) brought back once at the end. */
  readonly backwardCommonFiles: readonly string[];
}

/** Resource fields that do not change a job's script, so they stay out of its hash. */
function scriptResources(r: Resources): unknown {
  const { waitTime: _w, groupSize: _g, strategy, ...rest } = r;
  // The template's text is in the hash; its path is not (a moved file is the same header).
  return {
    ...rest,
    strategy: {
      ...strategy,
      ratioUnfinished: undefined,
      customizedScriptHeaderTemplateFile: undefined,
    },
  };
}

const commonFiles = z.array(relativePath("a common file"));

/** Builds the frozen plan: groups tasks into jobs and derives every hash. Pure. */
export function buildPlan(input: {
  workBase: string;
  target: PlanTarget;
  resources: Resources;
  tasks: readonly Task[];
  forwardCommonFiles: readonly string[];
  backwardCommonFiles: readonly string[];
}): Plan {
  if (input.tasks.length === 0) {
    throw new TypeError("Invalid plan.tasks: expected at least one task, got 0");
  }
  const forward = parseWith(commonFiles, input.forwardCommonFiles, "forwardCommonFiles");
  const backward = parseWith(commonFiles, input.backwardCommonFiles, "backwardCommonFiles");
  const res = hashOf(scriptResources(input.resources));
  const jobs = groupTasks(input.tasks.length, input.resources.groupSize).map((indices): PlanJob => {
    const hash = hashOf({
      tasks: indices.map((i) => input.tasks[i].hash),
      res,
      scheduler: input.target.scheduler,
    })
      .slice(0, 16);
    return Object.freeze({
      kind: "job" as const,
      hash,
      name: `dpd-${hash.slice(0, 12)}`,
      tasks: Object.freeze(indices),
    });
  });
  const runId = hashOf({
    jobs: jobs.map((j) => j.hash),
    forward,
    backward,
    transport: input.target.transport,
  }).slice(0, 16);
  const plan: Plan = {
    kind: "plan" as const,
    version: 1 as const,
    runId,
    workBase: input.workBase,
    target: Object.freeze(input.target),
    resources: input.resources,
    tasks: Object.freeze([...input.tasks]),
    jobs: Object.freeze(jobs),
    forwardCommonFiles: Object.freeze(forward),
    backwardCommonFiles: Object.freeze(backward),
  };
  return Object.freeze(plan);
}
