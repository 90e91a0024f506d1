/**
 * HTTP as every Bohrium call makes it: `fetch` (Deno and Node alike), a timeout on every call,
 * retries with exponential backoff and jitter on 5xx, 429 and transport errors (only where a
 * repeat is harmless), and errors that carry the method, the URL path (never its query, which may
 * hold an access key), the status and the body's tail, with every secret blanked out.
 *
 * @module
 */

import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { once } from "node:events";
import { CommandError, ConnectionError, tail } from "../../errors.ts";

/** How calls are made; every field has a default. */
export interface HttpOptions {
  /** Milliseconds until the response's headers (and, for JSON and text, its body). @default 30_000 */
  readonly timeoutMs?: number;
  /** Milliseconds a streamed body may stall before the call fails. @default 120_000 */
  readonly idleTimeoutMs?: number;
  /** Tries of a call that may be repeated, the first included. @default 5 */
  readonly tries?: number;
  /** The first backoff, doubled at each try (with jitter). @default 250 */
  readonly backoffMs?: number;
  /** The longest backoff. @default 8_000 */
  readonly maxBackoffMs?: number;
  /** Values blanked out of every error message and body tail (passwords, tokens, keys). */
  readonly secrets?: () => readonly (string | undefined)[];
  /** The randomness of the jitter, in [0, 1). @default Math.random */
  readonly random?: () => number;
  /** Waits between tries. @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** Receives one line per retried failure. */
  readonly onRetry?: (message: string) => void;
}

/** One call. */
export interface HttpCall {
  /** What failed, for the error's first words: `Cannot submit job "dpd-x" to Bohrium`. */
  readonly what: string;
  /** `GET`, `POST`, `PUT`. */
  readonly method: string;
  /** The absolute URL. */
  readonly url: URL;
  /** The headers, asked again at each try (a renewed token goes with the retry). */
  readonly headers?: () => Record<string, string> | Promise<Record<string, string>>;
  /** The body, made again at each try (a stream is read once). */
  readonly body?: () => BodyInit | undefined;
  /** Whether a failed try may be repeated: false where a repeat could do the work twice. @default true */
  readonly retry?: boolean;
  /** Statuses that are answers, not failures (404 for "no such object"). @default none */
  readonly accept?: readonly number[];
}

/** What a call brought back. */
export interface HttpResult<T> {
  /** The HTTP status. */
  readonly status: number;
  /** The response headers. */
  readonly headers: Headers;
  /** The body, read as asked. */
  readonly value: T;
}

/**
 * A call answered with an HTTP status or an API code that means failure. It is a
 * {@linkcode CommandError} whose `argv` is `[method, path]`, `exitCode` the status and `stdout`
 * the body's tail.
 *
 * @example
 * ```ts
 * import { HttpError } from "./http.ts";
 *
 * const e = new HttpError("Cannot list jobs", { method: "GET", path: "/brm/v1/job/list", host: "h", status: 502, body: "bad gateway", durationMs: 3 });
 * console.log(e.message); // 'Cannot list jobs: GET /brm/v1/job/list on "h" answered HTTP 502: bad gateway'
 * ```
 */
export class HttpError extends CommandError {
  /** The method. */
  readonly method: string;
  /** The URL's path, without its query. */
  readonly path: string;
  /** The HTTP status. */
  readonly status: number;
  /** The API's own code (`"2100"`), when the envelope held one. */
  readonly code?: string;
  /** The body's tail. */
  readonly body: string;

  /** Builds the error of one answered call. */
  constructor(
    what: string,
    info: {
      readonly method: string;
      readonly path: string;
      readonly host: string;
      readonly status: number;
      readonly code?: string;
      readonly body: string;
      readonly durationMs: number;
    },
    options?: ErrorOptions,
  ) {
    super(what, {
      argv: [info.method, info.path],
      host: info.host,
      exitCode: info.status,
      stdout: info.body,
      stderr: "",
      durationMs: info.durationMs,
    }, options);
    this.name = "HttpError";
    this.method = info.method;
    this.path = info.path;
    this.status = info.status;
    this.code = info.code;
    this.body = tail(info.body, 2000);
    const code = info.code === undefined ? "" : ` with code "${info.code}"`;
    const body = info.body.trim() ? `: ${tail(info.body.trim(), 300)}` : "";
    this.message =
      `${what}: ${info.method} ${info.path} on "${info.host}" answered HTTP ${info.status}${code}${body}`;
  }
}

/**
 * Replaces every secret in a text with `***`.
 *
 * @example
 * ```ts
 * import { redact } from "./http.ts";
 *
 * console.log(redact("token abc123 used", ["abc123", undefined])); // "token *** used"
 * ```
 */
export function redact(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const s of secrets) if (s && s.length >= 3) out = out.replaceAll(s, "***");
  return out;
}

/**
 * The wait before try `n + 1` (n >= 1): half of `base * 2^(n-1)` (capped) plus a random share
 * of the other half, so a burst of failing clients spreads out.
 *
 * @example
 * ```ts
 * import { backoff } from "./http.ts";
 *
 * console.log(backoff(1, { backoffMs: 100, random: () => 0 }), backoff(3, { backoffMs: 100, random: () => 0.5 })); // 50 300
 * ```
 */
