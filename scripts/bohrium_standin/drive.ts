// A minimal driver of the stand-in for tests (not a Bohrium client): legacy calls with the
// `jwt` / `Brm-Ticket` headers, oss2's STS + V1-signed multipart upload, and a legacy submit.
import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";
import { zipSync } from "fflate";
import type { Standin } from "./types.ts";

/** The default account's e-mail. */
export const EMAIL = "standin@example.com";
/** The default account's password. */
export const PASSWORD = "standin-password";
/** UTF-8 bytes of a string. */
export const text = (s: string) => new TextEncoder().encode(s);

/** A parsed JSON body. */
// deno-lint-ignore no-explicit-any
export type Json = Record<string, any>;
/** One API call: body (POST when set), legacy token or ticket, extra headers. */
export interface Call {
  method?: string;
  body?: unknown;
  token?: string;
  ticket?: string;
  headers?: Record<string, string>;
}

/** Calls the stand-in with the legacy headers; the status and the parsed body. */
export async function call(
  s: Standin,
  path: string,
  c: Call = {},
): Promise<{ status: number; json: Json }> {
  const res = await fetch(new URL(path, s.url), {
    method: c.method ?? (c.body === undefined ? "GET" : "POST"),
    headers: {
      "content-type": "application/json",
      authorization: `jwt ${c.token ?? ""}`,
      "brm-ticket": c.ticket ?? "",
      ...c.headers,
    },
    body: c.body === undefined ? undefined : JSON.stringify(c.body),
  });
  const raw = await res.text();
  let json: Json = { raw };
  try {
    json = JSON.parse(raw);
  } catch { /* not JSON */ }
  return { status: res.status, json };
}

/** Logs in; the token. */
export async function login(s: Standin, email = EMAIL): Promise<string> {
  const { json } = await call(s, "/account/login", { body: { email, password: PASSWORD } });
  if (json.code !== "0000") throw new Error(`Login failed with code ${json.code}`);
  return json.data.token;
}

/** oss2's flow: STS credentials, then a V1-signed multipart upload, path style. */
export async function ossUpload(
  s: Standin,
  token: string,
  key: string,
  bytes: Uint8Array,
  partSize = 1_024_000,
) {
  const sts = (await call(s, "/data/get_sts_token", { token })).json.data;
  const send = async (
    method: string,
    query: string,
    body?: Uint8Array,
    keyId = sts.AccessKeyId,
  ) => {
    const date = new Date().toUTCString();
    const resource = `/dpcloudserver/${key}${query === "" ? "" : `?${query}`}`;
    const toSign = `${method}\n\napplication/octet-stream\n${date}\n` +
      `x-oss-security-token:${sts.SecurityToken}\n${resource}`;
    const sig = createHmac("sha1", sts.AccessKeySecret).update(toSign).digest("base64");
    return await fetch(`${s.ossEndpoint}${resource}`, {
      method,
      body: body as BodyInit | undefined,
      headers: {
        date,
        "content-type": "application/octet-stream",
        authorization: `OSS ${keyId}:${sig}`,
        "x-oss-security-token": sts.SecurityToken,
      },
    });
  };
  const init = await send("POST", "uploads");
  const uploadId = /<UploadId>(.*)<\/UploadId>/.exec(await init.text())![1];
  const parts: string[] = [];
  for (let at = 0, n = 1; at < bytes.length; at += partSize, n++) {
    const res = await send(
      "PUT",
      `partNumber=${n}&uploadId=${uploadId}`,
      bytes.slice(at, at + partSize),
    );
    await res.body?.cancel();
    if (res.status !== 200) throw new Error(`Part ${n} answered ${res.status}`);
    parts.push(`<Part><PartNumber>${n}</PartNumber><ETag>${res.headers.get("etag")}</ETag></Part>`);
  }
  const done = await send(
    "POST",
    `uploadId=${uploadId}`,
    text(`<CompleteMultipartUpload>${parts.join("")}</CompleteMultipartUpload>`),
  );
  return { status: done.status, body: await done.text(), send, sts };
}

/** Uploads a zip of `files` and adds a legacy job running `cmd`. */
export async function submit(
  s: Standin,
  token: string,
  o: { name: string; cmd: string; files?: Record<string, string>; extra?: Json },
) {
  const zip = zipSync(
    Object.fromEntries(Object.entries(o.files ?? {}).map(([k, v]) => [k, text(v)])),
  );
  const key = `program/154/${crypto.randomUUID()}/${o.name}.zip`;
  const up = await ossUpload(s, token, key, zip);
  if (up.status !== 200) throw new Error(`The upload of "${key}" answered ${up.status}`);
  return await call(s, "/brm/v2/job/add", {
    token,
    body: {
      jobType: "indicate",
      ossPath: [s.ossBucketUrl + key],
      projectId: 154,
      jobName: o.name,
      cmd: o.cmd,
      outFiles: ["task1/out.txt"],
      logFiles: ["task1/log"],
      grouped: false,
      ...o.extra,
    },
  });
}

/** The legacy job detail envelope. */
export async function detail(s: Standin, token: string, id: number): Promise<Json> {
  return (await call(s, `/brm/v1/job/${id}`, { token })).json;
}

/** An OpenAPI call with the SDK's auth: query `accessKey` and `Authorization: Bearer`. */
export function openApi(s: Standin, path: string, body?: unknown, key = "standin-access-key") {
  return call(s, `${path}${path.includes("?") ? "&" : "?"}accessKey=${key}`, {
    body,
    headers: { authorization: `Bearer ${key}` },
  });
}

/** A Tiefblue upload call (`/api/upload/<path>`), with `param` sent as `X-Storage-Param`. */
export async function tiefblue(
  s: Standin,
  path: string,
  body: BodyInit,
  param: Json | undefined,
  token: string,
): Promise<{ status: number; json: Json }> {
  const storage: Record<string, string> = param === undefined
    ? {}
    : { "x-storage-param": Buffer.from(JSON.stringify(param)).toString("base64") };
  const res = await fetch(`${s.tiefblueUrl}api/upload/${path}?accessKey=`, {
    method: "POST",
    body,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json", ...storage },
  });
  return { status: res.status, json: await res.json() };
}
