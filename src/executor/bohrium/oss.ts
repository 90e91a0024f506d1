/**
 * Uploads to Aliyun OSS as dpdispatcher's legacy client does (oss2 with STS credentials): a
 * multipart upload (initiate, one PUT per part of 1,024,000 bytes, complete), each request
 * signed with OSS's V1 scheme (HMAC-SHA1 on `node:crypto`) and carrying the STS security token.
 * Parts are read from the file one at a time, so an archive of any size never sits in memory.
 * An IP or `localhost` endpoint takes path-style URLs (`http://host/<bucket>/<key>`), as oss2
 * makes them; a domain takes the bucket as its first label.
 *
 * @module
 */

import { createHmac } from "node:crypto";
import { open, stat } from "node:fs/promises";
import { isIP } from "node:net";
import { type HttpOptions, send } from "./http.ts";

/** Temporary credentials from `GET /data/get_sts_token`. */
export interface StsCredentials {
  /** `AccessKeyId`. */
  readonly accessKeyId: string;
  /** `AccessKeySecret`. */
  readonly accessKeySecret: string;
  /** `SecurityToken`. */
  readonly securityToken: string;
}

/** Where objects go. */
export interface OssBucket {
  /** The endpoint, e.g. `http://oss-cn-shenzhen.aliyuncs.com`. */
  readonly endpoint: string;
  /** The bucket, e.g. `dpcloudserver`. */
  readonly bucket: string;
}

/** The part size dpdispatcher prefers (oss2 `determine_part_size(total, 1000 * 1024)`). */
export const PART_SIZE = 1000 * 1024;
/** OSS's most parts per upload. */
const MAX_PARTS = 10_000;

/**
 * The URL of an object: path-style for an IP or `localhost` endpoint, virtual-host style otherwise.
 *
 * @example
 * ```ts
 * import { objectUrl } from "./oss.ts";
 *
 * console.log(objectUrl({ endpoint: "http://127.0.0.1:9000", bucket: "b" }, "p/1/x.zip").href); // "http://127.0.0.1:9000/b/p/1/x.zip"
 * console.log(objectUrl({ endpoint: "http://oss-cn-shenzhen.aliyuncs.com", bucket: "b" }, "x.zip").href); // "http://b.oss-cn-shenzhen.aliyuncs.com/x.zip"
 * ```
 */
export function objectUrl(where: OssBucket, key: string): URL {
  const endpoint = new URL(
    /^https?:\/\//.test(where.endpoint) ? where.endpoint : `http://${where.endpoint}`,
  );
  const path = key.split("/").map(encodeURIComponent).join("/");
  const host = endpoint.hostname.replace(/^\[|\]$/g, "");
  if (isIP(host) || host === "localhost") {
    return new URL(`${endpoint.origin}/${where.bucket}/${path}`);
  }
  return new URL(`${endpoint.protocol}//${where.bucket}.${endpoint.host}/${path}`);
}

/** What a V1 signature covers. */
export interface SignedRequest {
  /** `GET`, `PUT`, `POST`. */
  readonly method: string;
  /** The `Content-MD5` header, or "". */
  readonly contentMd5?: string;
  /** The `Content-Type` header, or "". */
  readonly contentType?: string;
  /** The `Date` header. */
  readonly date: string;
  /** Every `x-oss-*` header. */
  readonly ossHeaders: Readonly<Record<string, string>>;
  /** `/<bucket>/<key>` and the sub-resources (`?partNumber=1&uploadId=x`). */
  readonly resource: string;
}

/**
 * OSS's V1 signature: base64 of HMAC-SHA1 over the method, `Content-MD5`, `Content-Type`, `Date`,
 * the sorted lower-case `x-oss-*` headers and the canonical resource, one per line.
 *
 * @example
 * ```ts
 * import { signV1 } from "./oss.ts";
 *
 * const sig = signV1({ method: "PUT", date: "Thu, 01 Jan 1970 00:00:00 GMT", ossHeaders: {}, resource: "/b/k" }, "secret");
 * console.log(sig.length); // 28
 * ```
 */
