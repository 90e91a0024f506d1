/**
 * Bohrium's legacy API (dpdispatcher's `Bohrium` / `DpCloudServer` / `Lebesgue`): a login by
 * email or phone and password (or a `BOHR_TICKET`), STS credentials and an OSS multipart upload
 * per job archive, `job/add` in one group per run, detail, log, kill and the group's job list.
 *
 * @module
 */

import type { JsonValue } from "../../plan/resources.ts";
import { ApiClient, type Auth } from "./api_client.ts";
import type { CloudApi, CloudJob, GroupStore, SubmitSpec } from "./cloud_api.ts";
import { ConnectionError } from "../../errors.ts";
import { HttpError, type HttpOptions, send } from "./http.ts";
import { uploadFile } from "./oss.ts";

/** Everything the legacy API needs, secrets included (kept in memory only). */
export interface LegacyConfig {
  /** The API's base URL (`DPDISPATCHER_LEBESGUE_API_HOST`). */
  readonly apiHost: string;
  /** The OSS endpoint (`DPDISPATCHER_LEBESGUE_ALI_STS_ENDPOINT`). */
  readonly ossEndpoint: string;
  /** The OSS bucket (`DPDISPATCHER_LEBESGUE_ALI_STS_BUCKET_NAME`). */
  readonly ossBucket: string;
  /** The public prefix of stored objects (`DPDISPATCHER_LEBESGUE_ALI_OSS_BUCKET_URL`). */
  readonly ossBucketUrl: string;
  /** The login account: an email, or a phone number (sent in the `email` field). */
  readonly account?: string;
  /** The password. */
  readonly password?: string;
  /** A ticket (`BOHR_TICKET`): no login. */
  readonly ticket?: string;
  /** `program_id`. */
  readonly programId: number;
  /** Fields of every `job/add` body (snake_case or camelCase; sent camelCase). */
  readonly inputData: Readonly<Record<string, JsonValue>>;
  /** The run, in the OSS object key. */
  readonly runId: string;
  /** Timeouts and retries. */
  readonly http?: HttpOptions;
}

/**
 * A key in camelCase, as dpdispatcher's `_camelize` (pyhumps) sends top-level keys.
 *
 * @example
 * ```ts
 * import { camelize } from "./legacy_api.ts";
 *
 * console.log(camelize("job_type"), camelize("disk_size"), camelize("imageName")); // "jobType" "diskSize" "imageName"
 * ```
 */
