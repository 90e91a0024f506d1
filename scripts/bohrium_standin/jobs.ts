// Job records shared by the legacy API and OpenAPI: validation of the add body (BOHRIUM.md §1.8,
// §4.2, §6.1.5), the detail and list item shapes (§1.9), and the signed log and result URLs.
import { isFinal, RETCODE } from "./envelope.ts";
import { matching } from "./inject.ts";
import { type JobRecord, randomId, type State } from "./state.ts";
import { formatTime } from "./envelope.ts";

type Kind = "string" | "strings" | "int" | "bool" | "number" | "any";

/** The documented top-level fields of a job-add body and their types. */
const FIELDS: Record<string, Kind> = {
  jobType: "string",
  ossPath: "strings",
  cmd: "string",
  projectId: "int",
  jobGroupId: "int",
  jobId: "int",
  jobName: "string",
  command: "string",
  outFiles: "strings",
  logFiles: "strings",
  logFile: "string",
  backwardFiles: "strings",
  jobResources: "strings",
  checkpointFiles: "strings",
  checkpointTime: "number",
  scassType: "string",
  machineType: "string",
  platform: "string",
  imageName: "string",
  diskSize: "number",
  onDemand: "int",
  maxRunTime: "number",
  region: "string",
  nnode: "int",
  instanceGroupId: "int",
  grouped: "bool",
  apiVersion: "int",
  lebesgueVersion: "int",
  outputLog: "bool",
  inputFileType: "int",
  inputFileMethod: "int",
  realUserId: "any",
  sessionId: "any",
};

const REQUIRED = ["jobType", "ossPath", "cmd", "projectId"];

function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > 80 ? text.slice(0, 77) + "..." : text;
}

function typeOk(kind: Kind, value: unknown): boolean {
  switch (kind) {
    case "string":
      return typeof value === "string";
    case "strings":
      return Array.isArray(value) && value.every((v) => typeof v === "string");
    case "int":
      return Number.isInteger(value);
    case "number":
      return typeof value === "number" && Number.isFinite(value);
    case "bool":
      return typeof value === "boolean";
    case "any":
      return true;
  }
}

const KIND_WORDS: Record<Kind, string> = {
  string: "a string",
  strings: "a list of strings",
  int: "an integer",
  number: "a number",
  bool: "a boolean",
  any: "anything",
};

/** A validated add body, or the error code and message the server answers. */
export type Checked =
  | { ok: true; body: Record<string, unknown>; extraFields: string[] }
  | { ok: false; code: string; message: string };

/** Validates a job-add body as §6.1.5 asks: required fields, types, camelCase, projects. */
export function checkAddBody(state: State, body: Record<string, unknown>): Checked {
  const bad = (message: string, code: string = RETCODE.PARAMERR): Checked => ({
    ok: false,
    code,
    message,
  });
  const snake = Object.keys(body).filter((key) => key.includes("_"));
  if (snake.length > 0) {
    return bad(`Field names must be camelCase, got ${snake.map((k) => `"${k}"`).join(", ")}`);
  }
  for (const key of REQUIRED) {
    if (body[key] === undefined || body[key] === null || body[key] === "") {
      return bad(`Field "${key}" is required`);
    }
  }
  const extraFields: string[] = [];
  for (const [key, value] of Object.entries(body)) {
    const kind = FIELDS[key];
    if (kind === undefined) {
      extraFields.push(key);
      continue;
    }
    if (value !== null && !typeOk(kind, value)) {
      return bad(`Field "${key}" must be ${KIND_WORDS[kind]}, got ${show(value)}`);
    }
  }
  if (state.config.strictFields && extraFields.length > 0) {
    return bad(`Unknown field(s) ${extraFields.map((k) => `"${k}"`).join(", ")}`);
  }
  if ((body.ossPath as string[]).length === 0) return bad(`Field "ossPath" must not be empty`);
  if ((body.cmd as string).trim() === "") return bad(`Field "cmd" must not be blank`);
  const projectId = body.projectId as number;
  if (!state.config.projectIds.includes(projectId)) {
    return bad(`Project ${projectId} does not exist or is not yours`, RETCODE.ROLEERR);
  }
  const groupId = body.jobGroupId;
  if (groupId !== undefined && groupId !== null) {
    const group = state.groups.get(groupId as number);
    if (!group || group.projectId !== projectId) {
      return bad(`Job group ${groupId} does not exist in project ${projectId}`);
    }
  }
  return { ok: true, body, extraFields };
}

/** The stored object an `ossPath` entry names, if any (a URL for L, a Tiefblue path for O). */
export function resolveInput(
  state: State,
  api: "legacy" | "openapi",
  ref: string,
): Uint8Array | undefined {
  if (api === "openapi") return state.objects.get(`tiefblue:${ref.replace(/^\/+/, "")}`);
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    return undefined;
  }
  const path = decodeURIComponent(url.pathname).replace(/^\/+/, "");
  const hostBucket = url.hostname.split(".")[0];
  return state.objects.get(`oss:${path}`) ?? state.objects.get(`oss:${hostBucket}/${path}`);
}

