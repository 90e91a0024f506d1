// Aliyun OSS, path style (`/<bucket>/<key>`), as oss2 drives it with STS credentials
// (BOHRIUM.md §2.2, §6.1.4): multipart init / upload part / complete / abort, a plain put, and
// public reads at the URL the client tells the API. Writes need `Authorization: OSS <id>:<sig>`
// with an access key id from `/data/get_sts_token` and its `x-oss-security-token`.
import { Buffer } from "node:buffer";
import { createHash, createHmac } from "node:crypto";
import { crc64 } from "./crc64.ts";
import { bytesBody, escapeXml, ossError, xml } from "./envelope.ts";
import { randomId, type State } from "./state.ts";

interface Upload {
  key: string;
  parts: Map<number, { bytes: Uint8Array; etag: string }>;
}

const uploads = new WeakMap<State, Map<string, Upload>>();
const MIN_PART = 100 * 1024;
const SUBRESOURCES = new Set(["uploads", "uploadId", "partNumber", "acl", "delete", "append"]);

function uploadsOf(state: State): Map<string, Upload> {
  let map = uploads.get(state);
  if (!map) uploads.set(state, map = new Map());
  return map;
}

function etagOf(bytes: Uint8Array): string {
  return `"${createHash("md5").update(bytes).digest("hex").toUpperCase()}"`;
}

/** The V1 string to sign: verb, Content-MD5, Content-Type, Date, x-oss-* headers, resource. */
function stringToSign(req: Request, url: URL, resource: string): string {
  const h = req.headers;
  const ossHeaders = [...h.entries()]
    .filter(([k]) => k.toLowerCase().startsWith("x-oss-"))
    .map(([k, v]) => [k.toLowerCase(), v.trim()])
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([k, v]) => `${k}:${v}\n`)
    .join("");
  const subs = [...url.searchParams.entries()]
    .filter(([k]) => SUBRESOURCES.has(k))
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([k, v]) => v === "" ? k : `${k}=${v}`);
  const canonical = resource + (subs.length > 0 ? `?${subs.join("&")}` : "");
  return [
    req.method,
    h.get("content-md5") ?? "",
    h.get("content-type") ?? "",
    h.get("date") ?? "",
    ossHeaders + canonical,
  ].join("\n");
}

function checkAuth(state: State, req: Request, url: URL, resource: string): Response | undefined {
  const m = /^OSS ([^:\s]+):(\S+)$/.exec(req.headers.get("authorization") ?? "");
  if (!m) return ossError(403, "AccessDenied", "The request has no OSS signature");
  const [, id, signature] = m;
  const sts = state.sts.get(id);
  if (!sts) return ossError(403, "InvalidAccessKeyId", "The OSS access key id does not exist");
  const token = req.headers.get("x-oss-security-token");
  if (token === null || token === "") {
    return ossError(403, "InvalidSecurityToken", "The request has no x-oss-security-token");
  }
  if (token !== sts.securityToken) {
    return ossError(403, "InvalidSecurityToken", "The security token does not match the key id");
  }
  if (state.config.now() >= sts.expiresAt) {
    return ossError(403, "SecurityTokenExpired", "The security token has expired");
  }
  if (state.config.verifyOssSignature) {
    const expected = createHmac("sha1", sts.secret).update(stringToSign(req, url, resource))
      .digest("base64");
    if (expected !== signature) {
      return ossError(403, "SignatureDoesNotMatch", "The OSS signature does not match");
    }
  }
  return undefined;
}

async function readBody(req: Request): Promise<Uint8Array | Response> {
  const bytes = new Uint8Array(await req.arrayBuffer());
  const md5 = req.headers.get("content-md5");
  if (md5 !== null && createHash("md5").update(bytes).digest("base64") !== md5) {
    return ossError(400, "InvalidDigest", "The Content-MD5 does not match the body");
  }
  return bytes;
}

