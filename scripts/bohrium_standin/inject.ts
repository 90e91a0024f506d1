// Failure injection: the rules an `Injection` body adds, their validation (a bad body is a
// TypeError naming the key and value), matching by job name, and one-shot consumption.
import { asRecord } from "./envelope.ts";
import type { Injection } from "./types.ts";

interface Counted {
  remaining: number;
}
interface Named {
  name: string;
  pattern: RegExp;
}

/** The active injection rules. */
export interface Rules {
  tokenRejection: "code" | "401";
  fail5xx: (Counted & { status: number; path: string; json: boolean })[];
  resets: (Counted & { path: string })[];
  failJob: (Counted & Named & { exitCode: number; status: -1 | 5 })[];
  slow: (Named & { pendingMs: number })[];
  delays: { ms: number; path: string }[];
  resultFailure: (Counted & { status: number; name?: string; pattern?: RegExp })[];
  noResult: Named[];
  pinStatus: (Named & { status: number })[];
  deleteJob: Named[];
  omitFields: (Named & { fields: string[]; dataNull: boolean })[];
}

/** What an injection may do besides adding rules. */
export interface InjectionHooks {
  expireTokens(): void;
  expireSts(): void;
  setTokenLifetime(ms: number): void;
}

/** No rules. */
export function emptyRules(): Rules {
  return {
    tokenRejection: "code",
    fail5xx: [],
    resets: [],
    failJob: [],
    slow: [],
    delays: [],
    resultFailure: [],
    noResult: [],
    pinStatus: [],
    deleteJob: [],
    omitFields: [],
  };
}

/** A glob over job names (`*` any run, `?` one character), matched in full. */
export function globToRegExp(glob: string): RegExp {
  const body = glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replaceAll("*", ".*").replaceAll("?", ".");
  return new RegExp(`^${body}$`);
}

const KEYS = new Set([
  "clear",
  "expireTokens",
  "expireSts",
  "tokenRejection",
  "tokenLifetimeMs",
  "fail5xx",
  "resetConnections",
  "failJob",
  "slowStatus",
  "delayResponses",
  "resultFailure",
  "noResult",
  "pinStatus",
  "deleteJob",
  "omitFields",
]);

function list(key: string, value: unknown): Record<string, unknown>[] {
  const items = Array.isArray(value) ? value : [value];
  return items.map((item) => {
    const record = asRecord(item);
    if (!record) throw new TypeError(`Injection "${key}" must be an object, got ${str(item)}`);
    return record;
  });
}

function str(value: unknown): string {
  return JSON.stringify(value) ?? String(value);
}

function int(key: string, value: unknown, fallback?: number, min = 0): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (!Number.isInteger(value) || (value as number) < min) {
    throw new TypeError(`Injection "${key}" must be an integer >= ${min}, got ${str(value)}`);
  }
  return value as number;
}

function named(key: string, record: Record<string, unknown>): Named {
  const name = record.name ?? "*";
  if (typeof name !== "string") {
    throw new TypeError(`Injection "${key}.name" must be a string, got ${str(name)}`);
  }
  return { name, pattern: globToRegExp(name) };
}

function path(key: string, record: Record<string, unknown>): string {
  const value = record.path ?? "/";
  if (typeof value !== "string" || !value.startsWith("/")) {
    throw new TypeError(
      `Injection "${key}.path" must be a path starting with "/", got ${str(value)}`,
    );
  }
  return value;
}

