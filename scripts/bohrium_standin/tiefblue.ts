// Tiefblue storage (BOHRIUM.md §4.3, §6.2.3): `POST /api/upload/binary` with a base64 JSON
// `X-Storage-Param`, and the three-step multipart upload. Every call needs the bearer token from
// OpenAPI job create, and may write only under that job's `storePath`.
import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import { tiefblueAuth } from "./auth.ts";
import { asRecord, fail, ok, readJsonObject, RETCODE } from "./envelope.ts";
import { randomId, type State, type TokenRecord } from "./state.ts";

interface Multipart {
  path: string;
  parts: Map<number, { bytes: Uint8Array; partString: string }>;
}

const multiparts = new WeakMap<State, Map<string, Multipart>>();

function pending(state: State): Map<string, Multipart> {
  let map = multiparts.get(state);
  if (!map) multiparts.set(state, map = new Map());
  return map;
}

function storageParam(req: Request): Record<string, unknown> | string {
  const raw = req.headers.get("x-storage-param");
  if (raw === null || raw === "") return 'The request has no "X-Storage-Param" header';
  try {
    const value = asRecord(JSON.parse(Buffer.from(raw, "base64").toString("utf8")));
    return value ?? '"X-Storage-Param" is not a base64 JSON object';
  } catch {
    return '"X-Storage-Param" is not base64 of a JSON object';
  }
}

function checkPath(token: TokenRecord, path: unknown): string | undefined {
  if (typeof path !== "string" || path === "") return 'Field "path" is required';
  const clean = path.replace(/^\/+/, "");
  if (clean.split("/").includes("..")) return `Path "${path}" must not contain ".."`;
  if (!clean.startsWith(token.storePath ?? "\0")) {
    return `Path "${path}" is outside the store path of this token`;
  }
  return undefined;
}

async function binary(state: State, req: Request, token: TokenRecord): Promise<Response> {
  const param = storageParam(req);
  if (typeof param === "string") return fail(RETCODE.PARAMERR, param, 400);
  const bad = checkPath(token, param.path);
  if (bad) return fail(bad.includes("outside") ? RETCODE.ROLEERR : RETCODE.PARAMERR, bad, 403);
  const bytes = new Uint8Array(await req.arrayBuffer());
  const path = (param.path as string).replace(/^\/+/, "");
  state.objects.set(`tiefblue:${path}`, bytes);
  return ok({ path, size: bytes.length });
}

async function init(state: State, req: Request, token: TokenRecord): Promise<Response> {
  const body = await readJsonObject(req);
  if (typeof body === "string") return fail(RETCODE.PARAMERR, body, 400);
  const bad = checkPath(token, body.path);
  if (bad) return fail(RETCODE.PARAMERR, bad, 403);
  const initialKey = randomId(16);
  pending(state).set(initialKey, {
    path: (body.path as string).replace(/^\/+/, ""),
    parts: new Map(),
  });
  return ok({ initialKey });
}

async function part(state: State, req: Request): Promise<Response> {
  const param = storageParam(req);
  if (typeof param === "string") return fail(RETCODE.PARAMERR, param, 400);
  const upload = pending(state).get(String(param.initialKey));
  if (!upload) return fail(RETCODE.PARAMERR, 'Field "initialKey" names no upload in progress', 400);
  const number = param.number;
  if (!Number.isInteger(number) || (number as number) < 1 || (number as number) > 10000) {
    return fail(RETCODE.PARAMERR, `Field "number" must be an integer from 1 to 10000`, 400);
  }
  const bytes = new Uint8Array(await req.arrayBuffer());
  const partString = JSON.stringify({
    number,
    etag: createHash("md5").update(bytes).digest("hex"),
  });
  upload.parts.set(number as number, { bytes, partString });
  return ok({ partString });
}

async function complete(state: State, req: Request, token: TokenRecord): Promise<Response> {
  const body = await readJsonObject(req);
  if (typeof body === "string") return fail(RETCODE.PARAMERR, body, 400);
  const bad = checkPath(token, body.path);
  if (bad) return fail(RETCODE.PARAMERR, bad, 403);
  const upload = pending(state).get(String(body.initialKey));
  if (!upload) return fail(RETCODE.PARAMERR, 'Field "initialKey" names no upload in progress', 400);
  const strings = body.partString;
  if (!Array.isArray(strings) || strings.length === 0) {
    return fail(RETCODE.PARAMERR, 'Field "partString" must be a non-empty list', 400);
  }
  const chunks: Uint8Array[] = [];
  for (const s of strings) {
    const found = [...upload.parts.values()].find((p) => p.partString === s);
    if (!found) return fail(RETCODE.PARAMERR, `Part ${JSON.stringify(s)} was not uploaded`, 400);
    chunks.push(found.bytes);
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) bytes.set(chunk, (at += chunk.length) - chunk.length);
  state.objects.set(`tiefblue:${upload.path}`, bytes);
  pending(state).delete(String(body.initialKey));
  return ok({ path: upload.path, size: bytes.length });
}

/** Routes `/api/upload/...`; undefined for any other path. */
export async function tiefblueRoute(
  state: State,
  req: Request,
  url: URL,
): Promise<Response | undefined> {
  const path = url.pathname;
  if (!path.startsWith("/api/upload/")) return undefined;
  const token = tiefblueAuth(state, req);
  if (token instanceof Response) return token;
  if (req.method !== "POST") {
    return fail(RETCODE.REQERR, `Method ${req.method} is not allowed on ${path}`, 405);
  }
  switch (path) {
    case "/api/upload/binary":
      return await binary(state, req, token);
    case "/api/upload/multipart/init":
      return await init(state, req, token);
    case "/api/upload/multipart/upload":
      return await part(state, req);
    case "/api/upload/multipart/complete":
      return await complete(state, req, token);
    default:
      return undefined;
  }
}