/** Makes a job record from a checked body. */
export function newJob(
  state: State,
  api: "legacy" | "openapi",
  body: Record<string, unknown>,
  groupId: number,
  id = state.nextJobId++,
): JobRecord {
  const now = state.config.now();
  return {
    id,
    api,
    name: typeof body.jobName === "string" ? body.jobName : "",
    projectId: body.projectId as number,
    groupId,
    status: 0,
    history: [],
    exitCode: null,
    body,
    extraFields: [],
    cmd: typeof body.cmd === "string" ? body.cmd : "",
    ossPath: Array.isArray(body.ossPath) ? body.ossPath as string[] : [],
    outFiles: Array.isArray(body.outFiles) ? body.outFiles as string[] : [],
    logFiles: Array.isArray(body.logFiles) ? body.logFiles as string[] : [],
    inserted: true,
    storePath: "",
    fileToken: randomId(12),
    createTime: now,
    updateTime: now,
    errorInfo: "",
    output: [],
    noResult: false,
    killed: false,
  };
}

/** The signed URL of a job's log `index` (no auth needed, like a signed OSS URL). */
export function logUrl(state: State, job: JobRecord, index: number): string {
  return `${state.origin}__files/log/${job.id}/${index}?sig=${job.fileToken}`;
}

/** The job's result URL, or "" (never null) when there is none. */
export function resultUrl(state: State, job: JobRecord): string {
  if (!isFinal(job.status) || !job.result || job.noResult) return "";
  if (matching(state.rules.noResult, job.name)) return "";
  return `${state.origin}__files/result/${job.id}/out.zip?sig=${job.fileToken}`;
}

/** The status the API reports (a pinned status wins). */
export function reportedStatus(state: State, job: JobRecord): number {
  return matching(state.rules.pinStatus, job.name)?.status ?? job.status;
}

/**
 * The detail `data`, or what the injections make of it: `undefined` for a deleted job,
 * `null` for `dataNull`.
 */
export function detailData(
  state: State,
  job: JobRecord,
): Record<string, unknown> | null | undefined {
  if (matching(state.rules.deleteJob, job.name)) return undefined;
  const status = reportedStatus(state, job);
  const url = resultUrl(state, job);
  const end = job.endTime ?? state.config.now();
  const data: Record<string, unknown> = {
    id: job.id,
    jobId: job.id,
    bohrId: `standin-${job.id}`,
    projectId: job.projectId,
    userId: state.config.userId,
    jobGroupId: job.groupId,
    jobGroupName: state.groups.get(job.groupId)?.name ?? "",
    jobName: job.name,
    status,
    webStatus: status,
    exitCode: job.exitCode ?? 0,
    resultUrl: url,
    result: url,
    errorInfo: job.errorInfo,
    spendTime: job.startTime === undefined ? 0 : Math.round((end - job.startTime) / 1000),
    createTime: formatTime(job.createTime),
    updateTime: formatTime(job.updateTime),
    endTime: formatTime(job.endTime),
    cmd: job.cmd,
    imageName: job.body.imageName ?? "",
    machineType: job.body.scassType ?? job.body.machineType ?? "",
    platform: job.body.platform ?? "",
    onDemand: job.body.onDemand ?? 0,
    jobFiles: {
      logFiles: job.logFiles.map((name, i) => ({ name, url: logUrl(state, job, i) })),
      inputFiles: job.ossPath.map((name) => ({ name, url: name })),
      outFiles: url === "" ? [] : [{ name: "out.zip", url, size: job.result?.length ?? 0 }],
    },
  };
  const omit = matching(state.rules.omitFields, job.name);
  if (omit?.dataNull) return null;
  for (const field of omit?.fields ?? []) delete data[field];
  return data;
}

/** One item of a job list. */
export function listItem(state: State, job: JobRecord): Record<string, unknown> {
  const status = reportedStatus(state, job);
  return {
    id: job.id,
    jobId: job.id,
    jobName: job.name,
    jobGroupId: job.groupId,
    projectId: job.projectId,
    status,
    webStatus: status,
    exitCode: job.exitCode ?? 0,
    resultUrl: resultUrl(state, job),
    createTime: formatTime(job.createTime),
    updateTime: formatTime(job.updateTime),
  };
}

/** The user's jobs (in `groupId` when given), oldest first. */
export function jobsIn(state: State, groupId: number | undefined): JobRecord[] {
  return [...state.jobs.values()].filter((job) =>
    job.inserted && (groupId === undefined || job.groupId === groupId)
  );
}
