/**
 * Calls of a Bohrium API and their JSON envelope `{ code, message | error, data }`: success is
 * code `"0000"` or `0` (or no code at all, as the OpenAPI SDK reads it). A rejected credential
 * (HTTP 401 or 403, or any other code on a 2xx, as dpdispatcher treats it) logs in afresh once
 * and the retry carries the new token: dpdispatcher retried with the stale header.
 *
 * @module
 */

import { HttpError, type HttpOptions, redact, send } from "./http.ts";

/** How calls authenticate. */
export interface Auth {
  /** Headers of the next call (logs in first when needed). */
  headers(): Promise<Record<string, string>>;
  /** Query parameters of every call. @default none */
  query?(): Record<string, string>;
  /**
   * Logs in afresh after the server rejected these headers (nothing to do when another call
   * renewed them meanwhile); absent when nothing can be renewed (a ticket, a key).
   */
  renew?(rejected: Readonly<Record<string, string>>): Promise<void>;
  /** The values never to show (password, ticket, key, token). */
  secrets(): readonly (string | undefined)[];
}

/** One API call. */
export interface ApiCall {
  /** What failed, in words: `Cannot submit job "dpd-x" to Bohrium`. */
  readonly what: string;
  /** `GET` or `POST`. */
  readonly method: "GET" | "POST";
  /** The path, joined onto the base URL (a leading `/` replaces the base's path, as `urljoin`). */
  readonly path: string;
  /** Query parameters. */
  readonly query?: Readonly<Record<string, string | number>>;
  /** A JSON body. */
  readonly json?: unknown;
  /** Whether a failed try may be repeated. @default true */
  readonly retry?: boolean;
}

const ok = (code: unknown) => code === undefined || code === 0 || code === "0000" || code === "0";

/** The API's code and message of a failed envelope, as words. */
function envelopeWords(body: Record<string, unknown>): string {
  const why = body.message ?? body.error;
  return typeof why === "string" ? why : JSON.stringify(why ?? null);
}

/**
 * A Bohrium API at one base URL: `call()` sends, checks the envelope and returns `data` (`{}`
 * when absent).
 *
 * @example
 * ```ts
 * import { ApiClient } from "./api_client.ts";
 *
 * const server = Deno.serve({ port: 0, onListen() {} }, () => Response.json({ code: "0000", data: { jobId: 1 } }));
 * const api = new ApiClient(`http://127.0.0.1:${server.addr.port}/`, { headers: async () => ({}), secrets: () => [] });
 * console.log(await api.call({ what: "Cannot add", method: "POST", path: "/brm/v2/job/add", json: {} })); // { jobId: 1 }
 * await server.shutdown();
 * ```
 */
export class ApiClient {
  /** The base URL. */
  readonly base: URL;
  readonly #auth: Auth;
  readonly #http: HttpOptions;

  /** A client of the API at `base`. */
  constructor(base: string | URL, auth: Auth, http: HttpOptions = {}) {
    this.base = new URL(base);
    this.#auth = auth;
    this.#http = { ...http, secrets: () => [...auth.secrets(), ...(http.secrets?.() ?? [])] };
  }

  /** The HTTP options every call uses (secrets included). */
  get http(): HttpOptions {
    return this.#http;
  }

  /** The URL of a path with the query (the auth's first). */
  url(path: string, query: Readonly<Record<string, string | number>> = {}): URL {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries({ ...this.#auth.query?.(), ...query })) {
      url.searchParams.set(k, String(v));
    }
    return url;
  }

  /** Sends a call; returns its `data`. */
  async call<T = Record<string, unknown>>(call: ApiCall): Promise<T> {
    for (let renewed = false;; renewed = true) {
      const url = this.url(call.path, call.query);
      const started = Date.now();
      let body: Record<string, unknown>;
      let sent: Record<string, string> = {};
      try {
        const r = await send<unknown>(
          {
            what: call.what,
            method: call.method,
            url,
            retry: call.retry,
            headers: async () => {
              sent = await this.#auth.headers();
              const type: Record<string, string> = call.json === undefined
                ? {}
                : { "Content-Type": "application/json" };
              return { ...type, ...sent };
            },
            body: call.json === undefined ? undefined : () => JSON.stringify(call.json),
          },
          "json",
          this.#http,
        );
        body = (r.value ?? {}) as Record<string, unknown>;
      } catch (e) {
        const rejected = e instanceof HttpError && (e.status === 401 || e.status === 403);
        if (rejected && !renewed && this.#auth.renew) {
          await this.#auth.renew(sent);
          continue;
        }
        throw e;
      }
      if (ok(body.code)) return (body.data === undefined ? {} : body.data) as T;
      if (!renewed && this.#auth.renew) {
        await this.#auth.renew(sent);
        continue;
      }
      throw new HttpError(call.what, {
        method: call.method,
        path: url.pathname,
        host: url.host,
        status: 200,
        code: String(body.code),
        body: redact(envelopeWords(body), this.#http.secrets?.() ?? []),
        durationMs: Date.now() - started,
      });
    }
  }
}