export function signV1(r: SignedRequest, secret: string): string {
  const headers = Object.entries(r.ossHeaders)
    .map(([k, v]) => [k.toLowerCase(), v.trim()] as const)
    .sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0)
    .map(([k, v]) => `${k}:${v}\n`).join("");
  const text = [
    r.method,
    r.contentMd5 ?? "",
    r.contentType ?? "",
    r.date,
    `${headers}${r.resource}`,
  ]
    .join("\n");
  return createHmac("sha1", secret).update(text, "utf8").digest("base64");
}

function signedHeaders(
  creds: StsCredentials,
  method: string,
  resource: string,
  contentType?: string,
): Record<string, string> {
  const date = new Date().toUTCString();
  const ossHeaders = { "x-oss-security-token": creds.securityToken };
  const sig = signV1({ method, contentType, date, ossHeaders, resource }, creds.accessKeySecret);
  return {
    ...ossHeaders,
    Date: date,
    ...(contentType ? { "Content-Type": contentType } : {}),
    Authorization: `OSS ${creds.accessKeyId}:${sig}`,
  };
}

function xmlValue(xml: string, tag: string): string | undefined {
  return new RegExp(`<${tag}>([^<]*)</${tag}>`).exec(xml)?.[1];
}

/**
 * Uploads a file as one object by multipart upload; returns the parts sent.
 *
 * @example
 * ```ts ignore
 * import { uploadFile } from "./oss.ts";
 *
 * const creds = { accessKeyId: "id", accessKeySecret: "secret", securityToken: "token" };
 * await uploadFile("job.zip", "program/1/run/job.zip", { endpoint: "http://127.0.0.1:9000", bucket: "b" }, creds);
 * ```
 */
export async function uploadFile(
  file: string,
  key: string,
  where: OssBucket,
  creds: StsCredentials,
  http: HttpOptions = {},
): Promise<number> {
  const size = (await stat(file)).size;
  const partSize = Math.max(PART_SIZE, Math.ceil(size / MAX_PARTS));
  const url = objectUrl(where, key);
  const resource = `/${where.bucket}/${key}`;
  const what = `Cannot upload "${key}" to OSS`;
  const secrets = () => [creds.accessKeySecret, creds.securityToken, ...(http.secrets?.() ?? [])];
  const options = { ...http, secrets };
  const init = await send<string>(
    {
      what,
      method: "POST",
      url: new URL(`${url.href}?uploads`),
      headers: () => signedHeaders(creds, "POST", `${resource}?uploads`),
    },
    "text",
    options,
  );
  const uploadId = xmlValue(init.value, "UploadId");
  if (!uploadId) throw new TypeError(`${what}: the initiate answer holds no UploadId`);
  const etags: string[] = [];
  const fh = await open(file, "r");
  try {
    const parts = Math.max(1, Math.ceil(size / partSize));
    for (let n = 1; n <= parts; n++) {
      const length = Math.min(partSize, size - (n - 1) * partSize);
      const buffer = new Uint8Array(length);
      await fh.read(buffer, 0, length, (n - 1) * partSize);
      const sub = `?partNumber=${n}&uploadId=${encodeURIComponent(uploadId)}`;
      const put = await send(
        {
          what: `${what} (part ${n} of ${parts})`,
          method: "PUT",
          url: new URL(`${url.href}${sub}`),
          headers: () =>
            signedHeaders(creds, "PUT", `${resource}?partNumber=${n}&uploadId=${uploadId}`),
          body: () => buffer,
        },
        "none",
        options,
      );
      etags.push(put.headers.get("etag") ?? "");
    }
  } finally {
    await fh.close();
  }
  const xml = `<CompleteMultipartUpload>${
    etags.map((e, i) => `<Part><PartNumber>${i + 1}</PartNumber><ETag>${e}</ETag></Part>`).join("")
  }</CompleteMultipartUpload>`;
  await send(
    {
      what,
      method: "POST",
      url: new URL(`${url.href}?uploadId=${encodeURIComponent(uploadId)}`),
      headers: () =>
        signedHeaders(creds, "POST", `${resource}?uploadId=${uploadId}`, "application/xml"),
      body: () => xml,
    },
    "none",
    options,
  );
  return etags.length;
}
