// The Bohrium stand-in (scripts/bohrium_standin.ts) driven over real HTTP with fetch: legacy
// login, ticket and token expiry, OSS multipart upload with STS, jobs run as real processes with
// their result zips, kill, log ranges, failure injections and admin (OpenAPI, Tiefblue and the
// command line: bohrium_standin_openapi_test.ts).
import assert from "node:assert/strict";
import { unzipSync } from "fflate";
import {
  call,
  detail,
  EMAIL,
  type Json,
  login,
  openApi,
  ossUpload,
  PASSWORD,
  submit,
} from "../scripts/bohrium_standin/drive.ts";
import { type Standin, type StandinOptions, startStandin } from "../scripts/bohrium_standin.ts";
import { waitFor } from "./_helpers.ts";

const str = (b: Uint8Array) => new TextDecoder().decode(b);

function start(options: StandinOptions = {}): Promise<Standin> {
  return startStandin({ pendingMs: 0, schedulingMs: 0, ...options });
}

async function until(s: Standin, token: string, id: number, statuses: number[]): Promise<Json> {
  let last: Json = {};
  await waitFor(
    async () => statuses.includes((last = (await detail(s, token, id)).data).status),
    10_000,
    `job ${id} in ${statuses}`,
  );
  return last;
}

Deno.test("login takes the e-mail or the phone in the email field and refuses bad credentials", async () => {
  await using s = await start();
  assert((await login(s)).split(".").length === 3);
  assert(await login(s, "13800000000"));
  const wrong = await call(s, "/account/login", { body: { email: EMAIL, password: "nope" } });
  assert.deepEqual([wrong.status, wrong.json.code], [200, "2104"]);
  assert.deepEqual(
    (await call(s, "/account/login", { body: { email: "x@y", password: "p" } })).json.code,
    "2102",
  );
  assert.deepEqual(
    (await call(s, "/account/login", { body: { username: EMAIL, password: PASSWORD } })).json.code,
    "2101",
  );
  const anon = await call(s, "/data/get_sts_token");
  assert.deepEqual([anon.status, anon.json.code], [200, "2100"]);
  assert.deepEqual((await call(s, "/data/get_sts_token", { token: "forged" })).json.code, "2100");
});

Deno.test("ticket mode: Brm-Ticket with an empty jwt header is accepted, a wrong ticket is not", async () => {
  await using s = await start({ tickets: ["t-1"] });
  const ok = await call(s, "/data/get_sts_token", { ticket: "t-1" });
  assert.deepEqual(ok.json.code, 0);
  assert.match(ok.json.data.AccessKeyId, /^STS\./);
  assert.deepEqual((await call(s, "/data/get_sts_token", { ticket: "t-2" })).json.code, "2100");
});

Deno.test("tokens expire after their lifetime, on admin demand, and can be refused with 401", async () => {
  let now = 1_000_000;
  await using s = await start({ tokenLifetimeMs: 60_000, now: () => now });
  const token = await login(s);
  assert.deepEqual((await call(s, "/brm/v1/job/list", { token })).json.code, 0);
  now += 60_000;
  const expired = await call(s, "/brm/v1/job/list", { token });
  assert.deepEqual([expired.status, expired.json.code, expired.json.message], [
    200,
    "2100",
    "The login token has expired",
  ]);
  const fresh = await login(s);
  assert.deepEqual((await call(s, "/brm/v1/job/list", { token: fresh })).json.code, 0);
  const res = await fetch(`${s.url}__admin/inject`, {
    method: "POST",
    body: JSON.stringify({ expireTokens: true, tokenRejection: "401" }),
  });
  assert.deepEqual(res.status, 200);
  await res.body?.cancel();
  const rejected = await call(s, "/brm/v1/job/list", { token: fresh });
  assert.deepEqual([rejected.status, rejected.json.error.msg], [
    401,
    "The login token has expired",
  ]);
  s.inject({ tokenRejection: "code" });
  assert.deepEqual((await call(s, "/brm/v1/job/list", { token: await login(s) })).json.code, 0);
});

