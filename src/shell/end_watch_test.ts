import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, readdirSync, renameSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WATCH_ENDS, WatchParser } from "./end_watch.ts";

Deno.test("the watch parser reads records split anywhere, UTF-8 included", () => {
  const text = "F\0a.0.end\0--- x rc 0\nü\ndpd-end-ok\n\0S\0F\0b.1.end\0dpd-end-ok\n\0S\0";
  const bytes = new TextEncoder().encode(text);
  for (const cut of [1, 3, 9, 17, 21, bytes.length - 1]) {
    const p = new WatchParser();
    const a = p.push(bytes.subarray(0, cut));
    const b = p.push(bytes.subarray(cut));
    assert.deepEqual([...a.files, ...b.files], [
      ["a.0.end", "--- x rc 0\nü\ndpd-end-ok\n"],
      ["b.1.end", "dpd-end-ok\n"],
    ]);
    assert.equal(a.scans + b.scans, 2);
  }
});

/** The watcher on `dir`, with what it reported so far and ways to wait for more. */
function startWatch(dir: string, ...args: string[]) {
  const child = spawn("bash", ["-c", WATCH_ENDS, "dpd", dir, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const parser = new WatchParser();
  const seen: string[] = [];
  let scans = 0;
  child.stdout.on("data", (chunk: Uint8Array) => {
    const news = parser.push(chunk);
    scans += news.scans;
    for (const [name] of news.files) seen.push(name);
  });
  const until = async (ok: () => boolean) => {
    const end = Date.now() + 5000;
    while (!ok()) {
      if (Date.now() > end) throw new Error(`timed out; seen ${seen}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  /** Waits until n more scans have finished. */
  const scansFrom = (n: number) => {
    const at = scans;
    return until(() => scans >= at + n);
  };
  /** Closes its stdin; resolves with its exit code. */
  const stop = () => {
    const exited = new Promise((r) => child.on("exit", r));
    child.stdin.end();
    return exited;
  };
  return { seen, until, scansFrom, stop };
}

Deno.test("the watcher reports each complete end file once, skips half-written ones, and exits when stdin closes", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dpd-watch-"));
  writeFileSync(join(dir, "a.0.end"), "--- t rc 0\ndpd-end-ok\n");
  writeFileSync(join(dir, "b.0.end"), "--- t rc 0\n"); // still being written
  writeFileSync(join(dir, "script.sh"), "not an end file");
  const w = startWatch(dir);
  await w.scansFrom(2);
  assert.deepEqual(w.seen, ["a.0.end"]);
  writeFileSync(join(dir, "b.0.end"), "--- t rc 0\ndpd-end-ok\n");
  writeFileSync(join(dir, "c.tmp"), "--- t rc 3\ndpd-end-ok\n");
  renameSync(join(dir, "c.tmp"), join(dir, "c.0.end"));
  await w.until(() => w.seen.length === 3);
  await w.scansFrom(2);
  assert.deepEqual([...w.seen].sort(), ["a.0.end", "b.0.end", "c.0.end"], "each once");
  assert.equal(await w.stop(), 0);
});

Deno.test("the watcher lists the directory only when it changed, and lists again when in doubt", async () => {
  const dir = mkdtempSync(join(tmpdir(), "dpd-watch-"));
  writeFileSync(join(dir, "a.0.end"), "dpd-end-ok\n");
  // every = 1000: no forced listing during the test, so a skipped listing stays skipped.
  const w = startWatch(dir, "1000");
  const { seen, scansFrom } = w;
  await scansFrom(3);
  assert.deepEqual(seen, ["a.0.end"]);
  const stamps = readdirSync(dir).filter((f) => f.startsWith(".dpd-watch."));
  assert.equal(stamps.length, 1, `one stamp file: ${readdirSync(dir)}`);
  const stamp = join(dir, stamps[0]);
  // A stamp newer than the directory means "nothing added since the last listing": a file that
  // arrives under a stamp from the future is not listed ...
  const future = new Date(Date.now() + 3_600_000);
  utimesSync(stamp, future, future);
  writeFileSync(join(dir, "b.tmp"), "dpd-end-ok\n");
  renameSync(join(dir, "b.tmp"), join(dir, "b.0.end"));
  await scansFrom(4);
  assert.deepEqual(seen, ["a.0.end"], "the listing was skipped while the stamp was newer");
  // ... and one whose directory is as new as the stamp, or newer, is.
  const past = new Date(Date.now() - 3_600_000);
  utimesSync(stamp, past, past);
  await scansFrom(2);
  assert.deepEqual(seen, ["a.0.end", "b.0.end"]);
  // Equal times list again (a coarse clock must not hide a file): freeze the listing with a
  // stamp from the future, add c, then give the directory and the stamp the same time.
  utimesSync(stamp, future, future);
  writeFileSync(join(dir, "c.tmp"), "dpd-end-ok\n");
  renameSync(join(dir, "c.tmp"), join(dir, "c.0.end"));
  await scansFrom(2);
  assert.deepEqual(seen, ["a.0.end", "b.0.end"]);
  utimesSync(dir, past, past);
  utimesSync(stamp, past, past);
  await scansFrom(2);
  assert.deepEqual(seen, ["a.0.end", "b.0.end", "c.0.end"]);
  assert.equal(await w.stop(), 0);
  assert.deepEqual(readdirSync(dir).filter((f) => f.startsWith(".dpd-")), [], "stamp removed");
});
