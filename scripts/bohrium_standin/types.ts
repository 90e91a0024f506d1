// The shapes of the Bohrium stand-in: its options, the handle `startStandin` returns, the failure
// injections (one body shape for CLI flags, `POST /__admin/inject` and `Standin.inject`) and the
// job summary `GET /__admin/jobs` lists.

/**
 * The one account the stand-in knows. Login accepts `email` or `phone` in the `email` field.
 *
 * @example
 * ```ts
 * const account: StandinAccount = { email: "a@b.c", password: "pw" };
 * ```
 */
export interface StandinAccount {
  /** The login e-mail. @default "standin@example.com" */
  email?: string;
  /** The login phone number (sent in the `email` field, as dpdispatcher does). @default "13800000000" */
  phone?: string;
  /** The password. @default "standin-password" */
  password?: string;
  /** The `user_id` login returns. @default 1 */
  userId?: number;
}

/**
 * How `startStandin` is configured. Every field is optional.
 *
 * @example
 * ```ts
 * const options: StandinOptions = { port: 0, tokenLifetimeMs: 60_000, pendingMs: 0 };
 * ```
 */
export interface StandinOptions {
  /** TCP port; 0 picks a free one. @default 0 */
  port?: number;
  /** Address to listen on. @default "127.0.0.1" */
  hostname?: string;
  /** The account login accepts. */
  account?: StandinAccount;
  /** `Brm-Ticket` values accepted in ticket mode. @default ["standin-ticket"] */
  tickets?: string[];
  /** OpenAPI access keys accepted. @default ["standin-access-key"] */
  accessKeys?: string[];
  /** When non-empty, OpenAPI calls must carry one of these in `X-App-Key`. @default [] */
  appKeys?: string[];
  /** Project ids the account may submit to. @default [154] */
  projectIds?: number[];
  /** The OSS bucket name (path-style `/<bucket>/<key>`). @default "dpcloudserver" */
  bucket?: string;
  /** Lifetime of login tokens and Tiefblue tokens, in ms. @default 3_600_000 */
  tokenLifetimeMs?: number;
  /** Lifetime of STS credentials, in ms. @default 3_600_000 */
  stsLifetimeMs?: number;
  /** Time a job stays Pending (0), in ms. @default 20 */
  pendingMs?: number;
  /** Time a job stays Scheduling (3), in ms. @default 20 */
  schedulingMs?: number;
  /** Reject job-add bodies with top-level keys outside the documented set. @default false */
  strictFields?: boolean;
  /** Check the OSS V1 HMAC-SHA1 signature, not only the access key id. @default false */
  verifyOssSignature?: boolean;
  /** Require a valid `Authorization: jwt` (or ticket) on result downloads. @default false */
  requireResultAuth?: boolean;
  /** Where job directories go; a fresh temporary directory when unset. */
  workDir?: string;
  /** Keep the work directory on close. @default false */
  keepWorkDir?: boolean;
  /** Log one redacted line per request through `log`. @default false */
  verbose?: boolean;
  /** Where verbose lines go. @default console.error */
  log?: (line: string) => void;
  /** The clock for token and STS expiry. @default Date.now */
  now?: () => number;
  /** Failure injections active from the start. */
  inject?: Injection;
}

/**
 * Failure injections. Every key is optional; a body adds to the active rules (`clear: true`
 * drops them all first). Job rules match the job name with a glob (`*`, `?`).
 *
 * @example
 * ```ts
 * const body: Injection = { fail5xx: { count: 2, status: 502 }, failJob: { name: "bad-*" } };
 * ```
 */
