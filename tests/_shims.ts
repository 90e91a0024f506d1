/** The shim kinds under scripts/shims/. */
export type ShimKind = "pbs" | "lsf" | "fugaku" | "jh_unischeduler";

/**
 * OpenPBS, LSF, Fujitsu TCS (Fugaku) and JH UniScheduler command shims for the tests: each
 * command runs its job on the real local Slurm and answers the way OpenPBS 23 / LSF 10.1 / PJM /
 * JH do (see scripts/shims/README.md).
 */

/** The directory holding the `kind` shims; put it first on PATH. */
export function shimPath(kind: ShimKind): string {
  return new URL(`../scripts/shims/${kind}`, import.meta.url).pathname;
}

/** `env` (default: this process's environment) with the `kind` shims first on PATH. */
export function withShims(
  kind: ShimKind,
  env: Record<string, string> = Deno.env.toObject(),
): Record<string, string> {
  const path = env.PATH ?? Deno.env.get("PATH") ?? "/usr/bin:/bin";
  return { ...env, PATH: `${shimPath(kind)}:${path}` };
}
