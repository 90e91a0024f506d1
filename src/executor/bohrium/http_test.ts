import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { ConnectionError } from "../../errors.ts";
import { backoff, HttpError, redact, send } from "./http.ts";

const fast = { backoffMs: 1, maxBackoffMs: 2 };

function serve(handler: (req: Request) => Response | Promise<Response>) {
  const server = Deno.serve({ port: 0, hostname: "127.0.0.1", onListen() {} }, handler);
  return { url: `http://127.0.0.1:${server.addr.port}`, close: () => server.shutdown() };
}

Deno.test("a burst of 5xx is retried with backoff until the call succeeds", async () => {
  let n = 0;
  const s = serve(() => ++n <= 3 ? new Response("busy", { status: 503 }) : Response.json({ n }));
  const retried: string[] = [];
  const r = await send({ what: "Cannot ping", method: "GET", url: new URL(`${s.url}/x`) }, "json", {
    ...fast,
    onRetry: (m) => retried.push(m),
  });
  assert.deepEqual(r.value, { n: 4 });
  assert.equal(retried.length, 3);
  assert.match(retried[0], /GET \/x on "127\.0\.0\.1:\d+" answered HTTP 503: busy \(try 1 of 5/);
  await s.close();
});

Deno.test("a call that may not be repeated is tried once; the error carries method, path, status, body", async () => {
  let n = 0;
  const s = serve(() => (n++, new Response("oops secret-pw here", { status: 502 })));
  const url = new URL(`${s.url}/brm/v2/job/add?accessKey=ak-123`);
  const e = await send({ what: "Cannot add", method: "POST", url, retry: false }, "json", {
    ...fast,
    secrets: () => ["secret-pw", "ak-123"],
  }).catch((e) => e);
  assert.equal(n, 1);
  assert.ok(e instanceof HttpError);
  assert.equal(e.method, "POST");
  assert.equal(e.path, "/brm/v2/job/add");
  assert.equal(e.status, 502);
  assert.equal(e.body, "oops *** here");
  assert.ok(!e.message.includes("ak-123") && !e.message.includes("secret-pw"), e.message);
  await s.close();
});

Deno.test("a 4xx is not retried", async () => {
  let n = 0;
  const s = serve(() => (n++, new Response("no", { status: 404 })));
  const e = await send(
    { what: "Cannot get", method: "GET", url: new URL(`${s.url}/a`) },
    "text",
    fast,
  )
    .catch((e) => e);
  assert.equal(n, 1);
  assert.equal((e as HttpError).status, 404);
  await s.close();
});

Deno.test("an unreachable host is a retryable ConnectionError after every try, its query hidden", async () => {
  const s = serve(() => new Response());
  const url = new URL(`${s.url}/x?accessKey=ak-999`);
  await s.close();
  const e = await send({ what: "Cannot ping", method: "GET", url }, "json", {
    ...fast,
    tries: 2,
    secrets: () => ["ak-999"],
  }).catch((e) => e);
  assert.ok(e instanceof ConnectionError, String(e));
  assert.equal(e.retryable, true);
  assert.match(e.message, /^Cannot ping: GET \/x on "127\.0\.0\.1:\d+" failed: /);
  assert.ok(!e.message.includes("ak-999"));
});

Deno.test("a call that stalls past its timeout fails", async () => {
  const s = serve(() =>
    new Promise<Response>((r) => setTimeout(() => r(new Response("late")), 2000))
  );
  const e = await send({ what: "Cannot ping", method: "GET", url: new URL(s.url) }, "text", {
    timeoutMs: 100,
    tries: 1,
  }).catch((e) => e);
  assert.ok(e instanceof ConnectionError);
  assert.match(e.message, /no answer in 100 ms/);
  await s.close();
});

Deno.test("a download is written whole under its name, or not at all", async () => {
  const dir = await Deno.makeTempDir();
  let fail = true;
  const s = serve(() => fail ? new Response("gone", { status: 500 }) : new Response("zipbytes"));
  const file = `${dir}/r.zip`;
  const call = { what: "Cannot download", method: "GET", url: new URL(s.url) };
  await assert.rejects(send(call, { file }, { ...fast, tries: 2 }), HttpError);
  assert.equal(existsSync(file) || existsSync(`${file}.part`), false);
  fail = false;
  await send(call, { file }, fast);
  assert.equal(await Deno.readTextFile(file), "zipbytes");
  await s.close();
  await Deno.remove(dir, { recursive: true });
});

Deno.test("backoff doubles up to its cap; redact hides every secret", () => {
  const b = (n: number) => backoff(n, { backoffMs: 100, maxBackoffMs: 400, random: () => 1 });
  assert.deepEqual([1, 2, 3, 4].map(b), [100, 200, 400, 400]);
  assert.equal(redact("a pw1 b pw1 tok", ["pw1", "tok", undefined, ""]), "a *** b *** ***");
});
