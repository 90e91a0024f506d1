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
