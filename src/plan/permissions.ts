import type { Target } from "../executor/batch/scheduler.ts";
import type { Plan } from "./plan.ts";

/**
 * Deno permissions, by kind: `true` for the unscoped flag (`--allow-env`), or the paths,
 * programs, `host:port`s, variables or `node:os` facts it is scoped to (`--allow-run=bash,ps`).
 * What transports and schedulers contribute, and what {@linkcode permissions} adds up.
 */
export interface PermissionNeeds {
  /** Files and directories read (a directory covers what is under it). */
  readonly read?: true | readonly string[];
  /** Files and directories written. */
  readonly write?: true | readonly string[];
  /** Programs started, by the name found on `PATH` (`bash`). */
  readonly run?: true | readonly string[];
  /** `host:port`s dialled. */
  readonly net?: true | readonly string[];
  /** Environment variables read; `true` when a child process inherits the whole environment. */
  readonly env?: true | readonly string[];
  /** `node:os` facts asked for (`hostname`, `homedir`, `userInfo`, `uid`, `gid`). */
  readonly sys?: true | readonly string[];
}

/** The kinds of {@linkcode PermissionNeeds}, in the order their flags are printed. */
export const PERMISSION_KINDS = ["read", "write", "run", "net", "env", "sys"] as const;

/** Every permission a run needs, by kind, plus the same as `deno run` flags. JSON-safe. */
export interface Permissions {
  /** Always `"permissions"`. */
  readonly kind: "permissions";
  /** Files and directories read: the work base (its `.dpdispatcher` state included), ... */
  readonly read: true | readonly string[];
  /** Files and directories written. */
  readonly write: true | readonly string[];
  /** Programs started on this machine. */
  readonly run: true | readonly string[];
  /** `host:port`s dialled. */
  readonly net: true | readonly string[];
  /** Environment variables read (`true`: all). */
  readonly env: true | readonly string[];
  /** `node:os` facts asked for. */
  readonly sys: true | readonly string[];
  /** The flags: `["--allow-read=work", "--allow-run=bash,ps", "--allow-env", ...]`. */
  readonly flags: readonly string[];
}

/** Unions needs: `true` wins, lists keep their first-seen order without repeats. */
export function mergeNeeds(...needs: readonly (PermissionNeeds | undefined)[]): PermissionNeeds {
  const out: Record<string, true | string[]> = {};
  for (const need of needs) {
    for (const kind of PERMISSION_KINDS) {
      const value = need?.[kind];
      if (value === undefined) continue;
      const have = out[kind];
      if (value === true || have === true) out[kind] = true;
      else out[kind] = [...new Set([...(have ?? []), ...value])];
    }
  }
  return out;
}

/** The `deno run` flag of one kind, or undefined when it needs nothing. */
export function permissionFlag(
  kind: typeof PERMISSION_KINDS[number],
  value: true | readonly string[] | undefined,
): string | undefined {
  if (value === true) return `--allow-${kind}`;
  if (value === undefined || value.length === 0) return undefined;
  return `--allow-${kind}=${value.join(",")}`;
}

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
  const commands = target.scheduler.permissions?.() ?? {};
  // A transport that says nothing runs the scheduler's commands here and needs nothing more.
  const transport = target.transport.permissions
    ? target.transport.permissions(commands)
    : commands;
  const all = mergeNeeds(runner, transport);
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
