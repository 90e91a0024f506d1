import type { Target } from "../executor/executor.ts";
import {
  mergeNeeds,
  PERMISSION_KINDS,
  permissionFlag,
  type PermissionNeeds,
  type Permissions,
} from "../plan/permissions.ts";
import type { Plan } from "../plan/plan.ts";

/**
 * The exact Deno permissions running a plan on a target needs: what the runner itself reads and
 * writes (the work base, which holds the `.dpdispatcher` journal; a header template file), the
 * `node:os` facts it asks (`hostname`, for the run's lock), plus what the target contributes.
 * The scheduler says which programs its commands start (`bash`, `ps`); the transport says where
 * they run (`lazyLocal`, `local`: here, so `--allow-run` and, since a child inherits the whole
 * environment, `--allow-env`; `ssh`: on the remote host, so only `--allow-net` to the first hop and
 * the `~/.ssh` files it reads). Paths are as the plan holds them (relative ones resolve against
 * the current directory, as the run does). Pure: no IO, no permissions needed to ask.
 *
 * @example The flags of a local run
 * ```ts
 * import { dispatch, permissions, task } from "@deepmodeling/dpdispatcher";
 *
 * const builder = dispatch({ workBase: "work" }).tasks(task({ command: "true", taskWorkPath: "t0" }));
 * const needs = permissions(builder.toPlan(), builder.target);
 * console.log(needs.run); // ["bash", "ps"]
 * console.log(needs.flags.join(" "));
 * // --allow-read=work --allow-write=work --allow-run=bash,ps --allow-env --allow-sys=hostname
 * ```
 */
export function permissions(plan: Plan, target: Target): Permissions {
  const template = plan.resources.strategy.customizedScriptHeaderTemplateFile;
  const runner: PermissionNeeds = {
    read: [plan.workBase, ...(template === undefined ? [] : [template])],
    write: [plan.workBase],
    // tinyglobby reads TINYGLOBBY_DEBUG when it loads (at the first glob).
    env: ["TINYGLOBBY_DEBUG"],
    sys: ["hostname"],
  };
  const all = mergeNeeds(runner, target.executor.permissions());
  const pick = (kind: typeof PERMISSION_KINDS[number]) => all[kind] ?? [];
  const result = {
    kind: "permissions" as const,
    read: pick("read"),
    write: pick("write"),
    run: pick("run"),
    net: pick("net"),
    env: pick("env"),
    sys: pick("sys"),
  };
  const flags = PERMISSION_KINDS.map((kind) => permissionFlag(kind, result[kind]))
    .filter((f): f is string => f !== undefined);
  return Object.freeze({ ...result, flags: Object.freeze(flags) });
}
