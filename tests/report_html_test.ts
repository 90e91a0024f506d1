// `dpdisp report RUN --html FILE` of a real 50-job run (Shell on this machine, one job failing
// for good, five failing once then retried), opened in a real headless Chromium (Debian's
// `chromium`, run from the command line): the screenshot is a picture, not a blank page, and the
// rendered DOM has one bar per job, the failed job's reason, and nothing fetched from the network.
// Skipped without chromium unless DPD_REQUIRE_CHROMIUM=1 (CI).
import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { inflateSync } from "node:zlib";
import { dpdisp, taskDirs } from "./_cli.ts";
import { tempDir } from "./_helpers.ts";

const JOBS = 50;
const FAILING = 7;
const FLAKY = [3, 13, 23, 33, 43];

function chromiumPath(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "").split(":")) {
    for (const name of ["chromium", "chromium-browser"]) {
      try {
        if (Deno.statSync(`${dir}/${name}`).isFile) return `${dir}/${name}`;
      } catch {
        // not here
      }
    }
  }
  if (Deno.env.get("DPD_REQUIRE_CHROMIUM") === "1") {
    throw new Error("DPD_REQUIRE_CHROMIUM=1 but no chromium on PATH (apt-get install chromium)");
  }
  console.warn("Skipping the browser test of dpdisp report: no chromium on PATH");
  return undefined;
}

const CHROMIUM = chromiumPath();

/** Runs headless Chromium on a page with a fresh profile; returns its stdout. */
async function chromium(dir: string, url: string, ...extra: string[]): Promise<string> {
  const profile = await Deno.makeTempDir({ dir, prefix: "profile-" });
  const { code, stdout, stderr } = await new Deno.Command(CHROMIUM!, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      `--user-data-dir=${profile}`,
      "--window-size=1400,1000",
      ...extra,
      url,
    ],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(120_000),
  }).output();
  const text = new TextDecoder();
  assert.equal(code, 0, `chromium exited with code ${code}: ${text.decode(stderr).slice(-2000)}`);
  return text.decode(stdout);
}

