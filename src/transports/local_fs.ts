import { spawn } from "node:child_process";
import {
  copyFile,
  lstat,
  mkdir,
  readdir,
  rename,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from "node:fs/promises";
import { dirname, join } from "node:path";
import { existsSync, readFileSync, type Stats } from "node:fs";
import type { ExecResult, TransferResult } from "./transport.ts";
import { mapLimit } from "../_map_limit.ts";

const GLOB = /[*?[\]{}]/;
// Loaded on first use: tinyglobby reads TINYGLOBBY_DEBUG as it loads, and loading this library
// must need no Deno permission, so a script can ask permissions() before anything else.
let tinyglobby: Promise<typeof import("npm:tinyglobby@^0.2.17")> | undefined;

/** Runs an argv in its own session (so a terminal's Ctrl-C reaches only the runner) and collects output. */
export function execLocal(argv: readonly string[], stdin?: string): Promise<ExecResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0], argv.slice(1), {
      detached: true,
      stdio: [stdin === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr!.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code: number | null) => resolve({ exitCode: code, stdout, stderr }));
    if (stdin !== undefined) child.stdin!.end(stdin);
  });
}

/** Expands one entry (file, directory or glob) relative to `base`; [] when it matches nothing. */
export async function expand(base: string, entry: string): Promise<string[]> {
  if (GLOB.test(entry)) {
    const { glob } = await (tinyglobby ??= import("npm:tinyglobby@^0.2.17"));
    return (await glob([entry], {
      cwd: base,
      dot: true,
      onlyFiles: false,
      expandDirectories: false,
    }))
      .map((p) => p.replace(/\/$/, ""))
      .sort();
  }
  try {
    await stat(join(base, entry));
    return [entry];
  } catch {
    return [];
  }
}

/** Every file under `rel`, and every directory that holds none (so copies keep empty ones). */
async function* walk(base: string, rel: string): AsyncGenerator<{ rel: string; info: Stats }> {
  const info = await stat(join(base, rel));
  if (!info.isDirectory()) {
    yield { rel, info };
    return;
  }
  const names = await readdir(join(base, rel));
  if (names.length === 0) yield { rel, info };
  for (const name of names) yield* walk(base, join(rel, name));
}

/**
 * Copies entries from one base to another (files, directories recursively, globs), following
 * symlinks and skipping files whose size and mtime already match. With `link`, symlinks
 * instead of copying.
 */
export async function copyEntries(
  from: string,
  to: string,
  entries: readonly string[],
  link = false,
): Promise<TransferResult> {
  let files = 0;
  let bytes = 0;
  const missing: string[] = [];
  for (const entry of entries) {
    const matches = await expand(from, entry);
    if (matches.length === 0) missing.push(entry);
    for (const match of matches) {
      if (link) {
        const target = join(to, match);
        if (await lstat(target).then(() => true, () => false)) continue;
        await mkdir(dirname(target), { recursive: true });
        await symlink(join(from, match), target);
        files++;
        continue;
      }
      for await (const { rel, info } of walk(from, match)) {
        const src = join(from, rel);
        const dst = join(to, rel);
        if (info.isDirectory()) {
          await mkdir(dst, { recursive: true });
          continue;
        }
        const old = await stat(dst).catch(() => undefined);
        if (old && old.size === info.size && Math.trunc(old.mtimeMs) === Math.trunc(info.mtimeMs)) {
          continue;
        }
        await mkdir(dirname(dst), { recursive: true });
        await copyFile(src, dst);
        await utimes(dst, info.atime, info.mtime);
        files++;
        bytes += info.size;
      }
    }
  }
  return { files, bytes, missing };
}

/** Reports which entries match nothing under `base`, copying nothing. */
export async function findMissing(
  base: string,
  entries: readonly string[],
): Promise<TransferResult> {
  const missing: string[] = [];
  for (const entry of entries) if ((await expand(base, entry)).length === 0) missing.push(entry);
  return { files: 0, bytes: 0, missing };
}

/**
 * Reads small files (end files, exit codes); `undefined` where a file does not exist. Each poll
 * reads every live job's end file and most do not exist yet: an async read per path that fails
 * with ENOENT cost 67 ms of CPU per 1,000 paths here, a synchronous existence check 6 ms.
 */
export function readLocal(paths: readonly string[]): Promise<(string | undefined)[]> {
  try {
    return Promise.resolve(paths.map((p) => {
      if (!existsSync(p)) return undefined;
      try {
        return readFileSync(p, "utf8");
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined; // removed meanwhile
        throw e;
      }
    }));
  } catch (e) {
    return Promise.reject(e);
  }
}

/** Writes files atomically (tmp + rename), creating parent directories, 64 at a time. */
export async function writeLocal(
  files: readonly { path: string; content: string }[],
  options?: { readonly dirs?: readonly string[] },
): Promise<void> {
  const dirs = new Set([...files.map((f) => dirname(f.path)), ...options?.dirs ?? []]);
  await mapLimit([...dirs], 64, (d) => mkdir(d, { recursive: true }));
  for (let i = 0; i < files.length; i += 64) {
    await Promise.all(
      files.slice(i, i + 64).map(async (f) => {
        const tmp = `${f.path}.tmp-${process.pid}`;
        await writeFile(tmp, f.content);
        await rename(tmp, f.path);
      }),
    );
  }
}

/** Removes a tree; no error when absent. */
export function removeLocal(path: string): Promise<void> {
  return rm(path, { recursive: true, force: true });
}
