import { isAbsolute, relative } from "node:path";
import process from "node:process";
import { fileURLToPath } from "node:url";
import { PermissionError } from "../errors.ts";
import { PERMISSION_KINDS, permissionFlag, type Permissions } from "../plan/permissions.ts";
import { quote } from "../shell/quote.ts";
import { deno, type DenoRuntime, type PermissionQuery } from "../runtime.ts";

type Kind = typeof PERMISSION_KINDS[number];

function query(kind: Kind, item: string | undefined): PermissionQuery {
  switch (kind) {
    case "read":
    case "write":
      return { name: kind, path: item };
    case "run":
      return { name: kind, command: item };
    case "net":
      return { name: kind, host: item };
    case "env":
      return { name: kind, variable: item };
    case "sys":
      return { name: kind, kind: item };
  }
}

/** The flags of the permissions Deno has not granted, by kind (`--allow-run=ps`). */
export function missingFlags(needs: Permissions, runtime: DenoRuntime): string[] {
  const granted = (kind: Kind, item?: string) =>
    runtime.permissions.querySync(query(kind, item)).state === "granted";
  const missing: string[] = [];
  for (const kind of PERMISSION_KINDS) {
    const value = needs[kind];
    const lacking = value === true
      ? (granted(kind) ? [] : true as const)
      : value.filter((item) => !granted(kind, item));
    const flag = permissionFlag(kind, lacking);
    if (flag !== undefined) missing.push(flag);
  }
  return missing;
}

/** `deno run <flags> <script> <args>`, the script relative to the current directory when inside it. */
export function denoRunCommand(flags: readonly string[], runtime: DenoRuntime): string {
  let script = runtime.mainModule;
  if (script.startsWith("file:")) {
    const path = fileURLToPath(script);
    const rel = relative(process.cwd(), path);
    script = rel === "" || rel.startsWith("..") || isAbsolute(rel) ? path : rel;
  }
  return ["deno", "run", ...flags, script, ...runtime.args].map(quote).join(" ");
}

/**
 * Under Deno, throws a {@linkcode PermissionError} naming every permission of `needs` that was
 * not granted, with a ready-to-paste command line. Under Node, does nothing.
 */
export function checkPermissions(runId: string, needs: Permissions, runtime = deno()): void {
  if (runtime === undefined) return;
  const missing = missingFlags(needs, runtime);
  if (missing.length === 0) return;
  throw new PermissionError(runId, missing, denoRunCommand(needs.flags, runtime));
}