/** Decodes an 8-bit RGB or RGBA PNG into its size and RGB pixels (enough for a screenshot). */
function decodePng(bytes: Uint8Array): { width: number; height: number; rgb: Uint8Array } {
  assert.deepEqual([...bytes.subarray(0, 8)], [137, 80, 78, 71, 13, 10, 26, 10], "a PNG file");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let width = 0, height = 0, channels = 0;
  const idat: Uint8Array[] = [];
  for (let at = 8; at < bytes.length;) {
    const length = view.getUint32(at);
    const type = new TextDecoder().decode(bytes.subarray(at + 4, at + 8));
    const data = bytes.subarray(at + 8, at + 8 + length);
    if (type === "IHDR") {
      width = view.getUint32(at + 8);
      height = view.getUint32(at + 12);
      assert.equal(data[8], 8, "8 bits per channel");
      assert.ok(data[9] === 2 || data[9] === 6, `colour type ${data[9]} is RGB or RGBA`);
      channels = data[9] === 6 ? 4 : 3;
    } else if (type === "IDAT") idat.push(data);
    at += 12 + length;
  }
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  const px = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const line = raw.subarray(y * (stride + 1) + 1, (y + 1) * (stride + 1));
    for (let i = 0; i < stride; i++) {
      const a = i >= channels ? px[y * stride + i - channels] : 0;
      const b = y > 0 ? px[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? px[(y - 1) * stride + i - channels] : 0;
      const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
      const predictor = [0, a, b, (a + b) >> 1, pa <= pb && pa <= pc ? a : pb <= pc ? b : c];
      px[y * stride + i] = (line[i] + predictor[filter]) & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    rgb.set(px.subarray(i * channels, i * channels + 3), i * 3);
  }
  return { width, height, rgb };
}

/** Pixels within a small distance of a `#rrggbb` colour. */
function pixelsNear(rgb: Uint8Array, hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
  let n = 0;
  for (let i = 0; i < rgb.length; i += 3) {
    if (Math.abs(rgb[i] - r) + Math.abs(rgb[i + 1] - g) + Math.abs(rgb[i + 2] - b) <= 12) n++;
  }
  return n;
}

Deno.test({
  name: "dpdisp report --html of a 50-job run renders in headless Chromium: a bar per job, reasons",
  ignore: CHROMIUM === undefined,
  async fn() {
    const dir = await tempDir();
    await taskDirs(dir, JOBS);
    const command = (i: number) =>
      i === FAILING
        ? `echo "boom: bad input in t${i}" >&2; exit 3`
        : FLAKY.includes(i)
        ? `test -f tried || { touch tried; echo "flaky t${i}" >&2; exit 4; }; sleep 0.5; echo ok > out.txt`
        : `sleep ${(0.2 + (i % 6) * 0.3).toFixed(1)}; echo ok > out.txt`;
    const submission = {
      work_base: "work/",
      machine: {
        batch_type: "Shell",
        context_type: "LazyLocalContext",
        local_root: dir,
        retry_count: 1,
      },
      resources: { group_size: 1 },
      task_list: Array.from({ length: JOBS }, (_, i) => ({
        command: command(i),
        task_work_path: `t${i}/`,
        backward_files: i === FAILING ? [] : ["out.txt"],
      })),
    };
    await Deno.writeTextFile(`${dir}/submission.json`, JSON.stringify(submission));
    const submit = await dpdisp("submit", `${dir}/submission.json`);
    assert.equal(submit.code, 1, `one job fails for good: ${submit.stdout}\n${submit.stderr}`);
    assert.match(submit.stdout, /1 of 50 jobs failed/);

    const text = await dpdisp("report", `${dir}/work`);
    assert.equal(text.code, 0, text.stderr);
    assert.match(
      text.stdout,
      /^Run \w{16}: 49 of 50 jobs finished, 1 failed \(50 tasks, 6 jobs retried\)/,
    );
    assert.match(
      text.stdout,
      /failed\s+dpd-\w{12} \(t7\)\s+2 attempts\s+task "t7" exited with code 3: boom/,
    );
    assert.equal(text.stdout.match(/^\s+retried\s+dpd-/gm)?.length, FLAKY.length, text.stdout);

    const json = await dpdisp("report", `${dir}/work`, "--json");
    const timeline = JSON.parse(json.stdout);
    const retried = timeline.jobs.filter((j: { attempts: unknown[] }) => j.attempts.length === 2);
    assert.equal(retried.length, FLAKY.length + 1);
    for (const j of retried) {
      const kinds = j.segments.map((s: { kind: string }) => s.kind);
      assert.ok(kinds.includes("waiting"), `a retried job waits between its attempts: ${kinds}`);
    }

    const page = `${dir}/report.html`;
    const html = await dpdisp("report", `${dir}/work`, "--html", page);
    assert.equal(html.code, 0, html.stderr);
    assert.match(html.stdout, /wrote .*report\.html: 50 jobs/);

    const url = new URL(`file://${page}`).href;
    const dom = await chromium(dir, url, "--dump-dom");
    const hashes = [...dom.matchAll(/<g class="job" data-job="(\w+)"/g)].map((m) => m[1]);
    assert.equal(hashes.length, JOBS, "one bar per job");
    const status = JSON.parse((await dpdisp("status", `${dir}/work`, "--json")).stdout);
    assert.deepEqual(hashes.toSorted(), status[0].jobs.map((j: { hash: string }) => j.hash).sort());
    assert.equal(dom.match(/<g class="job" [^>]*data-state="failed"/g)?.length, 1);
    assert.ok(dom.includes('task "t7" exited with code 3: boom: bad input in t7'), "the reason");
    assert.doesNotMatch(
      dom,
      /\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i,
      "nothing from a network",
    );
    assert.doesNotMatch(dom, /<script|<link|<img|<iframe/i);

    const shot = `${dir}/report.png`;
    await chromium(dir, url, `--screenshot=${shot}`);
    const png = decodePng(await Deno.readFile(shot));
    assert.deepEqual([png.width, png.height], [1400, 1000]);
    assert.ok(pixelsNear(png.rgb, "#218bff") > 2000, "blue running bars are drawn");
    assert.ok(pixelsNear(png.rgb, "#cf222e") > 20, "the failed attempts are drawn in red");
    assert.ok(pixelsNear(png.rgb, "#2da44e") > 100, "collected results are drawn in green");
    const blank = `${dir}/blank.png`;
    await chromium(dir, "about:blank", `--screenshot=${blank}`);
    assert.ok(pixelsNear(decodePng(await Deno.readFile(blank)).rgb, "#218bff") === 0);
  },
});

Deno.test("dpdisp report of a detached run draws its live jobs open, then cancelled once cancelled", async () => {
  const dir = await tempDir();
  await taskDirs(dir, 2);
  const submission = {
    work_base: "work/",
    machine: { batch_type: "Shell", context_type: "LazyLocalContext", local_root: dir },
    resources: { group_size: 1 },
    task_list: [0, 1].map((i) => ({ command: "sleep 60", task_work_path: `t${i}/` })),
  };
  await Deno.writeTextFile(`${dir}/submission.json`, JSON.stringify(submission));
  const submitted = await dpdisp("submit", `${dir}/submission.json`, "--exit-on-submit");
  assert.equal(submitted.code, 0, submitted.stderr);
  try {
    const page = `${dir}/live.html`;
    const live = await dpdisp("report", `${dir}/work`, "--html", page);
    assert.equal(live.code, 0, live.stderr);
    const html = await Deno.readTextFile(page);
    assert.equal(html.match(/<g class="job" [^>]*data-state="running"/g)?.length, 2);
    assert.match(html, /2 jobs not ended at the last record .*no runner is attached/);
    assert.equal(html.match(/<path d="M[^"]+Z"/g)?.length, 2, "open bars end in an arrow");
  } finally {
    const cancel = await dpdisp("cancel", `${dir}/work`);
    assert.equal(cancel.code, 0, cancel.stderr);
  }
  const text = await dpdisp("report", `${dir}/work`);
  assert.match(text.stdout, /^Run \w{16}: 0 of 2 jobs finished, 2 cancelled \(2 tasks\)/);
  assert.equal(text.stdout.match(/^\s+cancelled\s+dpd-\w{12} \(t\d\)\s+1 attempt\s+/gm)?.length, 2);
  const json = JSON.parse((await dpdisp("report", `${dir}/work`, "--json")).stdout);
  for (const j of json.jobs) {
    assert.deepEqual(j.segments.map((s: { outcome?: string }) => s.outcome), ["cancelled"]);
  }
});
