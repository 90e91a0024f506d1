// The Bohrium stand-in: one HTTP origin serving the legacy API, OSS, OpenAPI, Tiefblue, the
// signed log and result URLs and the admin API, running each added job as a local process.
import { mkdir, rm } from "node:fs/promises";
import { adminRoute, inject } from "./admin.ts";
import { notFound } from "./envelope.ts";
import { filesRoute } from "./files.ts";
import { listen, RESET } from "./http.ts";
import { consume } from "./inject.ts";
import { legacyRoute } from "./legacy.ts";
import { openApiRoute } from "./openapi.ts";
import { ossRoute } from "./oss.ts";
import { stopAll } from "./runner.ts";
import { createState, resolveConfig, type State, summarize } from "./state.ts";
import { tiefblueRoute } from "./tiefblue.ts";
import type { Standin, StandinOptions } from "./types.ts";

export type * from "./types.ts";

const SECRET_QUERY = /^(accesskey|sig|signature|ossaccesskeyid|security-token|token|ticket)$/i;

/** The path and query of `url` with secret query values replaced by `***`. */
export function redactedTarget(url: URL): string {
  const parts = [...url.searchParams.entries()].map(([k, v]) =>
    `${k}=${SECRET_QUERY.test(k) ? "***" : v}`
  );
  return url.pathname + (parts.length > 0 ? `?${parts.join("&")}` : "");
}

function gatewayError(status: number, asJson: boolean): Response {
  if (asJson) {
    const message = `Injected ${status}`;
    return new Response(JSON.stringify({ code: "2400", message, error: { msg: message } }), {
      status,
      headers: { "content-type": "application/json" },
    });
  }
  return new Response(`<html><body><h1>${status} Bad Gateway</h1></body></html>\n`, {
    status,
    headers: { "content-type": "text/html" },
  });
}

async function route(state: State, req: Request, url: URL): Promise<Response> {
  return await legacyRoute(state, req, url) ?? await openApiRoute(state, req, url) ??
    await tiefblueRoute(state, req, url) ?? await filesRoute(state, req, url) ??
    await ossRoute(state, req, url) ?? notFound(req.method, url.pathname);
}

function handler(state: State) {
  return async (req: Request): Promise<Response | typeof RESET> => {
    const url = new URL(req.url);
    if (url.pathname.startsWith("/__admin/")) return await adminRoute(state, req, url);
    const record = { method: req.method, path: url.pathname, status: 0 };
    state.requests.push(record);
    const log = (status: number | string) => {
      if (state.config.verbose) {
        state.config.log(`${req.method} ${redactedTarget(url)} -> ${status}`);
      }
    };
    const under = (rule: { path: string }) => url.pathname.startsWith(rule.path);
    if (consume(state.rules.resets, under)) {
      log("reset");
      return RESET;
    }
    const failure = consume(state.rules.fail5xx, under);
    if (failure) {
      record.status = failure.status;
      log(failure.status);
      return gatewayError(failure.status, failure.json);
    }
    const delay = state.rules.delays.find(under);
    if (delay) await new Promise((resolve) => setTimeout(resolve, delay.ms));
    const response = await route(state, req, url);
    record.status = response.status;
    log(response.status);
    return response;
  };
}

/**
 * Starts the stand-in on `127.0.0.1` (a free port unless `options.port`).
 *
 * @example
 * ```ts
 * const standin = await startStandin({ pendingMs: 0 });
 * const res = await fetch(`${standin.url}account/login`, {
 *   method: "POST",
 *   body: JSON.stringify({ email: "standin@example.com", password: "standin-password" }),
 * });
 * await standin.close();
 * ```
 */
export async function startStandin(options: StandinOptions = {}): Promise<Standin> {
  const config = resolveConfig(options);
  const root = options.workDir ?? await Deno.makeTempDir({ prefix: "bohrium-standin-" });
  await mkdir(root, { recursive: true });
  const state = createState(config, root);
  if (options.inject) inject(state, options.inject);
  const server = await listen(handler(state), config.hostname, config.port);
  const host = config.hostname === "0.0.0.0" ? "127.0.0.1" : config.hostname;
  state.origin = `http://${host}:${server.port}/`;
  let closing: Promise<void> | undefined;
  const close = () =>
    closing ??= (async () => {
      state.closed = true;
      for (const timer of state.timers) clearTimeout(timer);
      state.timers.clear();
      await stopAll(state);
      await server.close();
      if (!options.keepWorkDir) await rm(root, { recursive: true, force: true });
    })();
  return {
    url: state.origin,
    openApiUrl: state.origin,
    tiefblueUrl: state.origin,
    ossEndpoint: state.origin.slice(0, -1),
    ossBucketUrl: `${state.origin}${config.bucket}/`,
    port: server.port,
    jobs: () => [...state.jobs.values()].map(summarize),
    requests: () => state.requests.map((r) => ({ ...r })),
    inject: (body) => inject(state, body),
    close,
    [Symbol.asyncDispose]: close,
  };
}
