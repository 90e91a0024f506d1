// The command-line flags of `scripts/bohrium_standin.ts`, turned into `StandinOptions` (the
// failure-injection flags become one `Injection`). A bad flag is a TypeError naming it.
import { parseArgs } from "node:util";
import type { Injection, StandinOptions } from "./types.ts";

/** The usage text. */
export const USAGE = `Usage: deno run -A scripts/bohrium_standin.ts [--port P] [flags]

Server:    --port P  --host H  --work-dir D  --keep-work-dir  --verbose
Accounts:  --email E  --phone N  --password P (or $BOHRIUM_STANDIN_PASSWORD)  --ticket T...
           --access-key K...  --app-key K...  --project-id N...  --bucket B
Timing:    --token-lifetime-ms MS  --sts-lifetime-ms MS  --pending-ms MS  --scheduling-ms MS
Checks:    --strict-fields  --verify-oss-signature  --require-result-auth
Failures:  --token-rejection code|401  --fail-5xx N [--fail-5xx-status S] [--fail-5xx-path P]
           [--fail-5xx-json]  --reset-connections N  --fail-job GLOB [--fail-job-exit-code N]
           [--fail-job-status -1|5] [--fail-job-count N]  --slow-status GLOB:MS  --delay-ms MS
           --result-404-once  --result-failure STATUS:COUNT  --no-result GLOB
           --pin-status GLOB:STATUS  --delete-job GLOB  --omit-fields GLOB:f1,f2|GLOB:null
           --inject JSON   (any POST /__admin/inject body)`;

const STRINGS = [
  "port",
  "host",
  "work-dir",
  "email",
  "phone",
  "password",
  "bucket",
  "token-lifetime-ms",
  "sts-lifetime-ms",
  "pending-ms",
  "scheduling-ms",
  "token-rejection",
  "fail-5xx",
  "fail-5xx-status",
  "fail-5xx-path",
  "reset-connections",
  "fail-job",
  "fail-job-exit-code",
  "fail-job-status",
  "fail-job-count",
  "slow-status",
  "delay-ms",
  "result-failure",
  "no-result",
  "pin-status",
  "delete-job",
  "omit-fields",
  "inject",
] as const;
const LISTS = ["ticket", "access-key", "app-key", "project-id"] as const;
const BOOLS = [
  "keep-work-dir",
  "verbose",
  "strict-fields",
  "verify-oss-signature",
  "require-result-auth",
  "fail-5xx-json",
  "result-404-once",
  "help",
] as const;

function int(flag: string, value: string | undefined, min = 0): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) {
    throw new TypeError(`Flag --${flag} must be an integer >= ${min}, got "${value}"`);
  }
  return n;
}

function pair(flag: string, value: string): [string, string] {
  const at = value.lastIndexOf(":");
  if (at <= 0) throw new TypeError(`Flag --${flag} must be GLOB:VALUE, got "${value}"`);
  return [value.slice(0, at), value.slice(at + 1)];
}

/** Parses argv into options, or `"help"` for `--help`. */
export function parseFlags(argv: string[], env: Record<string, string | undefined> = {}) {
  const options: Record<string, { type: "string" | "boolean"; multiple?: boolean }> = {};
  for (const name of STRINGS) options[name] = { type: "string" };
  for (const name of LISTS) options[name] = { type: "string", multiple: true };
  for (const name of BOOLS) options[name] = { type: "boolean" };
  const { values: v } = parseArgs({ args: argv, options, strict: true, allowPositionals: false });
  const s = (name: string) => v[name] as string | undefined;
  const list = (name: string) => v[name] as string[] | undefined;
  if (v.help) return "help" as const;
  const inject: Injection = s("inject") === undefined ? {} : JSON.parse(s("inject")!);
  const rejection = s("token-rejection");
  if (rejection !== undefined) inject.tokenRejection = rejection as "code" | "401";
  if (s("fail-5xx") !== undefined) {
    inject.fail5xx = {
      count: int("fail-5xx", s("fail-5xx"), 1)!,
      status: int("fail-5xx-status", s("fail-5xx-status"), 500) ?? 502,
      path: s("fail-5xx-path") ?? "/",
      json: v["fail-5xx-json"] === true,
    };
  }
  if (s("reset-connections") !== undefined) {
    inject.resetConnections = { count: int("reset-connections", s("reset-connections"), 1)! };
  }
  if (s("fail-job") !== undefined) {
    const status = s("fail-job-status") ?? "-1";
    if (status !== "-1" && status !== "5") {
      throw new TypeError(`Flag --fail-job-status must be -1 or 5, got "${status}"`);
    }
    inject.failJob = {
      name: s("fail-job")!,
      exitCode: int("fail-job-exit-code", s("fail-job-exit-code")) ?? 1,
      status: Number(status) as -1 | 5,
      count: int("fail-job-count", s("fail-job-count"), 1),
    };
  }
  if (s("slow-status") !== undefined) {
    const [name, ms] = pair("slow-status", s("slow-status")!);
    inject.slowStatus = { name, pendingMs: int("slow-status", ms)! };
  }
  if (s("delay-ms") !== undefined) inject.delayResponses = { ms: int("delay-ms", s("delay-ms"))! };
  if (v["result-404-once"]) inject.resultFailure = { status: 404, count: 1 };
  if (s("result-failure") !== undefined) {
    const [status, count] = pair("result-failure", s("result-failure")!);
    inject.resultFailure = {
      status: int("result-failure", status, 400),
      count: int("result-failure", count, 1),
    };
  }
  if (s("no-result") !== undefined) inject.noResult = { name: s("no-result")! };
  if (s("pin-status") !== undefined) {
    const [name, status] = pair("pin-status", s("pin-status")!);
    inject.pinStatus = { name, status: int("pin-status", status, -1)! };
  }
  if (s("delete-job") !== undefined) inject.deleteJob = { name: s("delete-job")! };
  if (s("omit-fields") !== undefined) {
    const [name, fields] = pair("omit-fields", s("omit-fields")!);
    inject.omitFields = fields === "null"
      ? { name, dataNull: true }
      : { name, fields: fields.split(",") };
  }
  const result: StandinOptions = {
    port: int("port", s("port")) ?? 0,
    hostname: s("host"),
    account: {
      email: s("email"),
      phone: s("phone"),
      password: s("password") ?? env.BOHRIUM_STANDIN_PASSWORD,
    },
    tickets: list("ticket"),
    accessKeys: list("access-key"),
    appKeys: list("app-key"),
    projectIds: list("project-id")?.map((p) => int("project-id", p)!),
    bucket: s("bucket"),
    tokenLifetimeMs: int("token-lifetime-ms", s("token-lifetime-ms")),
    stsLifetimeMs: int("sts-lifetime-ms", s("sts-lifetime-ms")),
    pendingMs: int("pending-ms", s("pending-ms")),
    schedulingMs: int("scheduling-ms", s("scheduling-ms")),
    strictFields: v["strict-fields"] === true,
    verifyOssSignature: v["verify-oss-signature"] === true,
    requireResultAuth: v["require-result-auth"] === true,
    workDir: s("work-dir"),
    keepWorkDir: v["keep-work-dir"] === true,
    verbose: v.verbose === true,
    inject,
  };
  return result;
}
