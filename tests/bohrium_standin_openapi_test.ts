// The Bohrium stand-in's OpenAPI and Tiefblue routes and its command line, driven over real HTTP
// (the legacy API's tests are in bohrium_standin_test.ts).
import assert from "node:assert/strict";
import { unzipSync, zipSync } from "fflate";
import { parseFlags } from "../scripts/bohrium_standin/cli.ts";
import { type Json, openApi, text, tiefblue } from "../scripts/bohrium_standin/drive.ts";
import { type Standin, type StandinOptions, startStandin } from "../scripts/bohrium_standin.ts";
import { waitFor } from "./_helpers.ts";

const str = (b: Uint8Array) => new TextDecoder().decode(b);

function start(options: StandinOptions = {}): Promise<Standin> {
  return startStandin({ pendingMs: 0, schedulingMs: 0, ...options });
}

Deno.test("OpenAPI with Tiefblue: access key, create, binary and multipart upload, add, detail, log, kill", async () => {
  await using s = await start({ accessKeys: ["ak-1"] });
  const o = (path: string, body?: unknown, key = "ak-1") => openApi(s, path, body, key);
  assert.deepEqual(
    (await o("/openapi/v1/job/create", { projectId: 154 }, "bad")).json.code,
    "2100",
  );
  assert.deepEqual((await o("/openapi/v1/job/create", { projectId: 0 })).json.data, undefined);
  const created = (await o("/openapi/v1/job/create", { projectId: 154, name: "oa" })).json.data;
  assert.deepEqual(s.jobs().map((j) => [j.id, j.status, j.inserted]), [[created.jobId, 8, false]]);
  const tb = (path: string, body: BodyInit, param?: Json, token = created.token) =>
    tiefblue(s, path, body, param, token);
  const zip = zipSync({ "a.sub": text("mkdir -p t; echo done > t/o.txt; echo tiefblue-log") });
  const path = `${created.storePath}h.zip`;
  assert.deepEqual((await tb("binary", zip as BodyInit, { path, option: {} })).json.code, 0);
  assert.deepEqual((await tb("binary", zip as BodyInit, { path: "elsewhere/h.zip" })).status, 403);
  assert.deepEqual((await tb("binary", zip as BodyInit, { path }, "forged")).status, 401);
  const init =
    (await tb("multipart/init", JSON.stringify({ path: `${created.storePath}m.zip`, option: {} })))
      .json.data;
  const partStrings = [];
  for (const [n, chunk] of [[1, zip.slice(0, 10)], [2, zip.slice(10)]] as const) {
    const param = {
      initialKey: init.initialKey,
      number: n,
      partSize: chunk.length,
      objectKey: `${created.storePath}m.zip`,
    };
    partStrings.push((await tb("multipart/upload", chunk as BodyInit, param)).json.data.partString);
  }
  const done = await tb(
    "multipart/complete",
    JSON.stringify({
      path: `${created.storePath}m.zip`,
      initialKey: init.initialKey,
      partString: partStrings,
    }),
  );
  assert.deepEqual(done.json.data.size, zip.length);
  const body = {
    ossPath: [`${created.storePath}m.zip`],
    inputFileType: 3,
    inputFileMethod: 1,
    jobType: "container",
    jobName: "oa",
    projectId: 154,
    scassType: "c2_m4_cpu",
    cmd: "bash a.sub",
    logFiles: [],
    outFiles: ["t/o.txt"],
    platform: "ali",
    imageName: "img",
    jobId: created.jobId,
  };
  const added = (await o("/openapi/v2/job/add", body)).json.data;
  assert.deepEqual(added, { jobId: created.jobId, jobGroupId: created.jobGroupId });
  assert.deepEqual((await o("/openapi/v2/job/add", body)).json.code, "2101");
  let d: Json = {};
  await waitFor(async () =>
    (d = (await o(`/openapi/v1/job/${created.jobId}`)).json.data).status === 2
  );
  const entries = unzipSync(new Uint8Array(await (await fetch(d.resultUrl)).arrayBuffer()));
  assert.deepEqual(str(entries["t/o.txt"]), "done\n");
  assert.deepEqual(
    (await o(`/openapi/v1/job/${created.jobId}/log?logFile=STDOUTERR&page=-1&pageSize=8192`)).json
      .data.log,
    "tiefblue-log\n",
  );
  const again = (await o("/openapi/v1/job/create", {
    projectId: 154,
    name: "oa2",
    bohrGroupId: created.jobGroupId,
  })).json.data;
  assert.deepEqual(again.jobGroupId, created.jobGroupId);
  await tb("binary", zip as BodyInit, { path: `${again.storePath}h.zip` }, again.token);
  await o("/openapi/v2/job/add", {
    ...body,
    ossPath: [`${again.storePath}h.zip`],
    cmd: "sleep 30",
    jobId: again.jobId,
  });
  await waitFor(async () => (await o(`/openapi/v1/job/${again.jobId}`)).json.data.status === 1);
  assert.deepEqual((await o(`/openapi/v1/job/kill/${again.jobId}`, {})).json.code, 0);
  await waitFor(async () =>
    (await o(`/openapi/v1/sandbox/job/${again.jobId}`)).json.data.status === 5
  );
});

Deno.test("CLI flags become options and one injection", () => {
  const argv = "--port 8123 --fail-5xx 3 --fail-job bad-* --result-404-once --slow-status s*:500";
  const options = parseFlags([...argv.split(" "), "--ticket", "a", "--ticket", "b"], {
    BOHRIUM_STANDIN_PASSWORD: "pw",
  });
  assert(options !== "help");
  assert.deepEqual([options.port, options.tickets, options.account?.password], [
    8123,
    ["a", "b"],
    "pw",
  ]);
  assert.deepEqual(options.inject, {
    fail5xx: { count: 3, status: 502, path: "/", json: false },
    failJob: { name: "bad-*", exitCode: 1, status: -1, count: undefined },
    slowStatus: { name: "s*", pendingMs: 500 },
    resultFailure: { status: 404, count: 1 },
  });
  let message = "";
  try {
    parseFlags(["--fail-5xx", "zero"]);
  } catch (error) {
    message = (error as Error).message;
  }
  assert.deepEqual(message, 'Flag --fail-5xx must be an integer >= 1, got "zero"');
});

Deno.test("the CLI prints one listening line, applies its flags and stops on SIGTERM", async () => {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/bohrium_standin.ts", "--port", "0", "--fail-5xx", "1"],
    cwd: new URL("..", import.meta.url),
    stdout: "piped",
    stderr: "null",
  }).spawn();
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("\n")) out += (await reader.read()).value ?? "";
  const url = /^listening (http:\/\/127\.0\.0\.1:\d+\/)\n$/.exec(out)?.[1];
  assert(url, `first line: ${out}`);
  const statuses = [];
  for (let i = 0; i < 2; i++) {
    const res = await fetch(`${url}nothing`);
    await res.body?.cancel();
    statuses.push(res.status);
  }
  assert.deepEqual(statuses, [502, 404]);
  child.kill("SIGTERM");
  assert.deepEqual((await child.status).code, 0);
  assert.deepEqual((await reader.read()).done, true);
});
