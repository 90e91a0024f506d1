import process from "node:process";
import {
  bohrium,
  bohriumOpenApi,
  type BohriumOpenApiOptions,
  type BohriumOptions,
} from "../executor/bohrium/bohrium.ts";
import type { Target } from "../executor/executor.ts";
import type { JsonValue } from "../plan/resources.ts";
import { REMOTE_PROFILE_KEYS } from "./_dpdispatcher_keys.ts";
import { type Json, object, unknownKeys } from "./_keys.ts";
import type { LoadOptions } from "./load.ts";

/** Batch and context types of the legacy API (lower case, no `Context`), and of OpenAPI. */
const LEGACY = ["bohrium", "dpcloudserver", "lebesgue"];
const OPENAPI = ["openapi"];

/**
 * dpdispatcher's `BohriumContext` `remote_profile` keys, and `username`, which it still reads
 * (deprecated for `email`).
 */
const LEGACY_KEYS = [...REMOTE_PROFILE_KEYS.BohriumContext, "username"];
/** The keys `OpenAPIContext` / `OpenAPI` read. */
const OPENAPI_KEYS = [
  "access_key",
  "project_id",
  "app_key",
  "job_name",
  "machine_type",
  "platform",
  "image_address",
  "real_user_id",
  "session_id",
  "output_log",
  "ignore_exit_code",
  "keep_backup",
  "grouped",
  "command",
];

/** The lower-case type without a `Context` suffix, as dpdispatcher registers its aliases. */
const bare = (type: string) => type.toLowerCase().replace(/context$/, "");

/**
 * Whether a `batch_type` or `context_type` names one of the Bohrium APIs (any case, with or
 * without `Context`): `"legacy"`, `"openapi"`, or undefined.
 */
export function bohriumKind(type: string): "legacy" | "openapi" | undefined {
  const t = bare(type);
  return LEGACY.includes(t) ? "legacy" : OPENAPI.includes(t) ? "openapi" : undefined;
}

/** The options of one of the two factories, as a dpdispatcher machine gives them. */
export type BohriumProfile =
  | { readonly api: "legacy"; readonly options: BohriumOptions }
  | { readonly api: "openapi"; readonly options: BohriumOpenApiOptions };

const PATH = "machine.remote_profile";

function typed(p: Json, key: string, kind: "string" | "boolean" | "integer" | "secret"): unknown {
  const value = p[key];
  if (value === undefined || value === null) return undefined;
  const ok = kind === "integer"
    ? Number.isInteger(value)
    : kind === "boolean"
    ? typeof value === "boolean"
    : typeof value === "string";
  if (!ok) {
    const shown = kind === "secret" ? `a ${typeof value}` : JSON.stringify(value);
    const want = kind === "integer" ? "an integer" : `a ${kind === "secret" ? "string" : kind}`;
    throw new TypeError(`Invalid ${PATH}.${key}: expected ${want}, got ${shown}`);
  }
  return value;
}

function legacyProfile(p: Json, batchType: string): BohriumOptions {
  const ticket = process.env.BOHR_TICKET || undefined;
  const email = typed(p, "email", "string") as string | undefined;
  const phone = typed(p, "phone", "string") as string | undefined;
  const password = typed(p, "password", "secret") as string | undefined;
  if (!ticket) {
    if (p.username !== undefined && email === undefined) {
      throw new TypeError(
        `Invalid ${PATH}.username: no longer supported (use "email" or "phone" for ${batchType})`,
      );
    }
    if (!email && !phone) {
      throw new TypeError(
        `Invalid ${PATH}.email: missing (an email or phone and a password, or BOHR_TICKET, are required for ${batchType})`,
      );
    }
    if (!password) {
      throw new TypeError(
        `Invalid ${PATH}.password: missing (required for ${batchType} without BOHR_TICKET)`,
      );
    }
  }
  const key = p.program_id !== undefined ? "program_id" : "project_id";
  const programId = typed(p, key, "integer") as number | undefined;
  if (programId === undefined) {
    throw new TypeError(
      `Invalid ${PATH}.program_id: missing (an integer is required for ${batchType})`,
    );
  }
  typed(p, "retry_count", "integer"); // declared by dpdispatcher, unused since its PR #554
  const inputData = object(p.input_data, `${PATH}.input_data`);
  const version = inputData.api_version ?? inputData.lebesgue_version ?? 2;
  if (version === 1) {
    throw new TypeError(`Invalid ${PATH}.input_data.api_version: 1 is no longer supported (use 2)`);
  }
  if (typeof inputData.job_type !== "string" || inputData.job_type === "") {
    throw new TypeError(
      `Invalid ${PATH}.input_data.job_type: ${
        inputData.job_type === undefined
          ? "missing"
          : `expected a string, got ${JSON.stringify(inputData.job_type)}`
      } (required for ${batchType})`,
    );
  }
  return {
    email,
    phone,
    password,
    programId,
    inputData: inputData as Record<string, JsonValue>,
    ignoreExitCode: (typed(p, "ignore_exit_code", "boolean") as boolean | undefined) ?? true,
    keepBackup: (typed(p, "keep_backup", "boolean") as boolean | undefined) ?? true,
  };
}

