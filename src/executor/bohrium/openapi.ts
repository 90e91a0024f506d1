/**
 * Bohrium's OpenAPI (dpdispatcher's `OpenAPI`, through bohrium-sdk): an access key on every call
 * (`Authorization: Bearer`, query `accessKey`, optional `X-App-Key`), `job/create` (an id, the
 * group, a Tiefblue token and store path), the upload to Tiefblue, `job/add` with that id, then
 * detail, log, kill and the job list. One group per run; each attempt is a job of its own.
 *
 * @module
 */

import { posix } from "node:path";
import { ApiClient } from "./api_client.ts";
import type { CloudApi, CloudJob, GroupStore, SubmitSpec } from "./cloud_api.ts";
import { type HttpOptions, send } from "./http.ts";
import { uploadToTiefblue } from "./tiefblue.ts";

/** Everything OpenAPI needs, the access key included (kept in memory only). */
export interface OpenApiConfig {
  /** The API's base URL (`BOHRIUM_BASE_URL`). */
  readonly baseUrl: string;
  /** Tiefblue's base URL (`TIEFBLUE_BASE_URL`). */
  readonly tiefblueUrl: string;
  /** The access key. */
  readonly accessKey: string;
  /** The app key, sent as `X-App-Key` when set. */
  readonly appKey?: string;
  /** The project. */
  readonly projectId: number;
  /** Sandbox paths (`BOHRIUM_USE_SANDBOX`). */
  readonly sandbox?: boolean;
  /** Fields of every `job/add` body (camelCase), besides the ones the job sets. */
  readonly fields: Readonly<Record<string, unknown>>;
  /** Timeouts and retries. */
  readonly http?: HttpOptions;
}

/**
 * OpenAPI over one base URL.
 *
 * @example
 * ```ts
 * import { openApi } from "./openapi.ts";
 *
 * const api = openApi({ baseUrl: "https://openapi.dp.tech", tiefblueUrl: "https://tiefblue.dp.tech", accessKey: "ak", projectId: 154, fields: {} }, { get: () => undefined, set: () => Promise.resolve() });
 * console.log(api.kind, api.host); // "openapi" "openapi.dp.tech"
 * ```
 */