Deno.test("OSS multipart upload checks the STS key id, security token and signature; objects are public", async () => {
  await using s = await start({ verifyOssSignature: true });
  const token = await login(s);
  const bytes = new Uint8Array(250_000).map((_, i) => i % 251);
  const up = await ossUpload(s, token, "program/154/u/a.zip", bytes, 102_400);
  assert.deepEqual(up.status, 200);
  assert.match(up.body, /<ETag>"[0-9A-F]{32}-3"<\/ETag>/);
  const got = await fetch(`${s.ossBucketUrl}program/154/u/a.zip`);
  assert.deepEqual(new Uint8Array(await got.arrayBuffer()), bytes);
  const small = await ossUpload(s, token, "program/154/u/b.zip", bytes, 50_000);
  assert.match(small.body, /<Code>EntityTooSmall<\/Code>/);
  const badKey = await up.send("POST", "uploads", undefined, "STS.NOTISSUED");
  assert.deepEqual(badKey.status, 403);
  assert.match(await badKey.text(), /InvalidAccessKeyId/);
  const unsigned = await fetch(`${s.ossBucketUrl}k?uploads`, {
    method: "POST",
    headers: { authorization: `OSS ${up.sts.AccessKeyId}:x` },
  });
  assert.match(await unsigned.text(), /InvalidSecurityToken/);
  const forged = await fetch(`${s.ossBucketUrl}k?uploads`, {
    method: "POST",
    headers: {
      authorization: `OSS ${up.sts.AccessKeyId}:AAAA`,
      "x-oss-security-token": up.sts.SecurityToken,
    },
  });
  assert.match(await forged.text(), /SignatureDoesNotMatch/);
  s.inject({ expireSts: true });
  assert.match(await (await up.send("POST", "uploads")).text(), /SecurityTokenExpired/);
  assert.deepEqual((await fetch(`${s.ossBucketUrl}missing`)).status, 404);
});

Deno.test("job add refuses missing, mistyped, snake_case and unknown-in-strict fields and creates no job", async () => {
  await using s = await start({ strictFields: true });
  const token = await login(s);
  const cases: [Json, string, RegExp][] = [
    [{ cmd: "" }, "2101", /"cmd" is required/],
    [{ job_type: "x" }, "2101", /camelCase/],
    [{ logFiles: "task1/log" }, "2101", /"logFiles" must be a list of strings/],
    [
      { ossPath: ["http://127.0.0.1:1/dpcloudserver/none.zip"] },
      "2101",
      /names no uploaded object/,
    ],
    [{ projectId: 7 }, "2103", /Project 7/],
    [{ jobGroupId: 99 }, "2101", /Job group 99/],
    [{ surprise: 1 }, "2101", /Unknown field\(s\) "surprise"/],
  ];
  for (const [extra, code, message] of cases) {
    const res = await submit(s, token, { name: "bad", cmd: "true", extra });
    assert.deepEqual([res.status, res.json.code], [200, code], JSON.stringify(extra));
    assert.match(res.json.message, message);
  }
  assert.deepEqual(s.jobs(), []);
  const bad = await call(s, "/brm/v2/job/add", { token, body: "not an object" });
  assert.deepEqual(bad.json.code, "2101");
});

Deno.test("a job runs its cmd in the unpacked input and finishes with a result zip of outFiles and logFiles", async () => {
  await using s = await start({ requireResultAuth: true });
  const token = await login(s);
  const cmd = "bash job.sub";
  const files = {
    "job.sub": "cd task1 && bash ../task.sh 1>>log 2>>err",
    "task.sh": "echo out > out.txt; echo hi; echo oops >&2",
    "task1/in.txt": "x",
  };
  const added = await submit(s, token, { name: "ok-job", cmd, files, extra: { surprise: true } });
  assert.deepEqual(added.json.code, 0);
  const { jobId, jobGroupId } = added.json.data;
  const d = await until(s, token, jobId, [2]);
  assert.deepEqual([d.id, d.exitCode, d.jobGroupId, d.jobName], [jobId, 0, jobGroupId, "ok-job"]);
  const anonymous = await fetch(d.resultUrl);
  assert.deepEqual([anonymous.status, (await anonymous.json()).code], [403, "2100"]);
  const zip = await fetch(d.resultUrl, { headers: { authorization: `jwt ${token}` } });
  const entries = unzipSync(new Uint8Array(await zip.arrayBuffer()));
  assert.deepEqual(Object.keys(entries).sort(), ["task1/log", "task1/out.txt"]);
  assert.deepEqual(str(entries["task1/out.txt"]), "out\n");
  assert.deepEqual(str(entries["task1/log"]), "hi\n");
  const [job] = s.jobs();
  assert.deepEqual([job.name, job.history, job.group, job.extraFields], [
    "ok-job",
    [0, 3, 1, 2],
    jobGroupId,
    ["surprise"],
  ]);
  const second = await submit(s, token, { name: "ok-2", cmd: "true", extra: { jobGroupId } });
  assert.deepEqual(second.json.data.jobGroupId, jobGroupId);
  const listed = await call(s, `/brm/v1/job/list?groupId=${jobGroupId}&page=0&pageSize=30`, {
    token,
  });
  assert.deepEqual(listed.json.data.items.map((i: Json) => i.jobName), ["ok-job", "ok-2"]);
  assert.deepEqual(
    (await call(s, `/brm/v1/job/list?groupId=${jobGroupId}&page=1&pageSize=30`, { token })).json
      .data.items,
    [],
  );
});