function openApiProfile(p: Json, batchType: string): BohriumOpenApiOptions {
  const accessKey = typed(p, "access_key", "secret") as string | undefined;
  if (!accessKey && !process.env.BOHRIUM_ACCESS_KEY && !process.env.ACCESS_KEY) {
    throw new TypeError(
      `Invalid ${PATH}.access_key: missing (or set BOHRIUM_ACCESS_KEY; required for ${batchType})`,
    );
  }
  const projectId = typed(p, "project_id", "integer") as number | undefined;
  if (projectId === undefined && !process.env.BOHRIUM_PROJECT_ID && !process.env.PROJECT_ID) {
    throw new TypeError(
      `Invalid ${PATH}.project_id: missing (or set BOHRIUM_PROJECT_ID; required for ${batchType})`,
    );
  }
  for (const k of ["job_name", "command"]) typed(p, k, "string");
  for (const k of ["output_log", "grouped"]) typed(p, k, "boolean");
  return {
    accessKey,
    projectId,
    appKey: typed(p, "app_key", "secret") as string | undefined,
    machineType: (typed(p, "machine_type", "string") as string | undefined) ?? "",
    platform: (typed(p, "platform", "string") as string | undefined) ?? "ali",
    imageAddress: (typed(p, "image_address", "string") as string | undefined) ?? "",
    ...(p.real_user_id === undefined ? {} : { realUserId: p.real_user_id as JsonValue }),
    ...(p.session_id === undefined ? {} : { sessionId: p.session_id as JsonValue }),
    ignoreExitCode: (typed(p, "ignore_exit_code", "boolean") as boolean | undefined) ?? true,
    keepBackup: (typed(p, "keep_backup", "boolean") as boolean | undefined) ?? true,
  };
}

/**
 * Maps a dpdispatcher Bohrium machine (`batch_type` and `context_type` Bohrium, DpCloudServer,
 * Lebesgue or OpenAPI, any case, `Context` optional) onto the options of `bohrium(...)` or
 * `bohriumOpenApi(...)`, with dpdispatcher's defaults; errors name the JSON keys and never echo
 * a secret.
 */
export function bohriumProfile(
  batchType: string,
  contextType: string,
  profile: unknown,
  options: LoadOptions,
): BohriumProfile {
  const api = bohriumKind(batchType);
  const context = bohriumKind(contextType);
  if (!api) throw new TypeError(`Invalid machine.batch_type: "${batchType}" is not a Bohrium type`);
  if (context !== api) {
    const want = api === "legacy" ? "Bohrium, DpCloudServer or Lebesgue" : "OpenAPI";
    throw new TypeError(
      `Invalid machine.context_type: expected ${want} with batch_type "${batchType}", got "${contextType}"`,
    );
  }
  const p = profile === undefined && api === "openapi" ? {} : object(profile, PATH);
  unknownKeys(p, api === "legacy" ? LEGACY_KEYS : OPENAPI_KEYS, PATH, options);
  return api === "legacy"
    ? { api, options: legacyProfile(p, batchType) }
    : { api, options: openApiProfile(p, batchType) };
}

/** The Bohrium target of a dpdispatcher machine (see {@linkcode bohriumProfile}). */
export function bohriumFromProfile(
  batchType: string,
  contextType: string,
  profile: unknown,
  options: LoadOptions,
): Target {
  const mapped = bohriumProfile(batchType, contextType, profile, options);
  return mapped.api === "legacy" ? bohrium(mapped.options) : bohriumOpenApi(mapped.options);
}
