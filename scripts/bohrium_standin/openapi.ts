// The OpenAPI (BOHRIUM.md §4, §6.2), access-key authenticated: job create (id, group, Tiefblue
// token and store path), add, detail, log text, kill, list, delete, job groups, and the
// `/openapi/v1/sandbox/job/...` mirrors.
import { openApiAuth } from "./auth.ts";
import { fail, isFinal, json, ok, readJsonObject, RETCODE, STATUS } from "./envelope.ts";
import { logSources } from "./files.ts";
import { checkAddBody, detailData, jobsIn, listItem, newJob, resolveInput } from "./jobs.ts";
import { wrongMethod } from "./legacy.ts";
import { killJob, startJob } from "./runner.ts";
import { issueToken, type JobRecord, newGroup, setStatus, type State } from "./state.ts";

function projectOf(state: State, value: unknown): number | Response {
  if (!Number.isInteger(value)) {
    return fail(
      RETCODE.PARAMERR,
      `Field "projectId" must be an integer, got ${JSON.stringify(value)}`,
    );
  }
  if (!state.config.projectIds.includes(value as number)) {
    return fail(RETCODE.ROLEERR, `Project ${value} does not exist or is not yours`);
  }
  return value as number;
}

async function create(state: State, req: Request): Promise<Response> {
  const body = await readJsonObject(req);
  if (typeof body === "string") return fail(RETCODE.PARAMERR, body);
  const projectId = projectOf(state, body.projectId);
  if (projectId instanceof Response) return projectId;
  if (body.name !== undefined && typeof body.name !== "string") {
    return fail(
      RETCODE.PARAMERR,
      `Field "name" must be a string, got ${JSON.stringify(body.name)}`,
    );
  }
  const asked = body.bohrGroupId;
  if (asked !== undefined && asked !== null && asked !== 0) {
    const group = Number.isInteger(asked) ? state.groups.get(asked as number) : undefined;
    if (!group || group.projectId !== projectId) {
      return fail(
        RETCODE.PARAMERR,
        `Job group ${JSON.stringify(asked)} does not exist in project ${projectId}`,
      );
    }
  }
  const groupId = asked ? asked as number : newGroup(state, projectId, (body.name as string) ?? "");
  const job = newJob(state, "openapi", { projectId, jobName: body.name ?? "" }, groupId);
  job.inserted = false;
  setStatus(state, job, STATUS.UPLOADING);
  job.storePath = `project/${projectId}/job/${job.id}/`;
  state.jobs.set(job.id, job);
  const token = issueToken(state, "tiefblue", {
    appKey: "",
    tag: "standin",
    storePath: job.storePath,
  });
  return ok({ jobId: job.id, jobGroupId: groupId, token, storePath: job.storePath });
}

async function insert(state: State, req: Request): Promise<Response> {
  const body = await readJsonObject(req);
  if (typeof body === "string") return fail(RETCODE.PARAMERR, body);
  const checked = checkAddBody(state, body);
  if (!checked.ok) return fail(checked.code, checked.message);
  for (const [i, ref] of (body.ossPath as string[]).entries()) {
    if (!resolveInput(state, "openapi", ref)) {
      return fail(RETCODE.PARAMERR, `ossPath[${i}] "${ref}" names no uploaded object`);
    }
  }
  let job: JobRecord;
  const created = body.jobId === undefined || body.jobId === 0
    ? undefined
    : state.jobs.get(body.jobId as number);
  if (body.jobId !== undefined && body.jobId !== 0) {
    if (!created || created.api !== "openapi" || created.projectId !== body.projectId) {
      return fail(
        RETCODE.PARAMERR,
        `Job ${body.jobId} was not created in project ${body.projectId}`,
      );
    }
    if (created.inserted && !isFinal(created.status)) {
      return fail(RETCODE.PARAMERR, `Job ${created.id} was already added and has not ended`);
    }
  }
  if (created && !created.inserted) {
    job = newJob(state, "openapi", body, created.groupId, created.id);
    job.storePath = created.storePath;
    job.createTime = created.createTime;
  } else {
    // No id, or a re-add of an ended job: a new job in the same group.
    const groupId = created?.groupId ?? newGroup(state, body.projectId as number);
    job = newJob(state, "openapi", body, groupId);
    job.storePath = created?.storePath ?? "";
  }
  if (job.name === "" && created) job.name = created.name;
  job.extraFields = checked.extraFields;
  state.jobs.set(job.id, job);
  startJob(state, job);
  return ok({ jobId: job.id, jobGroupId: job.groupId });
}

