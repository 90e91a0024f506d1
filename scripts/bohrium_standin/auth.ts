// Authentication of the three APIs: the legacy `Authorization: jwt <token>` or `Brm-Ticket`
// (BOHRIUM.md §1.3, §1.5), the OpenAPI access key (§4.1) and the Tiefblue bearer token (§4.3).
// Messages never contain the credential itself.
import { fail, RETCODE } from "./envelope.ts";
import { checkToken, type State, type TokenRecord } from "./state.ts";

/** Why a legacy request is not authenticated, answered as the `tokenRejection` rule says. */
export function rejectToken(state: State, message: string): Response {
  const status = state.rules.tokenRejection === "401" ? 401 : 200;
  return fail(RETCODE.TOKENINVALID, message, status);
}

/** Checks `Authorization: jwt <token>` or `Brm-Ticket`; a Response when neither is valid. */
export function legacyAuth(state: State, req: Request): Response | undefined {
  const ticket = req.headers.get("brm-ticket") ?? "";
  if (ticket !== "" && state.config.tickets.includes(ticket)) return undefined;
  const header = req.headers.get("authorization") ?? "";
  const match = /^jwt (.*)$/.exec(header);
  const token = match?.[1].trim() ?? "";
  if (token === "") {
    if (ticket !== "") return rejectToken(state, "The Brm-Ticket is not valid");
    return rejectToken(state, 'The request has no "Authorization: jwt <token>" and no Brm-Ticket');
  }
  const checked = checkToken(state, token, "login");
  if (checked === "expired") return rejectToken(state, "The login token has expired");
  if (checked === "invalid") return rejectToken(state, "The login token is not valid");
  return undefined;
}

function bearer(req: Request): string {
  const m = /^Bearer (.*)$/i.exec(req.headers.get("authorization") ?? "");
  return m?.[1].trim() ?? "";
}

/** Checks the OpenAPI access key (query `accessKey` or `Authorization: Bearer`) and app key. */
export function openApiAuth(state: State, req: Request, url: URL): Response | undefined {
  const keys = [url.searchParams.get("accessKey") ?? "", bearer(req)].filter((k) => k !== "");
  if (keys.length === 0) {
    return rejectToken(state, 'The request has no "accessKey" query and no bearer access key');
  }
  if (!keys.some((key) => state.config.accessKeys.includes(key))) {
    return rejectToken(state, "The access key is not valid");
  }
  if (state.config.appKeys.length > 0) {
    const appKey = req.headers.get("x-app-key") ?? "";
    if (!state.config.appKeys.includes(appKey)) {
      return fail(RETCODE.ROLEERR, 'The "X-App-Key" header is missing or not valid', 403);
    }
  }
  return undefined;
}

/** Checks the Tiefblue bearer token from job create; its record, or the 401/403 answer. */
export function tiefblueAuth(state: State, req: Request): TokenRecord | Response {
  const token = bearer(req);
  if (token === "") {
    return fail(RETCODE.TOKENINVALID, 'The request has no "Authorization: Bearer <token>"', 401);
  }
  const checked = checkToken(state, token, "tiefblue");
  if (checked === "expired") {
    return fail(RETCODE.TOKENINVALID, "The storage token has expired", 401);
  }
  if (checked === "invalid") {
    return fail(RETCODE.TOKENINVALID, "The storage token is not valid", 401);
  }
  return checked;
}