export function camelize(key: string): string {
  return key.replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

/** The password login (lazy, single-flight, renewed after a rejection) or the ticket. */
class LegacyAuth implements Auth {
  readonly #config: LegacyConfig;
  readonly #http: HttpOptions;
  #token = "";
  #login?: Promise<void>;

  constructor(config: LegacyConfig, http: HttpOptions) {
    this.#config = config;
    this.#http = http;
  }

  get token(): string {
    return this.#token;
  }

  secrets(): (string | undefined)[] {
    return [this.#config.password, this.#config.ticket, this.#token];
  }

  async headers(): Promise<Record<string, string>> {
    const ticket = this.#config.ticket;
    if (ticket) return { Authorization: "jwt ", "Brm-Ticket": ticket };
    if (!this.#token) await this.#renew();
    return { Authorization: `jwt ${this.#token}`, "Brm-Ticket": "" };
  }

  get renew(): Auth["renew"] {
    if (this.#config.ticket) return undefined;
    return async (rejected) => {
      // Another call logged in since these headers were made: its token is the fresh one.
      if (rejected.Authorization !== `jwt ${this.#token}` && this.#token) return;
      this.#token = "";
      await this.#renew();
    };
  }

  #renew(): Promise<void> {
    this.#login ??= this.#logIn().finally(() => (this.#login = undefined));
    return this.#login;
  }

  async #logIn(): Promise<void> {
    const c = this.#config;
    const api = new ApiClient(c.apiHost, {
      headers: () => Promise.resolve({}),
      secrets: () => this.secrets(),
    }, this.#http);
    const what = `Cannot log in to Bohrium as "${c.account}"`;
    let data: { token?: string } | null;
    try {
      data = await api.call<{ token?: string }>({
        what,
        method: "POST",
        path: "account/login",
        json: { email: c.account, password: c.password },
      });
    } catch (e) {
      // A refused account is no fault to retry: the run stops, as for a refused SSH login.
      if (e instanceof HttpError && (e.status === 200 || e.status === 401 || e.status === 403)) {
        const url = new URL(c.apiHost);
        const port = Number(url.port) || (url.protocol === "https:" ? 443 : 80);
        throw new ConnectionError(e.message, url.hostname, port, false, { cause: e });
      }
      throw e;
    }
    if (typeof data?.token !== "string" || data.token === "") {
      throw new TypeError(`Cannot log in to Bohrium as "${c.account}": the answer holds no token`);
    }
    this.#token = data.token;
  }
}

/**
 * The legacy API over one base URL.
 *
 * @example
 * ```ts
 * import { legacyApi } from "./legacy_api.ts";
 *
 * const api = legacyApi({
 *   apiHost: "https://bohrium.dp.tech/", ossEndpoint: "http://oss-cn-shenzhen.aliyuncs.com",
 *   ossBucket: "dpcloudserver", ossBucketUrl: "https://dpcloudserver.oss-cn-shenzhen.aliyuncs.com/",
 *   account: "me@example.com", password: "pw", programId: 154, inputData: { job_type: "container" }, runId: "r1",
 * }, { get: () => undefined, set: () => Promise.resolve() });
 * console.log(api.kind, api.host); // "legacy" "bohrium.dp.tech"
 * ```
 */
export function legacyApi(config: LegacyConfig, group: GroupStore): CloudApi {
  const http = config.http ?? {};
  const auth = new LegacyAuth(config, http);
  const api = new ApiClient(config.apiHost, auth, http);
  const uploads = new Map<string, Promise<string>>();
  let first: Promise<unknown> | undefined;

  const upload = (spec: SubmitSpec) => {
    let url = uploads.get(spec.hash);
    if (!url) {
      url = (async () => {
        const key = `program/${config.programId}/${config.runId}/${spec.hash}.zip`;
        const sts = await api.call<Record<string, string>>({
          what: `Cannot get OSS credentials from Bohrium for "${spec.name}"`,
          method: "GET",
          path: "/data/get_sts_token",
        });
        await uploadFile(
          spec.zip,
          key,
          { endpoint: config.ossEndpoint, bucket: config.ossBucket },
          {
            accessKeyId: sts.AccessKeyId,
            accessKeySecret: sts.AccessKeySecret,
            securityToken: sts.SecurityToken,
          },
          api.http,
        );
        return new URL(key, config.ossBucketUrl).href;
      })();
      uploads.set(spec.hash, url);
      url.catch(() => uploads.delete(spec.hash));
    }
    return url;
  };

  const body = (spec: SubmitSpec, url: string) => {
    const input: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(config.inputData)) input[camelize(k)] = v;
    const resources = Array.isArray(input.jobResources) ? [...input.jobResources] : [];
    const out: Record<string, unknown> = {
      ossPath: [url],
      projectId: config.programId,
      ...(group.get() === undefined ? {} : { jobGroupId: group.get() }),
      ...input,
      jobResources: [...resources, url],
      command: spec.cmd,
      cmd: spec.cmd,
      jobName: spec.name,
      backwardFiles: [...spec.outFiles],
      outFiles: [...spec.outFiles],
      logFiles: [...spec.logFiles],
    };
    if (input.machineType !== undefined) out.scassType = input.machineType;
    if (input.checkpointFiles === "sync_files") out.checkpointFiles = ["*"];
    for (const k of ["machineType", "grouped", "apiVersion", "lebesgueVersion", "outputLog"]) {
      delete out[k];
    }
    return out;
  };

  const add = async (spec: SubmitSpec) => {
    const url = await upload(spec);
    const data = await api.call<{ jobId?: number; jobGroupId?: number }>({
      what: `Cannot submit job "${spec.name}" to Bohrium`,
      method: "POST",
      path: "/brm/v2/job/add",
      json: body(spec, url),
      // A repeat could add the job twice: the runner looks it up by name before trying again.
      retry: false,
    });
    if (data?.jobId === undefined || data.jobId === null) {
      throw new TypeError(`Cannot submit job "${spec.name}" to Bohrium: the answer holds no jobId`);
    }
    if (group.get() === undefined && typeof data.jobGroupId === "number") {
      await group.set(data.jobGroupId);
    }
    return String(data.jobId);
  };

  return Object.freeze({
    kind: "legacy" as const,
    host: new URL(config.apiHost).host,
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
      const url = new URL(
        `program/${config.programId}/${config.runId}/${spec.hash}.zip`,
        config.ossBucketUrl,
      );
      return `POST ${api.url("/brm/v2/job/add").href} ${JSON.stringify(body(spec, url.href))}`;
    },
    async detail(id: string): Promise<CloudJob | undefined> {
      try {
        const d = await api.call<Record<string, unknown> | null>({
          what: `Cannot read job ${id} on Bohrium`,
          method: "GET",
          path: `/brm/v1/job/${id}`,
        });
        if (!d || typeof d.status !== "number") {
          throw new TypeError(`Cannot read job ${id} on Bohrium: its detail holds no status`);
        }
        return {
          id,
          status: d.status,
          exitCode: typeof d.exitCode === "number" ? d.exitCode : undefined,
          resultUrl: typeof d.resultUrl === "string" ? d.resultUrl : "",
        };
      } catch (e) {
        // An error code on a 2xx, even after a fresh login: the job is gone (deleted).
        if (isGone(e)) return undefined;
        throw e;
      }
    },
    async logTail(id: string): Promise<string> {
      const d = await api.call<{ logFiles?: { url?: string; size?: number }[] }>({
        what: `Cannot read the log of job ${id} on Bohrium`,
        method: "GET",
        path: `/brm/v1/job/${id}/log`,
        query: { pageSize: 1 },
      });
      const file = d?.logFiles?.[0];
      if (!file?.url) return "";
      const from = Math.max(0, (file.size ?? 0) - 4000);
      const r = await send<string>(
        {
          what: `Cannot read the log of job ${id} on Bohrium`,
          method: "GET",
          url: new URL(file.url, config.apiHost),
          headers: () => ({ Range: `bytes=${from}-` }),
          accept: [416],
        },
        "text",
        api.http,
      );
      return r.status === 416 ? "" : r.value;
    },
    async kill(id: string): Promise<void> {
      await api.call({
        what: `Cannot kill job ${id} on Bohrium`,
        method: "POST",
        path: `/brm/v1/job/kill/${id}`,
        json: {},
      });
    },
    async find(names: readonly string[]): Promise<ReadonlyMap<string, string>> {
      const wanted = new Set(names);
      const found = new Map<string, string>();
      const seen = new Set<string>();
      const gid = group.get();
      // dpdispatcher pages from 0, the SDK from 1: read until an empty page, each id once.
      for (let page = 0; page < 10_000; page++) {
        const d = await api.call<{ items?: Record<string, unknown>[] }>({
          what: "Cannot list the run's jobs on Bohrium",
          method: "GET",
          path: "/brm/v1/job/list",
          query: { ...(gid === undefined ? {} : { groupId: gid }), page, pageSize: 30 },
        });
        const items = d?.items ?? [];
        const fresh = items.filter((i) => !seen.has(String(i.id)));
        if (fresh.length === 0 && page > 0) break;
        for (const item of fresh) {
          seen.add(String(item.id));
          const name = String(item.jobName ?? "");
          if (wanted.has(name)) found.set(name, String(item.id));
        }
        if (items.length === 0) break;
      }
      return found;
    },
    async download(url: string, file: string): Promise<void> {
      await send(
        {
          what: "Cannot download a result from Bohrium",
          method: "GET",
          url: new URL(url, config.apiHost),
          headers: () => ({ Authorization: `jwt ${auth.token}` }),
        },
        { file },
        { ...api.http, timeoutMs: Math.max(api.http.timeoutMs ?? 30_000, 60_000) },
      );
    },
  });
}

/** A 2xx answered with an error code. */
function isGone(e: unknown): boolean {
  return typeof e === "object" && e !== null && (e as { status?: number }).status === 200 &&
    (e as { code?: string }).code !== undefined;
}
