// Zip in and out with fflate: unpack an input archive into a job directory (refusing entries
// that would land outside it) and build the result archive from glob patterns, with entry names
// relative to the job's work directory (BOHRIUM.md §2.3, §2.4).
import { unzipSync, type Zippable, zipSync } from "fflate";
import { mkdir, readFile, stat, writeFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { glob } from "tinyglobby";

/** Unpacks `bytes` into `dir`; throws a RangeError for an entry that escapes it. */
export async function unzipInto(bytes: Uint8Array, dir: string): Promise<string[]> {
  const entries = unzipSync(bytes);
  const names: string[] = [];
  for (const [name, data] of Object.entries(entries)) {
    const clean = normalize(name);
    if (clean.startsWith("/") || clean === ".." || clean.startsWith("../")) {
      throw new RangeError(`Zip entry "${name}" would be written outside the job directory`);
    }
    const target = join(dir, clean);
    if (name.endsWith("/")) {
      await mkdir(target, { recursive: true });
      continue;
    }
    await mkdir(dirname(target), { recursive: true });
    await writeFile(target, data);
    names.push(clean);
  }
  return names;
}

/** What a result archive holds, and which patterns matched nothing. */
export interface ResultZip {
  bytes: Uint8Array;
  entries: string[];
  unmatched: string[];
}

/**
 * Zips the files under `dir` matching `patterns` (every file when `patterns` is empty; a
 * directory brings everything under it). Entry names are relative to `dir`; absolute patterns
 * and patterns with `..` match nothing.
 */
export async function zipMatching(dir: string, patterns: string[]): Promise<ResultZip> {
  const unmatched: string[] = [];
  const found = new Set<string>();
  const wanted = patterns.length === 0 ? ["**/*"] : patterns;
  for (const pattern of wanted) {
    if (pattern.startsWith("/") || pattern.split("/").includes("..")) {
      unmatched.push(pattern); // never reach outside the work directory
      continue;
    }
    const hits = await glob(pattern, {
      cwd: dir,
      dot: true,
      onlyFiles: true,
      expandDirectories: true,
    });
    if (hits.length === 0) unmatched.push(pattern);
    for (const hit of hits) found.add(hit);
  }
  const files: Zippable = {};
  const entries = [...found].sort();
  for (const name of entries) {
    const path = join(dir, name);
    const info = await stat(path);
    files[name] = [new Uint8Array(await readFile(path)), { mtime: info.mtime, level: 6 }];
  }
  return { bytes: zipSync(files), entries, unmatched };
}

/** The names in a zip archive (for tests). */
export function zipEntries(bytes: Uint8Array): Record<string, Uint8Array> {
  return unzipSync(bytes);
}