async function log(state: State, job: JobRecord, query: URLSearchParams): Promise<Response> {
  const wanted = query.get("logFile") ?? "STDOUTERR";
  const source = (await logSources(state, job)).find((s) => s.name === wanted);
  const text = source ? new TextDecoder().decode(source.bytes) : "";
  const lines = text === "" ? [] : text.replace(/\n$/, "").split("\n");
  const pageSize = Math.max(Number(query.get("pageSize") ?? 8192) || 8192, 1);
  const pages = Math.max(Math.ceil(lines.length / pageSize), 1);
  let page = Number(query.get("page") ?? -1) || -1;
  if (page < 0) page = Math.max(pages + 1 + page, 1);
  const chosen = lines.slice((page - 1) * pageSize, page * pageSize);
  return ok({
    log: chosen.length === 0 ? "" : chosen.join("\n") + "\n",
    page,
    pageSize,
    totalPage: pages,
    total: lines.length,
  });
}

function list(state: State, query: URLSearchParams): Response {
  const group = query.get("groupId");
  const groupId = group === null || group === "" ? undefined : Number(group);
  const page = Number(query.get("page") ?? 1);
  const pageSize = Number(query.get("pageSize") ?? 30);
  if (!Number.isInteger(page) || page < 1 || !Number.isInteger(pageSize) || pageSize < 1) {
    return fail(RETCODE.PARAMERR, `Query "page" and "pageSize" must be integers (page from 1)`);
  }
  const all = jobsIn(state, groupId);
  const items = all.slice((page - 1) * pageSize, page * pageSize).map((j) => listItem(state, j));
  return ok({ items, total: all.length, page, pageSize });
}

function canonical(path: string): string {
  if (path === "/openapi/v1/sandbox/job/add") return "/openapi/v2/job/add";
  return path.replace(/^\/openapi\/v1\/sandbox\/job\//, "/openapi/v1/job/");
}

/** Routes `/openapi/...`; undefined for any other path. */
export async function openApiRoute(
  state: State,
  req: Request,
  url: URL,
): Promise<Response | undefined> {
  if (!url.pathname.startsWith("/openapi/")) return undefined;
  const denied = openApiAuth(state, req, url);
  if (denied) return denied;
  const path = canonical(url.pathname);
  const method = req.method;
  const post = method === "POST";
  if (path === "/openapi/v1/job/create") {
    return post ? await create(state, req) : wrongMethod(method, path);
  }
  if (path === "/openapi/v2/job/add") {
    return post ? await insert(state, req) : wrongMethod(method, path);
  }
  if (path === "/openapi/v1/job/list") {
    return method === "GET" ? list(state, url.searchParams) : wrongMethod(method, path);
  }
  if (path === "/openapi/v1/job_group/add") {
    if (!post) return wrongMethod(method, path);
    const body = await readJsonObject(req);
    if (typeof body === "string") return fail(RETCODE.PARAMERR, body);
    const projectId = projectOf(state, body.projectId);
    if (projectId instanceof Response) return projectId;
    return ok({
      groupId: newGroup(state, projectId, typeof body.name === "string" ? body.name : ""),
    });
  }
  const m = /^\/openapi\/v1\/job\/(?:(kill|del|terminate)\/)?(\d+)(\/log)?$/.exec(path);
  if (!m || (m[1] && m[3])) return undefined;
  const job = state.jobs.get(Number(m[2]));
  if (!job) return fail(RETCODE.NODATA, `Job ${m[2]} does not exist`);
  if (m[1]) {
    if (!post) return wrongMethod(method, path);
    if (m[1] === "del") {
      killJob(state, job);
      state.jobs.delete(job.id);
    } else killJob(state, job);
    return ok({});
  }
  if (method !== "GET") return wrongMethod(method, path);
  if (m[3]) return await log(state, job, url.searchParams);
  const data = detailData(state, job);
  if (data === undefined) return fail(RETCODE.NODATA, `Job ${job.id} does not exist`);
  return json({ code: 0, data });
}
