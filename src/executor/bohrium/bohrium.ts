/**
 * The Bohrium targets: `bohrium({...})` (the legacy API, dpdispatcher's `Bohrium`, alias
 * `DpCloudServer` and `Lebesgue`) and `bohriumOpenApi({...})` (dpdispatcher's `OpenAPI`). Each
 * is `{ kind: "target", executor }`; the executor's `record` holds names and settings only:
 * passwords, tickets and access keys stay in this process's memory.
 *
 * @module
 */

import process from "node:process";
import { join, resolve } from "node:path";
import type { PermissionNeeds } from "../../plan/permissions.ts";
import type { Plan, PlanTarget } from "../../plan/plan.ts";
import type { JsonValue } from "../../plan/resources.ts";
import type { Executor, OpenOptions, Target } from "../executor.ts";
import type { CloudApi, GroupStore } from "./cloud_api.ts";
import type { HttpOptions } from "./http.ts";
import { legacyApi } from "./legacy_api.ts";
import { openApi } from "./openapi.ts";
import { objectUrl } from "./oss.ts";
import { renderCloudJobs } from "./script.ts";
import { cloudSession, fileGroupStore } from "./session.ts";

/** Options both APIs share. */
export interface BohriumCommonOptions {
  /** A job that failed on Bohrium counts as finished, not resubmitted (dpdispatcher's `ignore_exit_code`). @default true */
  readonly ignoreExitCode?: boolean;
  /** Keep the input and result archives beside the run's journal (`keep_backup`). @default true */
  readonly keepBackup?: boolean;
  /** Milliseconds each HTTP call may wait for an answer. @default 30_000 */
  readonly timeoutMs?: number;
  /** Tries of each call that may be repeated (5xx, 429, transport errors). @default 5 */
  readonly tries?: number;
  /** The first backoff between tries, in milliseconds (doubling, with jitter). @default 250 */
  readonly backoffMs?: number;
}

/** Options of {@linkcode bohrium}. */
export interface BohriumOptions extends BohriumCommonOptions {
  /** The login email. */
  readonly email?: string;
  /** The login phone number, when there is no email. */
  readonly phone?: string;
  /** The password (kept in memory only). */
  readonly password?: string;
  /** A ticket instead of a login. @default process.env.BOHR_TICKET */
  readonly ticket?: string;
  /** The program (project) id (`program_id`). */
  readonly programId: number;
  /** `job_type`. @default "container" */
  readonly jobType?: string;
  /** The machine type (`machine_type`, sent as `scassType`). */
  readonly machineType?: string;
  /** The image (`image_name`). */
  readonly imageName?: string;
  /** The platform (`platform`: `ali`, `paratera`, ...). */
  readonly platform?: string;
  /** More fields of every `job/add` body (`input_data`: `disk_size`, `on_demand`, ...). @default {} */
  readonly inputData?: Readonly<Record<string, JsonValue>>;
  /** The API. @default process.env.DPDISPATCHER_LEBESGUE_API_HOST ?? "https://bohrium.dp.tech/" */
  readonly apiHost?: string;
  /** The OSS endpoint. @default process.env.DPDISPATCHER_LEBESGUE_ALI_STS_ENDPOINT ?? "http://oss-cn-shenzhen.aliyuncs.com" */
  readonly ossEndpoint?: string;
  /** The OSS bucket. @default process.env.DPDISPATCHER_LEBESGUE_ALI_STS_BUCKET_NAME ?? "dpcloudserver" */
  readonly ossBucket?: string;
  /** The public prefix of stored objects. @default process.env.DPDISPATCHER_LEBESGUE_ALI_OSS_BUCKET_URL ?? "https://dpcloudserver.oss-cn-shenzhen.aliyuncs.com/" */
  readonly ossBucketUrl?: string;
}

/** Options of {@linkcode bohriumOpenApi}. */
export interface BohriumOpenApiOptions extends BohriumCommonOptions {
  /** The access key (kept in memory only). @default process.env.BOHRIUM_ACCESS_KEY ?? process.env.ACCESS_KEY */
  readonly accessKey?: string;
  /** The project id. @default process.env.BOHRIUM_PROJECT_ID ?? process.env.PROJECT_ID */
  readonly projectId?: number;
  /** The app key, sent as `X-App-Key`. @default process.env.BOHRIUM_APP_KEY ?? process.env.APP_KEY */
  readonly appKey?: string;
  /** The machine type (`machine_type`, sent as `scassType`). @default "" */
  readonly machineType?: string;
  /** The image (`image_address`, sent as `imageName`). @default "" */
  readonly imageAddress?: string;
  /** The platform. @default "ali" */
  readonly platform?: string;
  /** `real_user_id`, sent when set. */
  readonly realUserId?: JsonValue;
  /** `session_id`, sent when set. */
  readonly sessionId?: JsonValue;
  /** The API. @default process.env.BOHRIUM_BASE_URL ?? "https://openapi.dp.tech" */
  readonly baseUrl?: string;
  /** Tiefblue storage. @default process.env.TIEFBLUE_BASE_URL ?? "https://tiefblue.dp.tech" */
  readonly tiefblueUrl?: string;
  /** Sandbox paths. @default process.env.BOHRIUM_USE_SANDBOX is "1" or "true" */
  readonly sandbox?: boolean;
}

