// The stand-in's memory: resolved configuration, issued tokens and STS credentials, stored
// objects (OSS and Tiefblue), job groups and jobs, the request log and the injection rules.
import { Buffer } from "node:buffer";
import { createHmac, randomBytes } from "node:crypto";
import { emptyRules, type Rules } from "./inject.ts";
import type { JobSummary, RequestRecord, StandinOptions } from "./types.ts";

/** Options with every default filled in. */
export interface Config {
  hostname: string;
  port: number;
  email: string;
  phone: string;
  password: string;
  userId: number;
  tickets: string[];
  accessKeys: string[];
  appKeys: string[];
  projectIds: number[];
  bucket: string;
  tokenLifetimeMs: number;
  stsLifetimeMs: number;
  pendingMs: number;
  schedulingMs: number;
  strictFields: boolean;
  verifyOssSignature: boolean;
  requireResultAuth: boolean;
  verbose: boolean;
  log: (line: string) => void;
  now: () => number;
}

/** Fills in the defaults of `options`. */
export function resolveConfig(options: StandinOptions): Config {
  const account = options.account ?? {};
  return {
    hostname: options.hostname ?? "127.0.0.1",
    port: options.port ?? 0,
    email: account.email ?? "standin@example.com",
    phone: account.phone ?? "13800000000",
    password: account.password ?? "standin-password",
    userId: account.userId ?? 1,
    tickets: options.tickets ?? ["standin-ticket"],
    accessKeys: options.accessKeys ?? ["standin-access-key"],
    appKeys: options.appKeys ?? [],
    projectIds: options.projectIds ?? [154],
    bucket: options.bucket ?? "dpcloudserver",
    tokenLifetimeMs: options.tokenLifetimeMs ?? 3_600_000,
    stsLifetimeMs: options.stsLifetimeMs ?? 3_600_000,
    pendingMs: options.pendingMs ?? 20,
    schedulingMs: options.schedulingMs ?? 20,
    strictFields: options.strictFields ?? false,
    verifyOssSignature: options.verifyOssSignature ?? false,
    requireResultAuth: options.requireResultAuth ?? false,
    verbose: options.verbose ?? false,
    log: options.log ?? ((line) => console.error(line)),
    now: options.now ?? Date.now,
  };
}

/** A login or Tiefblue token. */
export interface TokenRecord {
  kind: "login" | "tiefblue";
  expiresAt: number;
  /** For a Tiefblue token: the prefix it may write under. */
  storePath?: string;
}

/** Temporary OSS credentials from `/data/get_sts_token`. */
export interface StsRecord {
  secret: string;
  securityToken: string;
  expiresAt: number;
}

/** A job as the stand-in keeps it. */
export interface JobRecord {
  id: number;
  api: "legacy" | "openapi";
  name: string;
  projectId: number;
  groupId: number;
  status: number;
  /** Every status the job has had, in order. */
  history: number[];
  exitCode: number | null;
  body: Record<string, unknown>;
  extraFields: string[];
  cmd: string;
  ossPath: string[];
  outFiles: string[];
  logFiles: string[];
  inserted: boolean;
  storePath: string;
  /** Signs the job's log and result URLs. */
  fileToken: string;
  createTime: number;
  updateTime: number;
  startTime?: number;
  endTime?: number;
  errorInfo: string;
  /** The job's directory (`<dir>/work` is where the input is unpacked). */
  dir?: string;
  output: Uint8Array[];
  result?: Uint8Array;
  noResult: boolean;
  killed: boolean;
  pid?: number;
  /** Resolves when the job has reached a final status. */
  done?: Promise<void>;
}

/** The stand-in's memory. */
export interface State {
  config: Config;
  origin: string;
  root: string;
  rules: Rules;
  secret: Uint8Array;
  tokens: Map<string, TokenRecord>;
  sts: Map<string, StsRecord>;
  objects: Map<string, Uint8Array>;
  jobs: Map<number, JobRecord>;
  groups: Map<number, { id: number; name: string; projectId: number }>;
  nextJobId: number;
  nextGroupId: number;
  requests: RequestRecord[];
  timers: Set<ReturnType<typeof setTimeout>>;
  closed: boolean;
}