export function backoff(n: number, options: HttpOptions = {}): number {
  const full = Math.min((options.backoffMs ?? 250) * 2 ** (n - 1), options.maxBackoffMs ?? 8_000);
  return full / 2 + (options.random ?? Math.random)() * (full / 2);
}

const defaultSleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const retryable = (status: number) => status >= 500 || status === 429 || status === 408;

/** Reads a response's body as JSON, text, bytes dropped, or streamed into a file. */
export type Read = "json" | "text" | "none" | { readonly file: string };

/**
 * Makes one call: tries it (again after a backoff on 5xx, 429 and transport errors when
 * `retry`), reads the body as asked, and throws {@linkcode HttpError} for a failing status or a
 * `ConnectionError` when the host could not be reached. A file is written under a temporary
 * name and renamed once complete: a failed download leaves nothing behind.
 *
 * @example
 * ```ts
 * import { send } from "./http.ts";
 *
 * const server = Deno.serve({ port: 0, onListen() {} }, () => Response.json({ ok: 1 }));
 * const r = await send({ what: "Cannot ping", method: "GET", url: new URL(`http://127.0.0.1:${server.addr.port}/`) }, "json");
 * console.log(r.value); // { ok: 1 }
 * await server.shutdown();
 * ```
 */
export async function send<T = unknown>(
  call: HttpCall,
  read: Read,
  options: HttpOptions = {},
): Promise<HttpResult<T>> {
  const tries = call.retry === false ? 1 : Math.max(1, options.tries ?? 5);
  const secrets = () => options.secrets?.() ?? [];
  const host = call.url.host;
  for (let n = 1;; n++) {
    const started = Date.now();
    let failure: Error;
    try {
      return await once1<T>(call, read, options);
    } catch (e) {
      if (e instanceof HttpError) {
        if (!retryable(e.status) || n >= tries) throw e;
        failure = e;
      } else {
        const why = redact(e instanceof Error ? e.message : String(e), secrets());
        const error = new ConnectionError(
          `${call.what}: ${call.method} ${call.url.pathname} on "${host}" failed: ${why}`,
          call.url.hostname,
          Number(call.url.port) || (call.url.protocol === "https:" ? 443 : 80),
          true,
          { cause: new Error(why) },
        );
        if (n >= tries) throw error;
        failure = error;
      }
    }
    const wait = backoff(n, options);
    options.onRetry?.(
      `${failure.message} (try ${n} of ${tries}, again in ${Math.round(wait)} ms, after ${
        Date.now() - started
      } ms)`,
    );
    await (options.sleep ?? defaultSleep)(wait);
  }
}

async function once1<T>(call: HttpCall, read: Read, options: HttpOptions): Promise<HttpResult<T>> {
  const controller = new AbortController();
  const timeoutMs = options.timeoutMs ?? 30_000;
  let timer = setTimeout(
    () => controller.abort(new Error(`no answer in ${timeoutMs} ms`)),
    timeoutMs,
  );
  const started = Date.now();
  const secrets = options.secrets?.() ?? [];
  try {
    const headers = await call.headers?.() ?? {};
    const body = call.body?.();
    const init: RequestInit & { duplex?: "half" } = {
      method: call.method,
      headers,
      body,
      signal: controller.signal,
    };
    if (body instanceof ReadableStream) init.duplex = "half";
    const response = await fetch(call.url, init);
    const accepted = call.accept?.includes(response.status) ?? false;
    if (!response.ok && !accepted) {
      const text = redact(await response.text().catch(() => ""), secrets);
      throw new HttpError(call.what, {
        method: call.method,
        path: call.url.pathname,
        host: call.url.host,
        status: response.status,
        body: text,
        durationMs: Date.now() - started,
      });
    }
    let value: unknown;
    if (read === "json" || read === "text") {
      const text = await response.text();
      if (read === "text") value = text;
      else {
        try {
          value = JSON.parse(text);
        } catch {
          throw new HttpError(`${call.what} (the answer is not JSON)`, {
            method: call.method,
            path: call.url.pathname,
            host: call.url.host,
            status: response.status,
            body: redact(text, secrets),
            durationMs: Date.now() - started,
          });
        }
      }
    } else if (read === "none") {
      await response.body?.cancel();
    } else {
      // A stalled stream fails after the idle time; each chunk re-arms the timer.
      const idle = options.idleTimeoutMs ?? 120_000;
      const rearm = () => {
        clearTimeout(timer);
        timer = setTimeout(() => controller.abort(new Error(`stalled for ${idle} ms`)), idle);
      };
      rearm();
      await streamToFile(response, read.file, rearm);
    }
    return { status: response.status, headers: response.headers, value: value as T };
  } finally {
    clearTimeout(timer);
  }
}

async function streamToFile(response: Response, file: string, onChunk: () => void): Promise<void> {
  const part = `${file}.part`;
  const out = createWriteStream(part);
  try {
    if (response.body) {
      for await (const chunk of response.body) {
        onChunk();
        if (!out.write(chunk)) await once(out, "drain");
      }
    }
    out.end();
    await once(out, "close");
    await rename(part, file);
  } catch (e) {
    out.destroy();
    await rm(part, { force: true });
    throw e;
  }
}