const env = (name: string): string | undefined => process.env[name] || undefined;
const hostPort = (url: string) => {
  const u = new URL(url);
  return `${u.hostname}:${u.port || (u.protocol === "https:" ? 443 : 80)}`;
};

function httpOf(o: BohriumCommonOptions): HttpOptions {
  return { timeoutMs: o.timeoutMs, tries: o.tries, backoffMs: o.backoffMs };
}

/** Where a run's archives and results live: beside its journal. */
function runDir(workBase: string, runId: string): string {
  return join(resolve(workBase), ".dpdispatcher", "bohrium", runId);
}

function cloudExecutor(
  record: PlanTarget,
  host: string,
  net: string[],
  envNames: string[],
  policy: { ignoreExitCode: boolean; keepBackup: boolean },
  makeApi: (plan: Plan, group: GroupStore) => CloudApi,
): Executor {
  return Object.freeze({
    record,
    host,
    queues: true,
    submitBatch: 20,
    permissions: (): PermissionNeeds => ({ net: [...new Set(net)], env: envNames }),
    runRoot: (workBase: string, runId: string) => runDir(workBase, runId),
    render: (plan: Plan) => renderCloudJobs(plan),
    async open(plan: Plan, options: OpenOptions) {
      const dir = runDir(options.workBase, plan.runId);
      const group = await fileGroupStore(dir);
      return cloudSession(plan, makeApi(plan, group), policy, { dir, options });
    },
  });
}

function check(ok: boolean, field: string, want: string, got: unknown): void {
  if (!ok) throw new TypeError(`Invalid ${field}: expected ${want}, got ${JSON.stringify(got)}`);
}

/**
 * Runs jobs on Bohrium through its legacy API, as dpdispatcher's `Bohrium` does: a login by
 * email or phone and password, or a `BOHR_TICKET`; each job's archive goes to OSS, each attempt
 * is a job named by its stable name, in one job group per run.
 *
 * @example
 * ```ts
 * import { bohrium } from "./bohrium.ts";
 *
 * const target = bohrium({ email: "me@example.com", password: "secret", programId: 154, machineType: "c2_m4_cpu", apiHost: "http://127.0.0.1:8080/" });
 * console.log(target.executor.record.scheduler, JSON.stringify(target.executor.record).includes("secret")); // "bohrium" false
 * ```
 */
export function bohrium(options: BohriumOptions): Target {
  const o = options;
  check(Number.isInteger(o.programId), "bohrium.programId", "an integer", o.programId);
  const ticket = o.ticket ?? env("BOHR_TICKET");
  const account = o.email ?? o.phone;
  if (!ticket) {
    if (!account) {
      throw new TypeError(
        "Invalid bohrium.email: missing (an email or phone, or BOHR_TICKET, is required)",
      );
    }
    if (!o.password) {
      throw new TypeError("Invalid bohrium.password: missing (required without BOHR_TICKET)");
    }
  }
  const apiHost = o.apiHost ?? env("DPDISPATCHER_LEBESGUE_API_HOST") ?? "https://bohrium.dp.tech/";
  const ossEndpoint = o.ossEndpoint ?? env("DPDISPATCHER_LEBESGUE_ALI_STS_ENDPOINT") ??
    "http://oss-cn-shenzhen.aliyuncs.com";
  const ossBucket = o.ossBucket ?? env("DPDISPATCHER_LEBESGUE_ALI_STS_BUCKET_NAME") ??
    "dpcloudserver";
  const ossBucketUrl = o.ossBucketUrl ?? env("DPDISPATCHER_LEBESGUE_ALI_OSS_BUCKET_URL") ??
    "https://dpcloudserver.oss-cn-shenzhen.aliyuncs.com/";
  for (const [field, url] of [["apiHost", apiHost], ["ossBucketUrl", ossBucketUrl]]) {
    check(URL.canParse(url), `bohrium.${field}`, "a URL", url);
  }
  const inputData: Record<string, JsonValue> = {
    job_type: o.jobType ?? "container",
    ...(o.machineType === undefined ? {} : { machine_type: o.machineType }),
    ...(o.imageName === undefined ? {} : { image_name: o.imageName }),
    ...(o.platform === undefined ? {} : { platform: o.platform }),
    ...o.inputData,
  };
  const policy = { ignoreExitCode: o.ignoreExitCode ?? true, keepBackup: o.keepBackup ?? true };
  const record: PlanTarget = Object.freeze({
    scheduler: "bohrium",
    transport: "bohrium",
    options: Object.freeze({
      apiHost,
      ossEndpoint,
      ossBucket,
      ossBucketUrl,
      ...(o.email ? { email: o.email } : o.phone ? { phone: o.phone } : {}),
      programId: o.programId,
      inputData,
      ...policy,
    }),
  });
  const oss = objectUrl({ endpoint: ossEndpoint, bucket: ossBucket }, "x").href;
  const net = [apiHost, oss, ossBucketUrl].map(hostPort);
  const envNames = [
    "BOHR_TICKET",
    "DPDISPATCHER_LEBESGUE_API_HOST",
    "DPDISPATCHER_LEBESGUE_ALI_STS_ENDPOINT",
    "DPDISPATCHER_LEBESGUE_ALI_STS_BUCKET_NAME",
    "DPDISPATCHER_LEBESGUE_ALI_OSS_BUCKET_URL",
  ];
  const executor = cloudExecutor(
    record,
    new URL(apiHost).host,
    net,
    envNames,
    policy,
    (plan, group) =>
      legacyApi({
        apiHost,
        ossEndpoint,
        ossBucket,
        ossBucketUrl,
        account,
        password: o.password,
        ticket,
        programId: o.programId,
        inputData,
        runId: plan.runId,
        http: httpOf(o),
      }, group),
  );
  return Object.freeze({ kind: "target" as const, executor });
}

