/**
 * Uploads to Tiefblue, the storage of Bohrium's OpenAPI, as bohrium-sdk does: one
 * `POST /api/upload/binary` below 100 MiB, else a multipart upload of 50 MiB parts
 * (`init`, `upload` per part, `complete`). Every request carries the job's storage token as
 * `Bearer`; bodies stream from the file, so an archive of any size never sits in memory.
 *
 * @module
 */

import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { Readable } from "node:stream";
import { Buffer } from "node:buffer";
import { posix } from "node:path";
import { type HttpOptions, send } from "./http.ts";

/** Parts of a multipart upload, and the size from which one is used. */
export const TIEFBLUE_PART = 50 * 1024 * 1024;

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString("base64");

function fileStream(file: string, start?: number, end?: number): ReadableStream<Uint8Array> {
  return Readable.toWeb(createReadStream(file, { start, end })) as ReadableStream<Uint8Array>;
}

/**
 * Uploads a file to `path` in Tiefblue with a job's storage token; returns the parts sent.
 *
 * @example
 * ```ts ignore
 * import { uploadToTiefblue } from "./tiefblue.ts";
 *
 * await uploadToTiefblue("job.zip", "store/1/job.zip", { base: "http://127.0.0.1:9000", token: "t" });
 * ```
 */
export async function uploadToTiefblue(
  file: string,
  path: string,
  where: { readonly base: string; readonly token: string; readonly partSize?: number },
  http: HttpOptions = {},
): Promise<number> {
  const size = (await stat(file)).size;
  const part = where.partSize ?? TIEFBLUE_PART;
  const options = { ...http, secrets: () => [where.token, ...(http.secrets?.() ?? [])] };
  const what = `Cannot upload "${path}" to Tiefblue`;
  const url = (p: string) => {
    const u = new URL(p, where.base);
    u.searchParams.set("accessKey", "");
    return u;
  };
  const headers = (extra: Record<string, string> = {}) => () => ({
    Authorization: `Bearer ${where.token}`,
    "Content-Type": "application/json",
    ...extra,
  });
  const option = { contentDisposition: `attachment; filename="${posix.basename(path)}"` };
  if (size < 2 * part) {
    await send(
      {
        what,
        method: "POST",
        url: url("/api/upload/binary"),
        headers: headers({ "X-Storage-Param": b64({ path, option }) }),
        body: () => fileStream(file),
      },
      "none",
      options,
    );
    return 1;
  }
  const init = await send<{ data?: { initialKey?: string } }>(
    {
      what,
      method: "POST",
      url: url("/api/upload/multipart/init"),
      headers: headers(),
      body: () => JSON.stringify({ path, option }),
    },
    "json",
    options,
  );
  const initialKey = init.value?.data?.initialKey;
  if (!initialKey) throw new TypeError(`${what}: the init answer holds no data.initialKey`);
  const parts = Math.ceil(size / part);
  if (parts > 10_000) throw new RangeError(`${what}: ${parts} parts exceed 10000`);
  const strings: string[] = [];
  for (let n = 1; n <= parts; n++) {
    const start = (n - 1) * part;
    const end = Math.min(size, start + part) - 1;
    const param = { initialKey, number: n, partSize: end - start + 1, objectKey: path };
    const r = await send<{ data?: { partString?: string } }>(
      {
        what: `${what} (part ${n} of ${parts})`,
        method: "POST",
        url: url("/api/upload/multipart/upload"),
        headers: headers({ "X-Storage-Param": b64(param) }),
        body: () => fileStream(file, start, end),
      },
      "json",
      options,
    );
    strings.push(r.value?.data?.partString ?? "");
  }
  await send(
    {
      what,
      method: "POST",
      url: url("/api/upload/multipart/complete"),
      headers: headers(),
      body: () => JSON.stringify({ path, initialKey, partString: strings }),
    },
    "none",
    options,
  );
  return parts;
}