function complete(state: State, bucket: string, upload: Upload, body: string): Response {
  const listed = [...body.matchAll(/<Part>([\s\S]*?)<\/Part>/g)].map((m) => ({
    number: Number(/<PartNumber>\s*(\d+)\s*<\/PartNumber>/.exec(m[1])?.[1]),
    etag: /<ETag>\s*([^<]*?)\s*<\/ETag>/.exec(m[1])?.[1] ?? "",
  }));
  if (listed.length === 0) return ossError(400, "MalformedXML", "The part list is empty");
  const chunks: Uint8Array[] = [];
  for (const [i, part] of listed.entries()) {
    if (i > 0 && part.number <= listed[i - 1].number) {
      return ossError(400, "InvalidPartOrder", "Part numbers must be listed in ascending order");
    }
    const stored = upload.parts.get(part.number);
    const norm = (e: string) => e.replace(/&quot;/g, '"').replaceAll('"', "").toUpperCase();
    if (!stored || norm(stored.etag) !== norm(part.etag)) {
      return ossError(400, "InvalidPart", `Part ${part.number} was not uploaded with that ETag`);
    }
    if (i < listed.length - 1 && stored.bytes.length < MIN_PART) {
      return ossError(400, "EntityTooSmall", `Part ${part.number} is smaller than 100 KiB`);
    }
    chunks.push(stored.bytes);
  }
  const bytes = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const chunk of chunks) bytes.set(chunk, (at += chunk.length) - chunk.length);
  state.objects.set(`oss:${bucket}/${upload.key}`, bytes);
  const digest = createHash("md5");
  for (const part of listed) {
    digest.update(Buffer.from(upload.parts.get(part.number)!.etag.replaceAll('"', ""), "hex"));
  }
  const etag = `"${digest.digest("hex").toUpperCase()}-${listed.length}"`;
  return xml(
    `<CompleteMultipartUploadResult><Location>${state.origin}${bucket}/${escapeXml(upload.key)}` +
      `</Location><Bucket>${bucket}</Bucket><Key>${escapeXml(upload.key)}</Key>` +
      `<ETag>${escapeXml(etag)}</ETag></CompleteMultipartUploadResult>`,
    { etag, "x-oss-hash-crc64ecma": crc64(bytes) },
  );
}

/** Routes `/<bucket>/<key>`; undefined when the path is not under the bucket. */
export async function ossRoute(
  state: State,
  req: Request,
  url: URL,
): Promise<Response | undefined> {
  const bucket = state.config.bucket;
  if (!url.pathname.startsWith(`/${bucket}/`)) return undefined;
  const key = decodeURIComponent(url.pathname.slice(bucket.length + 2));
  if (key === "") return ossError(400, "InvalidObjectName", "The object key is empty");
  const q = url.searchParams;
  const method = req.method;
  if ((method === "GET" || method === "HEAD") && ![...q.keys()].some((k) => SUBRESOURCES.has(k))) {
    const bytes = state.objects.get(`oss:${bucket}/${key}`);
    if (!bytes) return ossError(404, "NoSuchKey", "The specified key does not exist");
    return new Response(method === "HEAD" ? null : bytesBody(bytes), {
      headers: {
        "content-type": "application/zip",
        "content-length": String(bytes.length),
        etag: etagOf(bytes),
        "x-oss-hash-crc64ecma": crc64(bytes),
      },
    });
  }
  const denied = checkAuth(state, req, url, `/${bucket}/${key}`);
  if (denied) return denied;
  const all = uploadsOf(state);
  if (method === "POST" && q.has("uploads")) {
    const id = randomId(16).toUpperCase();
    all.set(id, { key, parts: new Map() });
    return xml(
      `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${escapeXml(key)}</Key>` +
        `<UploadId>${id}</UploadId></InitiateMultipartUploadResult>`,
    );
  }
  const uploadId = q.get("uploadId");
  const upload = uploadId === null ? undefined : all.get(uploadId);
  if (uploadId !== null && (!upload || upload.key !== key)) {
    return ossError(404, "NoSuchUpload", "The specified upload does not exist");
  }
  if (method === "PUT" && upload) {
    const number = Number(q.get("partNumber"));
    if (!Number.isInteger(number) || number < 1 || number > 10000) {
      return ossError(400, "InvalidArgument", "partNumber must be an integer from 1 to 10000");
    }
    const bytes = await readBody(req);
    if (bytes instanceof Response) return bytes;
    const etag = etagOf(bytes);
    upload.parts.set(number, { bytes, etag });
    return new Response(null, { headers: { etag, "x-oss-hash-crc64ecma": crc64(bytes) } });
  }
  if (method === "POST" && upload) {
    const response = complete(state, bucket, upload, await req.text());
    if (response.status === 200) all.delete(uploadId!);
    return response;
  }
  if (method === "DELETE" && upload) {
    all.delete(uploadId!);
    return new Response(null, { status: 204 });
  }
  if (method === "PUT" && uploadId === null) {
    const bytes = await readBody(req);
    if (bytes instanceof Response) return bytes;
    state.objects.set(`oss:${bucket}/${key}`, bytes);
    return new Response(null, {
      headers: { etag: etagOf(bytes), "x-oss-hash-crc64ecma": crc64(bytes) },
    });
  }
  return ossError(405, "MethodNotAllowed", `${method} with this query is not supported here`);
}
