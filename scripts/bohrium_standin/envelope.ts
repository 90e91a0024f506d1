// The response envelopes of the Bohrium APIs (BOHRIUM.md §1.3, §1.6), the job status codes
// (§3.3), the OSS XML error body, and small helpers to read request bodies.

/** RETCODE of `utils/dpcloudserver/retcode.py` (BOHRIUM.md §1.6). */
export const RETCODE = {
  OK: "0000",
  DBERR: "2000",
  THIRDERR: "2001",
  DATAERR: "2002",
  IOERR: "2003",
  TOKENINVALID: "2100",
  PARAMERR: "2101",
  USERERR: "2102",
  ROLEERR: "2103",
  PWDERR: "2104",
  VERIFYERR: "2105",
  REQERR: "2200",
  NODATA: "2300",
  UNDERDEBUG: "2301",
  UNKOWNERR: "2400",
} as const;

/** Job status codes (lbg names, BOHRIUM.md §3.3). */
export const STATUS = {
  FAILED: -1,
  PENDING: 0,
  RUNNING: 1,
  FINISHED: 2,
  SCHEDULING: 3,
  STOPPING: 4,
  STOPPED: 5,
  TERMINATING: 6,
  KILLING: 7,
  UPLOADING: 8,
  WAIT: 9,
} as const;

/** Whether a status is final (the job will not change any more). */
export function isFinal(status: number): boolean {
  return status === STATUS.FAILED || status === STATUS.FINISHED || status === STATUS.STOPPED;
}

/** A JSON response. */
export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json", ...headers },
  });
}

/** A success envelope: `{"code": 0, "data": ...}` (login uses code `"0000"`). */
export function ok(data: unknown, code: "0000" | 0 = 0): Response {
  return json({ code, data });
}

/**
 * An error envelope. The client reads `message` on a 2xx and only `error` otherwise, so both
 * are sent; `error` has the `{"msg": ...}` shape dflow reads.
 */
export function fail(code: string, message: string, status = 200): Response {
  return json({ code, message, error: { msg: message } }, status);
}

/** 404 for a path no route serves, in the same envelope. */
export function notFound(method: string, path: string): Response {
  return fail(RETCODE.REQERR, `No route for ${method} ${path}`, 404);
}

/** An OSS error body (`<Error><Code>…`), as Aliyun OSS answers. */
export function ossError(status: number, code: string, message: string): Response {
  const id = crypto.randomUUID().replaceAll("-", "").slice(0, 24).toUpperCase();
  const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error>\n  <Code>${code}</Code>\n` +
    `  <Message>${escapeXml(message)}</Message>\n  <RequestId>${id}</RequestId>\n` +
    `  <HostId>standin</HostId>\n</Error>\n`;
  return new Response(body, {
    status,
    headers: { "content-type": "application/xml", "x-oss-request-id": id },
  });
}

/** An XML success response. */
export function xml(body: string, headers: Record<string, string> = {}): Response {
  return new Response(`<?xml version="1.0" encoding="UTF-8"?>\n${body}\n`, {
    status: 200,
    headers: { "content-type": "application/xml", ...headers },
  });
}

/** Escapes text for an XML element. */
export function escapeXml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}

/** A plain object, or undefined when the value is not one. */
export function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === "object" && value !== null && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;
}

/** Reads a JSON object body; a string saying what is wrong when it is not one. */
export async function readJsonObject(req: Request): Promise<Record<string, unknown> | string> {
  const text = await req.text();
  if (text.trim() === "") return "The request body is empty, expected a JSON object";
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return "The request body is not valid JSON";
  }
  return asRecord(value) ?? "The request body is not a JSON object";
}

/** Formats a time the way the platform's detail does (`YYYY-MM-DD HH:MM:SS`, UTC). */
export function formatTime(ms: number | undefined): string {
  if (ms === undefined) return "";
  return new Date(ms).toISOString().slice(0, 19).replace("T", " ");
}

/** Bytes as a response body (every buffer here is a plain ArrayBuffer). */
export function bytesBody(bytes: Uint8Array): BodyInit {
  return bytes as Uint8Array<ArrayBuffer>;
}