export function openApi(config: OpenApiConfig, group: GroupStore): CloudApi {
  const key = config.accessKey;
  const api = new ApiClient(config.baseUrl, {
    headers: () =>
      Promise.resolve({
        Accept: "application/json",
        Authorization: `Bearer ${key}`,
        ...(config.appKey ? { "X-App-Key": config.appKey } : {}),
      }),
    query: () => ({ accessKey: key }),
    secrets: () => [key, config.appKey],
  }, config.http ?? {});
  const job = (path: string) =>
    config.sandbox ? `/openapi/v1/sandbox/job/${path}` : `/openapi/v1/job/${path}`;
  const addPath = config.sandbox ? "/openapi/v1/sandbox/job/add" : "/openapi/v2/job/add";
  let first: Promise<unknown> | undefined;

  const body = (spec: SubmitSpec, path: string, jobId?: number) => ({
    inputFileType: 3,
    inputFileMethod: 1,
    jobType: "container",
    platform: "ali",
    ...config.fields,
    ossPath: [path],
    jobName: spec.name,
    projectId: config.projectId,
    cmd: spec.cmd,
    logFiles: [...spec.logFiles],
    outFiles: [...spec.outFiles],
    ...(jobId === undefined ? {} : { jobId }),
  });

  const add = async (spec: SubmitSpec) => {
    const what = `Cannot submit job "${spec.name}" to Bohrium OpenAPI`;
    const gid = group.get();
    const made = await api.call<{
      jobId?: number;
      jobGroupId?: number;
      token?: string;
      storePath?: string;
    }>({
      what,
      method: "POST",
      path: job("create"),
      json: { projectId: config.projectId, name: spec.name, ...(gid ? { bohrGroupId: gid } : {}) },
      retry: false,
    });
    if (typeof made?.jobId !== "number" || !made.token || made.storePath === undefined) {
      throw new TypeError(`${what}: the create answer lacks jobId, token or storePath`);
    }
    if (gid === undefined && typeof made.jobGroupId === "number") await group.set(made.jobGroupId);
    const path = posix.join(made.storePath, `${spec.hash}.zip`);
    await uploadToTiefblue(spec.zip, path, { base: config.tiefblueUrl, token: made.token }, {
      ...api.http,
      secrets: () => [made.token, ...(api.http.secrets?.() ?? [])],
    });
    const added = await api.call<{ jobId?: number }>({
      what,
      method: "POST",
      path: addPath,
      json: body(spec, path, made.jobId),
      retry: false,
    });
    return String(added?.jobId ?? made.jobId);
  };

  return Object.freeze({
    kind: "openapi" as const,
    host: new URL(config.baseUrl).host,
    async submit(spec: SubmitSpec): Promise<string> {
      // The run's first job makes its group; the others wait for its id and join it.
      while (group.get() === undefined) {
        if (!first) {
          const p = add(spec);
          first = p.then(() => {}, () => {}).finally(() => (first = undefined));
          return await p;
        }
        await first;
      }
      return await add(spec);
    },
    preview(spec: SubmitSpec): string {
      const url = new URL(addPath, config.baseUrl);
      return `POST ${url.href} ${JSON.stringify(body(spec, `<storePath>/${spec.hash}.zip`))}`;
    },
    async detail(id: string): Promise<CloudJob | undefined> {
      let d: Record<string, unknown> | null;
      try {
        d = await api.call<Record<string, unknown> | null>({
          what: `Cannot read job ${id} on Bohrium OpenAPI`,
          method: "GET",
          path: job(id),
        });
      } catch (e) {
        const status = (e as { status?: number }).status;
        if (status === 404 || (status === 200 && (e as { code?: string }).code)) return undefined;
        throw e;
      }
      if (!d || typeof d.status !== "number") {
        throw new TypeError(`Cannot read job ${id} on Bohrium OpenAPI: its detail holds no status`);
      }
      return {
        id,
        status: d.status,
        exitCode: typeof d.exitCode === "number" ? d.exitCode : undefined,
        resultUrl: typeof d.resultUrl === "string" ? d.resultUrl : "",
      };
    },
    async logTail(id: string): Promise<string> {
      const d = await api.call<{ log?: string }>({
        what: `Cannot read the log of job ${id} on Bohrium OpenAPI`,
        method: "GET",
        path: job(`${id}/log`),
        query: { logFile: "STDOUTERR", page: -1, pageSize: 8192 },
      });
      return typeof d?.log === "string" ? d.log.slice(-4000) : "";
    },
    async kill(id: string): Promise<void> {
      await api.call({
        what: `Cannot kill job ${id} on Bohrium OpenAPI`,
        method: "POST",
        path: job(`kill/${id}`),
      });
    },
    async find(names: readonly string[]): Promise<ReadonlyMap<string, string>> {
      const wanted = new Set(names);
      const found = new Map<string, string>();
      const seen = new Set<string>();
      const gid = group.get();
      for (let page = 1; page < 10_000; page++) {
        const d = await api.call<{ items?: Record<string, unknown>[] }>({
          what: "Cannot list the run's jobs on Bohrium OpenAPI",
          method: "GET",
          path: job("list"),
          query: {
            projectId: config.projectId,
            ...(gid === undefined ? {} : { groupId: gid }),
            page,
            pageSize: 30,
          },
        });
        const fresh = (d?.items ?? []).filter((i) => !seen.has(String(i.id)));
        if (fresh.length === 0) break;
        for (const item of fresh) {
          seen.add(String(item.id));
          const name = String(item.jobName ?? "");
          if (wanted.has(name)) found.set(name, String(item.id));
        }
      }
      return found;
    },
    async download(url: string, file: string): Promise<void> {
      // The SDK downloads with no credentials: the URL is signed.
      await send(
        {
          what: "Cannot download a result from Bohrium OpenAPI",
          method: "GET",
          url: new URL(url, config.baseUrl),
        },
        { file },
        { ...api.http, timeoutMs: Math.max(api.http.timeoutMs ?? 30_000, 60_000) },
      );
    },
  });
}