Deno.test("a failing cmd ends in -1 with its exit code; an injected failure ends without running", async () => {
  await using s = await start();
  const token = await login(s);
  const failing = (await submit(s, token, {
    name: "f",
    cmd: "echo partial > task1/out.txt 2>/dev/null; mkdir -p task1; echo p > task1/out.txt; exit 3",
  })).json.data;
  const d = await until(s, token, failing.jobId, [-1, 2]);
  assert.deepEqual([d.status, d.exitCode], [-1, 3]);
  assert(d.resultUrl !== "");
  s.inject({ failJob: { name: "doomed-*", exitCode: 9, count: 1 } });
  const doomed = (await submit(s, token, { name: "doomed-1", cmd: "touch ran; exit 0" })).json.data;
  const e = await until(s, token, doomed.jobId, [-1, 2]);
  assert.deepEqual([e.status, e.exitCode, e.resultUrl], [-1, 9, ""]);
  const again = (await submit(s, token, { name: "doomed-2", cmd: "exit 0" })).json.data;
  assert.deepEqual((await until(s, token, again.jobId, [-1, 2])).status, 2);
});

Deno.test("kill stops a running job's process group: Terminating, then Stopped", async () => {
  await using s = await start();
  const token = await login(s);
  const { jobId } =
    (await submit(s, token, { name: "sleepy", cmd: "echo started; sleep 30 & sleep 30" })).json
      .data;
  await until(s, token, jobId, [1]);
  await waitFor(async () =>
    (await call(s, `/brm/v1/job/${jobId}/log`, { token })).json.data.logFiles.at(-1)?.size > 0
  );
  assert.deepEqual((await call(s, `/brm/v1/job/kill/${jobId}`, { token, body: {} })).json, {
    code: 0,
    data: {},
  });
  const d = await until(s, token, jobId, [5]);
  assert.deepEqual(d.resultUrl, "");
  assert.deepEqual([s.jobs()[0].killed, s.jobs()[0].history], [true, [0, 3, 1, 6, 5]]);
  assert.deepEqual(
    (await call(s, "/brm/v1/job/kill/424242", { token, body: {} })).json.code,
    "2300",
  );
});

Deno.test("the log index points at ranged, unauthenticated log bytes", async () => {
  await using s = await start();
  const token = await login(s);
  const files = { "task1/.keep": "" };
  const { jobId } = (await submit(s, token, {
    name: "logger",
    cmd: "cd task1 && printf 'line1\\nline2\\n' >> log && echo stdout-text",
    files,
  })).json.data;
  await until(s, token, jobId, [2]);
  const index = (await call(s, `/brm/v1/job/${jobId}/log?pageSize=1`, { token })).json.data;
  assert.deepEqual(index.logFiles.length, 1);
  assert.deepEqual([index.logFiles[0].name, index.logFiles[0].size], ["task1/log", 12]);
  const url = index.logFiles[0].url;
  const ranged = await fetch(url, { headers: { range: "bytes=6-" } });
  assert.deepEqual([ranged.status, await ranged.text()], [206, "line2\n"]);
  const past = await fetch(url, { headers: { range: "bytes=12-" } });
  await past.body?.cancel();
  assert.deepEqual(past.status, 416);
  const all = (await call(s, `/brm/v1/job/${jobId}/log`, { token })).json.data.logFiles;
  assert.deepEqual(all.map((f: Json) => f.name), ["task1/log", "STDOUTERR"]);
  const output = await (await fetch(all[1].url)).text();
  assert.deepEqual(output, 'stdout-text\n[standin] no file matched "task1/out.txt"\n');
  const unsigned = await fetch(url.replace(/sig=\w+/, "sig=wrong"));
  await unsigned.body?.cancel();
  assert.deepEqual(unsigned.status, 403);
});

