import { createReadStream } from "node:fs";
import { mkdir, readdir, readFile, rename, rm, stat, utimes, writeFile } from "node:fs/promises";
import { Buffer } from "node:buffer";
import { createWriteStream } from "node:fs";
import { dirname, isAbsolute, join, normalize, sep } from "node:path";
import process from "node:process";
import { pipeline } from "node:stream/promises";
import type { Readable } from "node:stream";
// @ts-types="npm:@types/tar-stream@^3.1.4"
import tar from "npm:tar-stream@^3.1.7";
import { expand } from "../local_fs.ts";

/** A local file to send, relative to its base. */
export interface LocalFile {
  readonly rel: string;
  readonly size: number;
  readonly mtimeMs: number;
  readonly mode: number;
}

/** Lists the files under entries (files, directories, globs), following symlinks. */
export async function listLocal(
  base: string,
  entries: readonly string[],
): Promise<{ files: LocalFile[]; dirs: string[]; missing: string[] }> {
  const files = new Map<string, LocalFile>();
  const dirs: string[] = [];
  const missing: string[] = [];
  // Stats run in parallel per directory: one at a time costs ~0.5 ms per file.
  const walk = async (rel: string): Promise<void> => {
    const info = await stat(join(base, rel));
    if (!info.isDirectory()) {
      files.set(rel, { rel, size: info.size, mtimeMs: info.mtimeMs, mode: info.mode & 0o7777 });
      return;
    }
    dirs.push(rel);
    await Promise.all((await readdir(join(base, rel))).map((name) => walk(join(rel, name))));
  };
  for (const entry of entries) {
    const matches = await expand(base, entry);
    if (matches.length === 0) missing.push(entry);
    for (const match of matches) await walk(normalize(match));
  }
  return { files: [...files.values()], dirs, missing };
}

const SMALL = 1 << 20;

/**
 * What an upload still has to send, given the remote side's `find -printf '%s %T@ %P\0'`
 * listing: files whose size or mtime (whole seconds) differ, and the directories (empty ones
 * included) that hold no remote file yet.
 */
export function unsent(
  listing: string,
  files: readonly LocalFile[],
  dirs: readonly string[],
): { todo: LocalFile[]; newDirs: string[] } {
  const remote = new Map<string, string>();
  for (const item of listing.split("\0")) {
    const m = /^(\d+) (\d+)(?:\.\d*)? (.*)$/s.exec(item);
    if (m) remote.set(m[3], `${m[1]} ${m[2]}`);
  }
  const todo = files.filter((f) =>
    remote.get(f.rel) !== `${f.size} ${Math.floor(f.mtimeMs / 1000)}`
  );
  const remoteDirs = new Set<string>();
  for (const file of remote.keys()) {
    for (let at = file.lastIndexOf("/"); at > 0; at = file.lastIndexOf("/", at - 1)) {
      remoteDirs.add(file.slice(0, at));
    }
  }
  return { todo, newDirs: dirs.filter((d) => !remoteDirs.has(d)) };
}

/**
 * A tar stream of the files (and empty directories), mtimes kept. Small files are read ahead, a
 * few at a time, and added whole; large ones are streamed.
 */
export function packFiles(base: string, files: readonly LocalFile[], dirs: readonly string[]) {
  const pack = tar.pack();
  const sorted = [...files].sort((a, b) => (a.rel < b.rel ? -1 : 1));
  const ahead = new Map<number, Promise<Buffer>>();
  const prefetch = (i: number) => {
    const f = sorted[i];
    if (f && f.size <= SMALL && !ahead.has(i)) ahead.set(i, readFile(join(base, f.rel)));
  };
  (async () => {
    for (const dir of dirs) pack.entry({ name: dir, type: "directory", mode: 0o755 });
    for (let i = 0; i < sorted.length; i++) {
      for (let k = i; k < i + 32; k++) prefetch(k);
      const f = sorted[i];
      const header = {
        name: f.rel,
        size: f.size,
        mode: f.mode,
        mtime: new Date(Math.floor(f.mtimeMs / 1000) * 1000),
      };
      const data = ahead.get(i);
      ahead.delete(i);
      if (data) {
        const bytes = await data;
        if (bytes.length !== f.size) throw new Error(`${f.rel} changed while it was sent`);
        // The callback fires once the entry is in the stream: backpressure from the consumer.
        await new Promise<void>((ok, fail) =>
          pack.entry(header, bytes, (e?: Error | null) => (e ? fail(e) : ok()))
        );
      } else await pipeline(createReadStream(join(base, f.rel)), pack.entry(header));
    }
    pack.finalize();
  })().catch((e) => pack.destroy(e));
  return pack;
}

/**
 * Writes a tar stream's files under `base` (each via tmp + rename, mtime kept), refusing names
 * that escape it. Small files are buffered and written a few dozen at a time while the stream
 * goes on; large ones stream to disk.
 */
export async function unpackInto(
  base: string,
  source: Readable,
): Promise<{ files: number; bytes: number }> {
  const extract = tar.extract();
  let files = 0;
  let bytes = 0;
  const made = new Map<string, Promise<unknown>>();
  const dir = (path: string) => {
    if (!made.has(path)) made.set(path, mkdir(path, { recursive: true }));
    return made.get(path)!;
  };
  const writing = new Set<Promise<void>>();
  const place = async (
    target: string,
    mode: number,
    mtime: Date | undefined,
    body: Buffer | Readable,
  ) => {
    await dir(dirname(target));
    const tmp = `${target}.dpd-tmp-${process.pid}`;
    try {
      if (body instanceof Uint8Array) await writeFile(tmp, body, { mode });
      else await pipeline(body, createWriteStream(tmp, { mode }));
      if (mtime) await utimes(tmp, mtime, mtime);
      await rename(tmp, target);
    } catch (e) {
      await rm(tmp, { force: true });
      throw e;
    }
  };
  const done = (async () => {
    for await (const entry of extract) {
      const name = normalize(entry.header.name);
      if (isAbsolute(name) || name === ".." || name.startsWith(`..${sep}`)) {
        entry.resume();
        throw new Error(`Refusing a downloaded file outside the work base: ${entry.header.name}`);
      }
      const target = join(base, name);
      const { type, mode, mtime, size = 0 } = entry.header;
      if (type === "directory") {
        await dir(target);
        entry.resume();
        continue;
      }
      if (type !== "file") {
        entry.resume();
        continue;
      }
      files++;
      bytes += size;
      if (size > SMALL) {
        await place(target, mode ?? 0o644, mtime, entry as unknown as Readable);
        continue;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const job = place(target, mode ?? 0o644, mtime, Buffer.concat(chunks));
      writing.add(job);
      job.then(() => writing.delete(job), () => {});
      if (writing.size >= 32) await Promise.race(writing);
    }
    await Promise.all(writing);
  })();
  await Promise.all([pipeline(source, extract), done]);
  return { files, bytes };
}
