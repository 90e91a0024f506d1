import { posix } from "node:path";
import { z } from "npm:zod@^4.1.0";

function article(type: string): string {
  const word = type === "int" ? "integer" : type;
  return /^[aeiou]/.test(word) ? `an ${word}` : `a ${word}`;
}

/** Renders one zod issue as `Invalid <field>: <why>, got <value>`. */
function describe(root: string, input: unknown, issue: z.core.$ZodIssue): string {
  let value: unknown = input;
  let field = root;
  // A bad record key (an env name): the path ends in the key; name the record and the key.
  const badKey = issue.code === "invalid_key" ? issue.path.at(-1) : undefined;
  for (const key of badKey === undefined ? issue.path : issue.path.slice(0, -1)) {
    value = value !== null && typeof value === "object"
      ? (value as Record<PropertyKey, unknown>)[key as PropertyKey]
      : undefined;
    field += typeof key === "number" ? `[${key}]` : `.${String(key)}`;
  }
  if (issue.code === "invalid_key") {
    const why = issue.issues[0]?.message ?? issue.message;
    return `Invalid ${field}: key ${JSON.stringify(badKey)} ${why}`;
  }
  if (issue.code === "unrecognized_keys") {
    return `Invalid ${field}: unknown key ${issue.keys.map((k) => `"${k}"`).join(", ")}`;
  }
  if (issue.code === "invalid_type" && value === undefined) {
    return `Invalid ${field}: missing (expected ${article(issue.expected)})`;
  }
  const why = issue.code === "invalid_type" ? `expected ${article(issue.expected)}` : issue.message;
  return `Invalid ${field}: ${why}, got ${JSON.stringify(value) ?? String(value)}`;
}

/**
 * Parses `input` with a zod schema; on failure throws a `TypeError` whose message names every
 * bad field with its value (`Invalid resources.cpuPerNode: expected a positive integer, got 0`).
 */
export function parseWith<S extends z.ZodType>(
  schema: S,
  input: unknown,
  root: string,
): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => describe(root, input, issue));
  throw new TypeError(lines.join("; "));
}

/** A path relative to some base that never climbs above it; normalised (`./a//b` -> `a/b`). */
export function relativePath(what: string) {
  return z.string().min(1, `${what} must not be empty`).transform((value, ctx) => {
    const normal = posix.normalize(value.replaceAll("\\", "/"));
    if (posix.isAbsolute(normal) || /^[A-Za-z]:\//.test(normal)) {
      ctx.addIssue({ code: "custom", message: `${what} must be relative, not absolute` });
      return z.NEVER;
    }
    if (normal === ".." || normal.startsWith("../")) {
      ctx.addIssue({ code: "custom", message: `${what} must stay inside the work base` });
      return z.NEVER;
    }
    return normal.endsWith("/") && normal !== "/" ? normal.slice(0, -1) || "." : normal;
  });
}

/** Environment variables: valid names, string values (or lists of them). */
export const envName = z.string().regex(
  /^[A-Za-z_][A-Za-z0-9_]*$/,
  "must be a shell variable name (letters, digits, _)",
);
