/**
 * Zip archives streamed through fflate: a job's inputs are packed (stored, not compressed, as
 * dpdispatcher packs them) file by file from disk, and a result archive is unpacked entry by
 * entry to disk, so a 1 GB input or result never sits in memory. Entries are relative to the
 * work base; an entry that would land outside the target directory is refused.
 *
 * @module
 */

import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { mkdir, readdir, rename, rm, stat } from "node:fs/promises";
import { once } from "node:events";
import { dirname, join, posix, resolve, sep } from "node:path";
import { Unzip, UnzipInflate, Zip, ZipPassThrough } from "npm:fflate@^0.8.2";
import { expand } from "../../transports/local_fs.ts";

/** What {@linkcode zipFiles} packed. */
export interface Packed {
  /** Files packed (the extra entries included). */
  readonly files: number;
  /** Their bytes. */
  readonly bytes: number;
  /** Entries that matched nothing. */
  readonly missing: readonly string[];
}

/** An entry given by its content rather than a file (a job script). */
export interface ExtraEntry {
  /** Its name in the archive. */
  readonly name: string;
  /** Its content. */
  readonly content: string;
}

async function* filesUnder(base: string, rel: string): AsyncGenerator<string> {
  const info = await stat(join(base, rel));
  if (!info.isDirectory()) {
    yield rel;
    return;
  }
  const names = (await readdir(join(base, rel))).sort();
  if (names.length === 0) yield `${rel}/`;
  for (const name of names) yield* filesUnder(base, posix.join(rel, name));
}

/**
 * Packs `entries` (files, directories and globs relative to `base`) and the extra entries into
 * the archive `out`, written under a temporary name and renamed once complete.
 *
 * @example
 * ```ts
 * import { zipFiles } from "./zip.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/a.txt`, "a");
 * const packed = await zipFiles(dir, ["a.txt", "absent"], `${dir}/x.zip`, [{ name: "run.sh", content: "true\n" }]);
 * console.log(packed); // { files: 2, bytes: 6, missing: ["absent"] }
 * ```
 */
export async function zipFiles(
  base: string,
  entries: readonly string[],
  out: string,
  extra: readonly ExtraEntry[] = [],
): Promise<Packed> {
  const missing: string[] = [];
  const names = new Set<string>();
  for (const entry of entries) {
    const matches = await expand(base, entry);
    if (matches.length === 0) missing.push(entry);
    for (const m of matches) for await (const f of filesUnder(base, m)) names.add(f);
  }
  await mkdir(dirname(out), { recursive: true });
  const part = `${out}.part`;
  const sink = createWriteStream(part);
  let failed: Error | undefined;
  let drained: Promise<unknown> | undefined;
  const zip = new Zip((err, data, final) => {
    if (err) failed = err;
    else if (!sink.write(data)) drained ??= once(sink, "drain").then(() => (drained = undefined));
    if (final) sink.end();
  });
  let files = 0;
  let bytes = 0;
  try {
    for (const name of [...names].sort()) {
      const file = new ZipPassThrough(name);
      if (name.endsWith("/")) {
        zip.add(file);
        file.push(new Uint8Array(0), true);
        continue;
      }
      const info = await stat(join(base, name));
      file.mtime = info.mtime;
      zip.add(file);
      for await (const chunk of createReadStream(join(base, name))) {
        file.push(chunk as Uint8Array);
        if (drained) await drained;
        if (failed) throw failed;
      }
      file.push(new Uint8Array(0), true);
      files++;
      bytes += info.size;
    }
    for (const e of extra) {
      const file = new ZipPassThrough(e.name);
      zip.add(file);
      const data = new TextEncoder().encode(e.content);
      file.push(data, true);
      files++;
      bytes += data.length;
    }
    zip.end();
    if (failed) throw failed;
    await once(sink, "close");
    await rename(part, out);
  } catch (e) {
    sink.destroy();
    await rm(part, { force: true });
    throw e;
  }
  return { files, bytes, missing };
}

/** The path an entry unpacks to under `dest`, or undefined when it would land outside it. */
function safePath(dest: string, name: string): string | undefined {
  if (name.startsWith("/") || name.includes("\\") || /^[A-Za-z]:/.test(name)) return undefined;
  const path = resolve(dest, name);
  return path === dest || path.startsWith(dest + sep) ? path : undefined;
}

/**
 * Unpacks the archive `zip` into `dest`, entry by entry; returns the entry names written.
 * Throws a `TypeError` naming the entry for one that would land outside `dest`.
 *
 * @example
 * ```ts
 * import { unzipFile, zipFiles } from "./zip.ts";
 *
 * const dir = await Deno.makeTempDir();
 * await zipFiles(dir, [], `${dir}/x.zip`, [{ name: "t/out.txt", content: "hi" }]);
 * console.log(await unzipFile(`${dir}/x.zip`, `${dir}/out`)); // ["t/out.txt"]
 * console.log(await Deno.readTextFile(`${dir}/out/t/out.txt`)); // "hi"
 * ```
 */
export async function unzipFile(zip: string, dest: string): Promise<string[]> {
  const root = resolve(dest);
  await mkdir(root, { recursive: true });
  const written: string[] = [];
  const open = new Set<WriteStream>();
  const closing: Promise<unknown>[] = [];
  const pendingDirs: Promise<unknown>[] = [];
  let failed: Error | undefined;
  const unzip = new Unzip((file) => {
    const path = safePath(root, file.name);
    if (!path) {
      failed ??= new TypeError(
        `Invalid archive "${zip}": entry "${file.name}" would unpack outside "${root}"`,
      );
      return;
    }
    if (file.name.endsWith("/")) {
      pendingDirs.push(mkdir(path, { recursive: true }));
      return;
    }
    written.push(file.name);
    // Entries arrive in order: each file's directory is made before its first bytes land.
    let out: WriteStream | undefined;
    const queued: Uint8Array[] = [];
    let ended = false;
    const ready = mkdir(dirname(path), { recursive: true }).then(() => {
      out = createWriteStream(path);
      open.add(out);
      for (const q of queued) out.write(q);
      if (ended) out.end();
      closing.push(once(out, "close"));
    });
    pendingDirs.push(ready);
    file.ondata = (err, data, final) => {
      if (err) {
        failed ??= err;
        return;
      }
      if (out) out.write(data);
      else queued.push(data);
      if (final) {
        ended = true;
        out?.end();
      }
    };
    file.start();
  });
  unzip.register(UnzipInflate);
  try {
    for await (const chunk of createReadStream(zip)) {
      unzip.push(chunk as Uint8Array, false);
      if (failed) throw failed;
      await Promise.all(pendingDirs.splice(0));
      // Back-pressure: wait for every stream that asked for it.
      for (const s of open) if (s.writableNeedDrain) await once(s, "drain");
    }
    unzip.push(new Uint8Array(0), true);
    if (failed) throw failed;
    await Promise.all(pendingDirs.splice(0));
    await Promise.all(closing);
  } finally {
    for (const s of open) if (!s.closed) s.destroy();
  }
  return written;
}
