// The admin API (not part of Bohrium; never subject to injections): `GET /__admin/jobs`,
// `GET /__admin/requests`, `GET /__admin/inject` and `POST /__admin/inject` with an
// `Injection` JSON body (400 with `{"error": "..."}` when the body is not a valid one).
import { json } from "./envelope.ts";
import { applyInjection, describeRules, type InjectionHooks } from "./inject.ts";
import { expireTokens, type State, summarize } from "./state.ts";

/** What `Standin.inject` and `POST /__admin/inject` do: add rules, answer the active ones. */
export function inject(state: State, body: unknown): Record<string, unknown> {
  const hooks: InjectionHooks = {
    expireTokens: () => expireTokens(state),
    expireSts: () => {
      const now = state.config.now();
      for (const record of state.sts.values()) record.expiresAt = Math.min(record.expiresAt, now);
    },
    setTokenLifetime: (ms) => state.config.tokenLifetimeMs = ms,
  };
  applyInjection(state.rules, body, hooks);
  return describeRules(state.rules);
}

/** Routes `/__admin/...`. */
export async function adminRoute(state: State, req: Request, url: URL): Promise<Response> {
  const route = `${req.method} ${url.pathname}`;
  switch (route) {
    case "GET /__admin/jobs":
      return json({ jobs: [...state.jobs.values()].map(summarize) });
    case "GET /__admin/requests":
      return json({ requests: state.requests });
    case "GET /__admin/inject":
      return json({ injections: describeRules(state.rules) });
    case "POST /__admin/inject": {
      let body: unknown;
      try {
        body = JSON.parse(await req.text());
      } catch {
        return json({ error: "The injection body is not valid JSON" }, 400);
      }
      try {
        return json({ injections: inject(state, body) });
      } catch (error) {
        return json({ error: (error as Error).message }, 400);
      }
    }
    default:
      return json({ error: `No admin route ${route}` }, 404);
  }
}