/** A fresh state. */
export function createState(config: Config, root: string): State {
  return {
    config,
    origin: "",
    root,
    rules: emptyRules(),
    secret: randomBytes(32),
    tokens: new Map(),
    sts: new Map(),
    objects: new Map(),
    jobs: new Map(),
    groups: new Map(),
    nextJobId: 10001,
    nextGroupId: 5001,
    requests: [],
    timers: new Set(),
    closed: false,
  };
}

function b64url(data: string | Uint8Array): string {
  return Buffer.from(data).toString("base64url");
}

/** A random token of `bytes` bytes, hex. */
export function randomId(bytes = 16): string {
  return randomBytes(bytes).toString("hex");
}

/** Issues a JWT-shaped token and remembers it (`lbg` reads `appKey` and `tag` claims). */
export function issueToken(
  state: State,
  kind: "login" | "tiefblue",
  claims: Record<string, unknown> = {},
): string {
  const now = state.config.now();
  const expiresAt = now + state.config.tokenLifetimeMs;
  const header = b64url(JSON.stringify({ alg: "HS256", typ: "JWT" }));
  const payload = b64url(JSON.stringify({
    ...claims,
    sub: String(state.config.userId),
    iat: Math.floor(now / 1000),
    exp: Math.floor(expiresAt / 1000),
    jti: randomId(8),
  }));
  const sig = createHmac("sha256", state.secret).update(`${header}.${payload}`).digest("base64url");
  const token = `${header}.${payload}.${sig}`;
  const storePath = typeof claims.storePath === "string" ? claims.storePath : undefined;
  state.tokens.set(token, { kind, expiresAt, storePath });
  return token;
}

/** Checks a token: its record, or why it is refused. */
export function checkToken(
  state: State,
  token: string,
  kind: "login" | "tiefblue",
): TokenRecord | "invalid" | "expired" {
  const record = state.tokens.get(token);
  if (!record || record.kind !== kind) return "invalid";
  return state.config.now() >= record.expiresAt ? "expired" : record;
}

/** Expires every token issued so far. */
export function expireTokens(state: State): void {
  const now = state.config.now();
  for (const record of state.tokens.values()) record.expiresAt = Math.min(record.expiresAt, now);
}

/** Issues STS credentials. */
export function issueSts(state: State): { id: string; record: StsRecord } {
  const id = `STS.${randomId(10).toUpperCase()}`;
  const record = {
    secret: b64url(randomBytes(24)),
    securityToken: b64url(randomBytes(48)),
    expiresAt: state.config.now() + state.config.stsLifetimeMs,
  };
  state.sts.set(id, record);
  return { id, record };
}

/** A new job group. */
export function newGroup(state: State, projectId: number, name = ""): number {
  const id = state.nextGroupId++;
  state.groups.set(id, { id, name, projectId });
  return id;
}

/** Schedules `fn` unless the stand-in is closed; the timer is cleared on close. */
export function later(state: State, ms: number, fn: () => void): void {
  if (state.closed) return;
  const timer = setTimeout(() => {
    state.timers.delete(timer);
    if (!state.closed) fn();
  }, ms);
  state.timers.add(timer);
}

/** The summary `jobs()` gives. */
export function summarize(job: JobRecord): JobSummary {
  return {
    id: job.id,
    name: job.name,
    status: job.status,
    history: [...job.history],
    group: job.groupId,
    api: job.api,
    projectId: job.projectId,
    exitCode: job.exitCode,
    cmd: job.cmd,
    inserted: job.inserted,
    killed: job.killed,
    extraFields: [...job.extraFields],
  };
}

/** Sets a job's status and its update time. */
export function setStatus(state: State, job: JobRecord, status: number): void {
  if (job.history.at(-1) !== status) job.history.push(status);
  job.status = status;
  job.updateTime = state.config.now();
}
