/**
 * The one place that touches the `Deno` namespace. Everything else uses `node:` built-ins, so
 * the same code runs under Node, where {@linkcode deno} answers `undefined`.
 *
 * @module
 */

/** A permission as Deno's `Deno.permissions.querySync` takes it. */
export type PermissionQuery =
  | { readonly name: "read" | "write"; readonly path?: string }
  | { readonly name: "run"; readonly command?: string }
  | { readonly name: "net"; readonly host?: string }
  | { readonly name: "env"; readonly variable?: string }
  | { readonly name: "sys"; readonly kind?: string };

/** The part of the `Deno` namespace this library uses. */
export interface DenoRuntime {
  /** The script Deno was started with (a URL). */
  readonly mainModule: string;
  /** The script's arguments. */
  readonly args: readonly string[];
  /** Deno's permission state. */
  readonly permissions: {
    querySync(query: PermissionQuery): { readonly state: "granted" | "prompt" | "denied" };
  };
}

/** The `Deno` namespace when running under Deno, else `undefined` (Node). */
export function deno(): DenoRuntime | undefined {
  const value = (globalThis as { Deno?: DenoRuntime }).Deno;
  return typeof value?.permissions?.querySync === "function" ? value : undefined;
}