export interface Injection {
  /** Drop every rule and one-shot state before applying the rest of this body. */
  clear?: boolean;
  /** Every login token issued so far is expired now. */
  expireTokens?: boolean;
  /** Every STS credential issued so far is expired now. */
  expireSts?: boolean;
  /** How a bad or expired token is answered: HTTP 200 with code "2100", or HTTP 401. */
  tokenRejection?: "code" | "401";
  /** New lifetime of tokens issued from now on, in ms. */
  tokenLifetimeMs?: number;
  /** The next `count` requests (under `path`, a prefix) answer `status` (default 502). */
  fail5xx?: { count: number; status?: number; path?: string; json?: boolean };
  /** The next `count` requests (under `path`) get their socket destroyed, no response. */
  resetConnections?: { count: number; path?: string };
  /** Matching jobs end with `status` (-1 or 5) and `exitCode` without running. */
  failJob?: { name: string; exitCode?: number; status?: -1 | 5; count?: number };
  /** Matching jobs stay Pending `pendingMs` longer. */
  slowStatus?: { name: string; pendingMs: number };
  /** Every API response (under `path`) is delayed by `ms`. */
  delayResponses?: { ms: number; path?: string };
  /** The next `count` result downloads (of jobs matching `name`) answer `status`. */
  resultFailure?: { status?: number; count?: number; name?: string };
  /** Matching jobs finish with `resultUrl: ""`. */
  noResult?: { name: string };
  /** Detail reports `status` for matching jobs, whatever they do. */
  pinStatus?: { name: string; status: number };
  /** Detail answers code "2300" (no data) for matching jobs, as for a deleted job. */
  deleteJob?: { name: string };
  /** Detail leaves out `fields` of matching jobs, or sends `"data": null`. */
  omitFields?: { name: string; fields?: string[]; dataNull?: boolean };
}

/**
 * One cloud job as `jobs()` and `GET /__admin/jobs` list it.
 *
 * @example
 * ```ts
 * const job: JobSummary = {
 *   id: 10001, name: "j", status: 2, history: [0, 3, 1, 2], group: 5001, api: "legacy", projectId: 154,
 *   exitCode: 0, cmd: "bash a.sub", inserted: true, killed: false, extraFields: [],
 * };
 * ```
 */
export interface JobSummary {
  /** The job id. */
  id: number;
  /** `jobName` (or the create `name`), "" when none was sent. */
  name: string;
  /** The status code (§3.3 of BOHRIUM.md); 8 for an OpenAPI job created but not added. */
  status: number;
  /** Every status the job has had, in order, e.g. `[0, 3, 1, 2]`. */
  history: number[];
  /** The job group id. */
  group: number;
  /** Which API made it. */
  api: "legacy" | "openapi";
  /** The project id. */
  projectId: number;
  /** The command's exit code, `null` while it has not ended. */
  exitCode: number | null;
  /** The `cmd` field. */
  cmd: string;
  /** False for an OpenAPI job between `create` and `add`. */
  inserted: boolean;
  /** Whether kill was called. */
  killed: boolean;
  /** Top-level body keys outside the documented set (accepted unless `strictFields`). */
  extraFields: string[];
}

/**
 * One request as `GET /__admin/requests` lists it (no query, headers or body).
 *
 * @example
 * ```ts
 * const r: RequestRecord = { method: "GET", path: "/brm/v1/job/1", status: 200 };
 * ```
 */
export interface RequestRecord {
  /** HTTP method. */
  method: string;
  /** Path without the query. */
  path: string;
  /** Status answered; 0 when the socket was reset. */
  status: number;
}

/**
 * The running stand-in.
 *
 * @example
 * ```ts
 * declare const s: Standin;
 * const finished = s.jobs().filter((j) => j.status === 2);
 * ```
 */
export interface Standin extends AsyncDisposable {
  /** `http://127.0.0.1:PORT/`: the legacy API host (`DPDISPATCHER_LEBESGUE_API_HOST`). */
  url: string;
  /** The OpenAPI base URL (`BOHRIUM_BASE_URL`); the same origin. */
  openApiUrl: string;
  /** The Tiefblue base URL (`TIEFBLUE_BASE_URL`); the same origin. */
  tiefblueUrl: string;
  /** The OSS endpoint (`DPDISPATCHER_LEBESGUE_ALI_STS_ENDPOINT`), without trailing slash. */
  ossEndpoint: string;
  /** The public bucket prefix (`DPDISPATCHER_LEBESGUE_ALI_OSS_BUCKET_URL`). */
  ossBucketUrl: string;
  /** The port listened on. */
  port: number;
  /** The cloud jobs so far, by id. */
  jobs(): JobSummary[];
  /** The requests so far (admin calls excluded). */
  requests(): RequestRecord[];
  /** Adds failure injections, as `POST /__admin/inject` does; returns the active rules. */
  inject(injection: Injection): Record<string, unknown>;
  /** Kills running jobs, stops listening and removes the work directory. */
  close(): Promise<void>;
}