Deno.test("injected 5xx burst, connection resets and a result that 404s once", async () => {
  await using s = await start();
  const token = await login(s);
  s.inject({
    fail5xx: { count: 2, status: 503, path: "/brm/" },
    resetConnections: { count: 1, path: "/data/" },
  });
  // A fresh connection: Deno's fetch silently retries once when a pooled one is reset.
  using client = Deno.createHttpClient({ poolMaxIdlePerHost: 0 });
  await assert.rejects(() => fetch(`${s.url}data/get_sts_token`, { client }));
  assert.deepEqual((await call(s, "/data/get_sts_token", { token })).json.code, 0);
  const first = await call(s, "/brm/v1/job/list", { token });
  assert.deepEqual(first.status, 503);
  assert.match(first.json.raw, /<html>/);
  assert.deepEqual((await call(s, "/brm/v1/job/list", { token })).status, 503);
  assert.deepEqual((await call(s, "/brm/v1/job/list", { token })).json.code, 0);
  const { jobId } =
    (await submit(s, token, { name: "r", cmd: "mkdir -p task1; echo r > task1/out.txt" })).json
      .data;
  const d = await until(s, token, jobId, [2]);
  s.inject({ resultFailure: { status: 404, count: 1 } });
  const miss = await fetch(d.resultUrl);
  await miss.body?.cancel();
  assert.deepEqual(miss.status, 404);
  const hit = await fetch(d.resultUrl);
  assert.deepEqual(Object.keys(unzipSync(new Uint8Array(await hit.arrayBuffer()))), [
    "task1/out.txt",
  ]);
  const statuses = s.requests().filter((r) => r.path === "/brm/v1/job/list").map((r) => r.status);
  assert.deepEqual(statuses, [503, 503, 200]);
});

Deno.test("detail injections: pinned and deleted jobs, missing fields, data null, no result", async () => {
  await using s = await start();
  const token = await login(s);
  const { jobId } = (await submit(s, token, { name: "shape", cmd: "true" })).json.data;
  await until(s, token, jobId, [2]);
  s.inject({ pinStatus: { name: "sha*", status: 7 } });
  assert.deepEqual((await detail(s, token, jobId)).data.status, 7);
  s.inject({ clear: true, omitFields: { name: "shape", fields: ["jobGroupId", "status"] } });
  const omitted = (await detail(s, token, jobId)).data;
  assert(!("jobGroupId" in omitted) && !("status" in omitted) && omitted.id === jobId);
  s.inject({ clear: true, noResult: { name: "*" } });
  assert.deepEqual((await detail(s, token, jobId)).data.resultUrl, "");
  s.inject({ clear: true, omitFields: { name: "*", dataNull: true } });
  assert.deepEqual(await detail(s, token, jobId), { code: 0, data: null });
  s.inject({ clear: true, deleteJob: { name: "shape" } });
  assert.deepEqual((await detail(s, token, jobId)).code, "2300");
});

Deno.test("admin lists jobs and refuses bad injections; unknown paths get the 404 envelope", async () => {
  const lines: string[] = [];
  const inject = { slowStatus: { name: "slow", pendingMs: 60_000 } };
  await using s = await start({ inject, verbose: true, log: (line) => lines.push(line) });
  const token = await login(s);
  const { jobId, jobGroupId } = (await submit(s, token, { name: "slow", cmd: "true" })).json.data;
  const listed = await (await fetch(`${s.url}__admin/jobs`)).json();
  assert.deepEqual(listed.jobs.map((j: Json) => [j.id, j.name, j.status, j.group]), [[
    jobId,
    "slow",
    0,
    jobGroupId,
  ]]);
  const bad = await fetch(`${s.url}__admin/inject`, {
    method: "POST",
    body: JSON.stringify({ fail5xx: { count: 0 } }),
  });
  assert.deepEqual([bad.status, (await bad.json()).error], [
    400,
    'Injection "fail5xx.count" must be an integer >= 1, got 0',
  ]);
  const unknown = await fetch(`${s.url}__admin/inject`, { method: "POST", body: '{"explode":1}' });
  assert.deepEqual((await unknown.json()).error, 'Unknown injection key "explode"');
  const missing = await call(s, "/no/such/path", { token });
  assert.deepEqual([missing.status, missing.json.code, missing.json.error.msg], [
    404,
    "2200",
    "No route for GET /no/such/path",
  ]);
  await openApi(s, "/openapi/v1/job/list?page=1");
  assert.deepEqual(lines.slice(-2), [
    "GET /no/such/path -> 404",
    "GET /openapi/v1/job/list?page=1&accessKey=*** -> 200",
  ]);
  const secrets = [token, PASSWORD, "standin-access-key", ...s.jobs().map((j) => j.cmd)];
  assert(lines.every((line) => !secrets.slice(0, 3).some((secret) => line.includes(secret))));
});