/**
 * Runs jobs on Bohrium through its OpenAPI, as dpdispatcher's `OpenAPI` does: an access key
 * (an option or `BOHRIUM_ACCESS_KEY`), each attempt a job of its own (`job/create`, the archive
 * to Tiefblue, `job/add`), named by its stable name, in one job group per run.
 *
 * @example
 * ```ts
 * import { bohriumOpenApi } from "./bohrium.ts";
 *
 * const target = bohriumOpenApi({ accessKey: "ak-secret", projectId: 154, machineType: "c2_m4_cpu", baseUrl: "http://127.0.0.1:8080" });
 * console.log(target.executor.record.scheduler, JSON.stringify(target.executor.record).includes("ak-secret")); // "bohriumOpenApi" false
 * ```
 */
export function bohriumOpenApi(options: BohriumOpenApiOptions = {}): Target {
  const o = options;
  const accessKey = o.accessKey ?? env("BOHRIUM_ACCESS_KEY") ?? env("ACCESS_KEY");
  if (!accessKey) {
    throw new TypeError("Invalid bohriumOpenApi.accessKey: missing (or set BOHRIUM_ACCESS_KEY)");
  }
  const project = o.projectId ?? env("BOHRIUM_PROJECT_ID") ?? env("PROJECT_ID");
  const projectId = typeof project === "string" ? Number(project) : project;
  check(
    projectId !== undefined && Number.isInteger(projectId),
    "bohriumOpenApi.projectId",
    "an integer (or set BOHRIUM_PROJECT_ID)",
    project ?? null,
  );
  const appKey = o.appKey ?? env("BOHRIUM_APP_KEY") ?? env("APP_KEY");
  const baseUrl = o.baseUrl ?? env("BOHRIUM_BASE_URL") ?? "https://openapi.dp.tech";
  const tiefblueUrl = o.tiefblueUrl ?? env("TIEFBLUE_BASE_URL") ?? "https://tiefblue.dp.tech";
  for (const [field, url] of [["baseUrl", baseUrl], ["tiefblueUrl", tiefblueUrl]]) {
    check(URL.canParse(url), `bohriumOpenApi.${field}`, "a URL", url);
  }
  const sandbox = o.sandbox ?? ["1", "true"].includes(env("BOHRIUM_USE_SANDBOX") ?? "");
  const fields: Record<string, JsonValue> = {
    scassType: o.machineType ?? "",
    platform: o.platform ?? "ali",
    imageName: o.imageAddress ?? "",
    ...(o.realUserId === undefined ? {} : { realUserId: o.realUserId }),
    ...(o.sessionId === undefined ? {} : { sessionId: o.sessionId }),
  };
  const policy = { ignoreExitCode: o.ignoreExitCode ?? true, keepBackup: o.keepBackup ?? true };
  const record: PlanTarget = Object.freeze({
    scheduler: "bohriumOpenApi",
    transport: "bohriumOpenApi",
    options: Object.freeze({
      baseUrl,
      tiefblueUrl,
      projectId: projectId!,
      sandbox,
      fields,
      ...policy,
    }),
  });
  const envNames = [
    "BOHRIUM_ACCESS_KEY",
    "ACCESS_KEY",
    "BOHRIUM_PROJECT_ID",
    "PROJECT_ID",
    "BOHRIUM_APP_KEY",
    "APP_KEY",
    "BOHRIUM_BASE_URL",
    "TIEFBLUE_BASE_URL",
    "BOHRIUM_USE_SANDBOX",
  ];
  const net = [baseUrl, tiefblueUrl].map(hostPort);
  const executor = cloudExecutor(
    record,
    new URL(baseUrl).host,
    net,
    envNames,
    policy,
    (_plan, group) =>
      openApi({
        baseUrl,
        tiefblueUrl,
        accessKey,
        appKey,
        projectId: projectId!,
        sandbox,
        fields,
        http: httpOf(o),
      }, group),
  );
  return Object.freeze({ kind: "target" as const, executor });
}
