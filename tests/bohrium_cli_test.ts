// dpdisp submit runs dpdispatcher's own Bohrium and OpenAPI submission JSON (the keys and
// environment overrides users set) against the stand-in server, from a scratch directory.
import assert from "node:assert/strict";
import { startStandin } from "../scripts/bohrium_standin.ts";
import { dpdispWith } from "./_cli.ts";
import { tempDir } from "./_helpers.ts";

const PASSWORD = "pw-cli-Secret-1234";
const ACCESS_KEY = "ak-cli-Secret-5678";

async function project(machine: Record<string, unknown>): Promise<string> {
  const dir = await tempDir("dpd-bohrium-cli-");
  for (let i = 0; i < 4; i++) {
    await Deno.mkdir(`${dir}/work/t${i}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/work/t${i}/in.txt`, `input ${i}\n`);
  }
  await Deno.writeTextFile(
    `${dir}/sub.json`,
    JSON.stringify({
      work_base: "work/",
      machine,
      resources: { group_size: 2 },
      task_list: Array.from({ length: 4 }, (_, i) => ({
        command: `cat in.txt > out.txt`,
        task_work_path: `t${i}/`,
        forward_files: ["in.txt"],
        backward_files: ["out.txt"],
      })),
    }),
  );
  return dir;
}

async function assertDone(dir: string, stdout: string) {
  assert.match(stdout, /all 2 jobs finished, 4\/4 tasks done/);
  for (let i = 0; i < 4; i++) {
    assert.equal(await Deno.readTextFile(`${dir}/work/t${i}/out.txt`), `input ${i}\n`);
  }
}

Deno.test("dpdisp submit runs a dpdispatcher Bohrium (Lebesgue) submission JSON", async () => {
  await using standin = await startStandin({
    account: { email: "me@example.com", password: PASSWORD },
    pendingMs: 20,
    schedulingMs: 20,
  });
  const dir = await project({
    batch_type: "Lebesgue",
    context_type: "LebesgueContext",
    local_root: "./",
    remote_profile: {
      email: "me@example.com",
      password: PASSWORD,
      program_id: 154,
      input_data: {
        job_type: "indicate",
        log_file: "log",
        job_name: "dpdispatcher_test",
        scass_type: "c2_m4_cpu",
        platform: "ali",
        image_name: "registry.dp.tech/dptech/ubuntu:22.04-py3.10",
      },
    },
  });
  const r = await dpdispWith(
    {
      cwd: dir,
      env: {
        DPDISPATCHER_LEBESGUE_API_HOST: standin.url,
        DPDISPATCHER_LEBESGUE_ALI_STS_ENDPOINT: standin.ossEndpoint,
        DPDISPATCHER_LEBESGUE_ALI_OSS_BUCKET_URL: standin.ossBucketUrl,
      },
    },
    "submit",
    "sub.json",
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  await assertDone(dir, r.stdout);
  assert.equal(standin.jobs().length, 2, "one cloud job per job");
  assert.ok(!(r.stdout + r.stderr).includes(PASSWORD));
});

Deno.test("dpdisp submit runs a dpdispatcher OpenAPI submission JSON, the key from the environment", async () => {
  await using standin = await startStandin({
    accessKeys: [ACCESS_KEY],
    pendingMs: 20,
    schedulingMs: 20,
  });
  const dir = await project({
    batch_type: "OpenAPI",
    context_type: "OpenAPI",
    local_root: "./",
    remote_profile: {
      project_id: 154,
      machine_type: "c2_m4_cpu",
      platform: "ali",
      image_address: "registry.dp.tech/dptech/ubuntu:22.04-py3.10",
      job_name: "dpdispatcher_test",
    },
  });
  const r = await dpdispWith(
    {
      cwd: dir,
      env: {
        BOHRIUM_ACCESS_KEY: ACCESS_KEY,
        BOHRIUM_BASE_URL: standin.openApiUrl ?? standin.url,
        TIEFBLUE_BASE_URL: standin.tiefblueUrl ?? standin.url,
      },
    },
    "submit",
    "sub.json",
  );
  assert.equal(r.code, 0, r.stdout + r.stderr);
  await assertDone(dir, r.stdout);
  assert.equal(standin.jobs().length, 2);
  const state = [];
  for await (const e of Deno.readDir(`${dir}/work/.dpdispatcher`)) {
    if (e.isFile) state.push(await Deno.readTextFile(`${dir}/work/.dpdispatcher/${e.name}`));
  }
  assert.ok(state.length >= 2 && state.every((t) => !t.includes(ACCESS_KEY)), "no key on disk");
});
