import { suggest } from "../suggest.ts";
import type { LoadOptions } from "./load.ts";

/** A JSON object as loaded. */
export type Json = Record<string, unknown>;

/** Reports keys dpdispatcher would accept silently but this version does not know. */
export function unknownKeys(
  obj: Json,
  known: readonly string[],
  path: string,
  options: LoadOptions,
): void {
  for (const key of Object.keys(obj)) {
    // dpdispatcher drops keys starting with "_" before checking ("_comment").
    if (known.includes(key) || key.startsWith("_")) continue;
    const close = suggest(key, known);
    const message = `Unknown key ${path}.${key}${close ? ` (did you mean "${close}"?)` : ""}`;
    warn(message, options);
  }
}

/** Reports one warning, or throws it with `strict`. */
export function warn(message: string, options: LoadOptions): void {
  if (options.strict) throw new TypeError(message);
  options.onWarning?.(message);
}

export const isObject = (value: unknown): value is Json =>
  value !== null && typeof value === "object" && !Array.isArray(value);

export function object(value: unknown, path: string): Json {
  if (value === undefined) throw new TypeError(`Invalid ${path}: missing (expected an object)`);
  if (!isObject(value)) {
    throw new TypeError(`Invalid ${path}: expected an object, got ${JSON.stringify(value)}`);
  }
  return value as Json;
}

export const camel = (key: string) => key.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
