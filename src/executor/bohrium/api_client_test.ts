import assert from "node:assert/strict";
import { ApiClient } from "./api_client.ts";
import { HttpError } from "./http.ts";

Deno.test("an expired token logs in afresh once and the retry carries the new token", async () => {
  const token = "t1";
  let rejectAll = false;
  const seen: string[] = [];
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    const auth = req.headers.get("authorization") ?? "";
    seen.push(auth);
    if (rejectAll || auth !== `jwt ${token}`) {
      return Response.json({ code: "2100", message: "token invalid" });
    }
    return Response.json({ code: 0, data: { ok: true } });
  });
  let current = "t0"; // stale
  let logins = 0;
  const api = new ApiClient(`http://127.0.0.1:${server.addr.port}/`, {
    headers: () => Promise.resolve({ Authorization: `jwt ${current}` }),
    renew: () => {
      logins++;
      current = token;
      return Promise.resolve();
    },
    secrets: () => [current],
  });
  assert.deepEqual(await api.call({ what: "Cannot read", method: "GET", path: "/a" }), {
    ok: true,
  });
  assert.deepEqual(seen, ["jwt t0", "jwt t1"]);
  assert.equal(logins, 1);
  rejectAll = true; // one renewal, then the error
  const e = await api.call({ what: "Cannot read", method: "GET", path: "/a" }).catch((e) => e);
  assert.ok(e instanceof HttpError);
  assert.equal(e.code, "2100");
  assert.equal(logins, 2);
  assert.match(
    e.message,
    /^Cannot read: GET \/a on "[^"]+" answered HTTP 200 with code "2100": token invalid$/,
  );
  await server.shutdown();
});

Deno.test("without renewal (a ticket) an error code fails at once; data null and absent are kept", async () => {
  let n = 0;
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, (req) => {
    n++;
    const p = new URL(req.url).pathname;
    if (p === "/null") return Response.json({ code: "0000", data: null });
    if (p === "/none") return Response.json({ code: 0 });
    return Response.json({ code: "2101", message: "bad param" });
  });
  const api = new ApiClient(`http://127.0.0.1:${server.addr.port}/`, {
    headers: () => Promise.resolve({ "Brm-Ticket": "tk" }),
    secrets: () => ["tk"],
  });
  assert.equal(await api.call({ what: "x", method: "GET", path: "/null" }), null);
  assert.deepEqual(await api.call({ what: "x", method: "GET", path: "/none" }), {});
  await assert.rejects(
    api.call({ what: "x", method: "POST", path: "/bad", json: {} }),
    /code "2101": bad param/,
  );
  assert.equal(n, 3);
  await server.shutdown();
});