/** Validates `body` and adds its rules; throws a TypeError naming the bad key. */
export function applyInjection(rules: Rules, body: unknown, hooks: InjectionHooks): void {
  const record = asRecord(body);
  if (!record) throw new TypeError(`An injection must be a JSON object, got ${str(body)}`);
  for (const key of Object.keys(record)) {
    if (!KEYS.has(key)) throw new TypeError(`Unknown injection key "${key}"`);
  }
  const b = record as Injection & Record<string, unknown>;
  if (b.clear === true) Object.assign(rules, emptyRules());
  if (b.tokenRejection !== undefined) {
    if (b.tokenRejection !== "code" && b.tokenRejection !== "401") {
      throw new TypeError(
        `Injection "tokenRejection" must be "code" or "401", got ${str(b.tokenRejection)}`,
      );
    }
    rules.tokenRejection = b.tokenRejection;
  }
  if (b.tokenLifetimeMs !== undefined) {
    hooks.setTokenLifetime(int("tokenLifetimeMs", b.tokenLifetimeMs));
  }
  for (const r of b.fail5xx === undefined ? [] : list("fail5xx", b.fail5xx)) {
    const status = int("fail5xx.status", r.status, 502, 500);
    if (status > 599) throw new RangeError(`Injection "fail5xx.status" must be 5xx, got ${status}`);
    rules.fail5xx.push({
      remaining: int("fail5xx.count", r.count, undefined, 1),
      status,
      path: path("fail5xx", r),
      json: r.json === true,
    });
  }
  for (
    const r of b.resetConnections === undefined ? [] : list("resetConnections", b.resetConnections)
  ) {
    rules.resets.push({
      remaining: int("resetConnections.count", r.count, undefined, 1),
      path: path("resetConnections", r),
    });
  }
  for (const r of b.failJob === undefined ? [] : list("failJob", b.failJob)) {
    const status = r.status ?? -1;
    if (status !== -1 && status !== 5) {
      throw new TypeError(`Injection "failJob.status" must be -1 or 5, got ${str(status)}`);
    }
    rules.failJob.push({
      ...named("failJob", r),
      exitCode: int("failJob.exitCode", r.exitCode, 1),
      status,
      remaining: int("failJob.count", r.count, Number.MAX_SAFE_INTEGER, 1),
    });
  }
  for (const r of b.slowStatus === undefined ? [] : list("slowStatus", b.slowStatus)) {
    rules.slow.push({
      ...named("slowStatus", r),
      pendingMs: int("slowStatus.pendingMs", r.pendingMs),
    });
  }
  for (const r of b.delayResponses === undefined ? [] : list("delayResponses", b.delayResponses)) {
    rules.delays.push({ ms: int("delayResponses.ms", r.ms), path: path("delayResponses", r) });
  }
  for (const r of b.resultFailure === undefined ? [] : list("resultFailure", b.resultFailure)) {
    const status = int("resultFailure.status", r.status, 404, 400);
    const rule = r.name === undefined ? {} : named("resultFailure", r);
    rules.resultFailure.push({
      ...rule,
      status,
      remaining: int("resultFailure.count", r.count, 1, 1),
    });
  }
  for (const r of b.noResult === undefined ? [] : list("noResult", b.noResult)) {
    rules.noResult.push(named("noResult", r));
  }
  for (const r of b.pinStatus === undefined ? [] : list("pinStatus", b.pinStatus)) {
    rules.pinStatus.push({
      ...named("pinStatus", r),
      status: int("pinStatus.status", r.status, undefined, -1),
    });
  }
  for (const r of b.deleteJob === undefined ? [] : list("deleteJob", b.deleteJob)) {
    rules.deleteJob.push(named("deleteJob", r));
  }
  for (const r of b.omitFields === undefined ? [] : list("omitFields", b.omitFields)) {
    const fields = r.fields ?? [];
    if (!Array.isArray(fields) || fields.some((f) => typeof f !== "string")) {
      throw new TypeError(
        `Injection "omitFields.fields" must be a list of strings, got ${str(fields)}`,
      );
    }
    rules.omitFields.push({ ...named("omitFields", r), fields, dataNull: r.dataNull === true });
  }
  if (b.expireTokens === true) hooks.expireTokens();
  if (b.expireSts === true) hooks.expireSts();
}

/** Takes one use of the first rule that `match` accepts; removes it when used up. */
export function consume<T extends Counted>(items: T[], match: (item: T) => boolean): T | undefined {
  const index = items.findIndex(match);
  if (index < 0) return undefined;
  const item = items[index];
  item.remaining -= 1;
  if (item.remaining <= 0) items.splice(index, 1);
  return item;
}

/** The first rule whose name pattern matches `name`. */
export function matching<T extends Named>(items: T[], name: string): T | undefined {
  return items.find((item) => item.pattern.test(name));
}

/** The rules as JSON (patterns shown as the globs given). */
export function describeRules(rules: Rules): Record<string, unknown> {
  const strip = (items: object[]) =>
    items.map((item) => {
      const { pattern: _pattern, ...rest } = item as { pattern?: RegExp };
      return rest;
    });
  return {
    tokenRejection: rules.tokenRejection,
    fail5xx: strip(rules.fail5xx),
    resetConnections: strip(rules.resets),
    failJob: strip(rules.failJob),
    slowStatus: strip(rules.slow),
    delayResponses: strip(rules.delays),
    resultFailure: strip(rules.resultFailure),
    noResult: strip(rules.noResult),
    pinStatus: strip(rules.pinStatus),
    deleteJob: strip(rules.deleteJob),
    omitFields: strip(rules.omitFields),
  };
}
