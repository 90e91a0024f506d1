// The legacy API (BOHRIUM.md §1, §6.1): login, `jwt` token or `Brm-Ticket` auth, STS
// credentials, job add / detail / log index / kill / list, and job groups.
import { fail, json, ok, readJsonObject, RETCODE } from "./envelope.ts";
import {
  checkAddBody,
  detailData,
  jobsIn,
  listItem,
  logUrl,
  newJob,
  resolveInput,
} from "./jobs.ts";
import { killJob, startJob } from "./runner.ts";
import { legacyAuth } from "./auth.ts";
import { issueSts, issueToken, newGroup, type State } from "./state.ts";
import { logSources } from "./files.ts";

async function login(state: State, req: Request): Promise<Response> {
  const body = await readJsonObject(req);
  if (typeof body === "string") return fail(RETCODE.PARAMERR, body);
  const { email, password } = body;
  if (typeof email !== "string" || email === "") {
    return fail(RETCODE.PARAMERR, 'Field "email" (the e-mail or phone number) is required');
  }
  if (typeof password !== "string" || password === "") {
    return fail(RETCODE.PARAMERR, 'Field "password" is required');
  }
  const { config } = state;
  if (email !== config.email && email !== config.phone) {
    return fail(RETCODE.USERERR, "No account has this e-mail or phone number");
  }
  if (password !== config.password) return fail(RETCODE.PWDERR, "The password is wrong");
  return ok({ token: issueToken(state, "login"), user_id: config.userId }, RETCODE.OK);
}

function sts(state: State): Response {
  const { id, record } = issueSts(state);
  return ok({
    AccessKeyId: id,
    AccessKeySecret: record.secret,
    SecurityToken: record.securityToken,
    Expiration: new Date(record.expiresAt).toISOString(),
  });
}

async function addJob(state: State, req: Request): Promise<Response> {
  const body = await readJsonObject(req);
  if (typeof body === "string") return fail(RETCODE.PARAMERR, body);
  const checked = checkAddBody(state, body);
  if (!checked.ok) return fail(checked.code, checked.message);
  for (const [i, ref] of (body.ossPath as string[]).entries()) {
    if (!resolveInput(state, "legacy", ref)) {
      return fail(RETCODE.PARAMERR, `ossPath[${i}] "${ref}" names no uploaded object`);
    }
  }
  const group = typeof body.jobGroupId === "number"
    ? body.jobGroupId
    : newGroup(state, body.projectId as number);
  const job = newJob(state, "legacy", body, group);
  job.extraFields = checked.extraFields;
  state.jobs.set(job.id, job);
  startJob(state, job);
  return ok({ jobId: job.id, jobGroupId: job.groupId });
}

function detail(state: State, id: number): Response {
  const job = state.jobs.get(id);
  const data = job?.inserted ? detailData(state, job) : undefined;
  if (data === undefined) return fail(RETCODE.NODATA, `Job ${id} does not exist`);
  return json({ code: 0, data });
}

/** The log index `data` of a job: one entry per log source, paged by `pageSize`. */
export async function logIndex(state: State, id: number, query: URLSearchParams) {
  const job = state.jobs.get(id);
  if (!job?.inserted) return undefined;
  const sources = await logSources(state, job);
  const pageSize = Number(query.get("pageSize") ?? sources.length) || sources.length;
  const page = Math.max(Number(query.get("page") ?? 1) || 1, 1);
  const items = sources.slice((page - 1) * pageSize, page * pageSize).map((s) => ({
    name: s.name,
    url: logUrl(state, job, s.index),
    size: s.size,
  }));
  return { logFiles: items, total: sources.length, page, pageSize };
}

function list(state: State, query: URLSearchParams): Response {
  const group = query.get("groupId");
  const groupId = group === null || group === "" ? undefined : Number(group);
  if (groupId !== undefined && !Number.isInteger(groupId)) {
    return fail(RETCODE.PARAMERR, `Query "groupId" must be an integer, got "${group}"`);
  }
  const page = Number(query.get("page") ?? 0);
  const pageSize = Number(query.get("pageSize") ?? 30);
  if (!Number.isInteger(page) || page < 0 || !Number.isInteger(pageSize) || pageSize < 1) {
    return fail(RETCODE.PARAMERR, `Query "page" and "pageSize" must be integers (page from 0)`);
  }
  const all = jobsIn(state, groupId);
  const items = all.slice(page * pageSize, (page + 1) * pageSize).map((j) => listItem(state, j));
  return ok({ items, total: all.length, page, pageSize });
}

async function addGroup(state: State, req: Request): Promise<Response> {
  const body = await readJsonObject(req);
  if (typeof body === "string") return fail(RETCODE.PARAMERR, body);
  const projectId = body.projectId;
  if (!Number.isInteger(projectId) || !state.config.projectIds.includes(projectId as number)) {
    return fail(
      RETCODE.ROLEERR,
      `Project ${JSON.stringify(projectId)} does not exist or is not yours`,
    );
  }
  const name = typeof body.name === "string" ? body.name : "";
  return ok({ groupId: newGroup(state, projectId as number, name) });
}

/** Routes a legacy API request; undefined when the path is not a legacy one. */
export async function legacyRoute(
  state: State,
  req: Request,
  url: URL,
): Promise<Response | undefined> {
  const path = url.pathname;
  const method = req.method;
  if (path === "/account/login") {
    return method === "POST" ? await login(state, req) : wrongMethod(method, path);
  }
  const known = path === "/data/get_sts_token" || path.startsWith("/brm/");
  if (!known) return undefined;
  const denied = legacyAuth(state, req);
  if (denied) return denied;
  let m: RegExpExecArray | null;
  if (path === "/data/get_sts_token") {
    return method === "GET" ? sts(state) : wrongMethod(method, path);
  }
  if (path === "/brm/v2/job/add") {
    return method === "POST" ? await addJob(state, req) : wrongMethod(method, path);
  }
  if (path === "/brm/v1/job/list") {
    return method === "GET" ? list(state, url.searchParams) : wrongMethod(method, path);
  }
  if (path === "/brm/v1/job_group/add") {
    return method === "POST" ? await addGroup(state, req) : wrongMethod(method, path);
  }
  if ((m = /^\/brm\/v1\/job\/kill\/(\d+)$/.exec(path))) {
    if (method !== "POST") return wrongMethod(method, path);
    const job = state.jobs.get(Number(m[1]));
    if (!job?.inserted) return fail(RETCODE.NODATA, `Job ${m[1]} does not exist`);
    killJob(state, job);
    return ok({});
  }
  if ((m = /^\/brm\/v1\/job\/(\d+)\/log$/.exec(path))) {
    if (method !== "GET") return wrongMethod(method, path);
    const data = await logIndex(state, Number(m[1]), url.searchParams);
    return data ? ok(data) : fail(RETCODE.NODATA, `Job ${m[1]} does not exist`);
  }
  if ((m = /^\/brm\/v1\/job\/(\d+)$/.exec(path))) {
    return method === "GET" ? detail(state, Number(m[1])) : wrongMethod(method, path);
  }
  return undefined;
}

/** 405 in the API envelope. */
export function wrongMethod(method: string, path: string): Response {
  return fail(RETCODE.REQERR, `Method ${method} is not allowed on ${path}`, 405);
}
