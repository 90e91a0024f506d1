import { hostname } from "node:os";
import { Buffer } from "node:buffer";
import { mkdir, open, readFile, rename, rm, stat, truncate, writeFile } from "node:fs/promises";
import type { FileHandle } from "node:fs/promises";
import { join } from "node:path";
import { StateError } from "../errors.ts";
import type { JournalRecord } from "./run_state.ts";

function alive(pid: number, runId: string, path: string): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return false;
    if (code === "EPERM") return true;
    // Deno signals only with unscoped --allow-run: never guess "gone" and drive a run twice.
    throw new StateError(
      `Run "${runId}" is locked by process ${pid}, which cannot be checked (${
        (e as Error).message
      }); remove "${path}" if that runner is gone`,
      path,
      { cause: e },
    );
  }
}

async function lock(path: string, runId: string): Promise<void> {
  const me = `${process.pid} ${hostname()}\n`;
  for (let tries = 0; tries < 3; tries++) {
    try {
      await writeFile(path, me, { flag: "wx" });
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const [pid, host] = (await readFile(path, "utf8").catch(() => "")).trim().split(" ");
      if (!pid) {
        // Another runner created it a moment ago and is writing its pid: wait, unless it is old.
        const age = Date.now() - ((await stat(path).catch(() => undefined))?.mtimeMs ?? 0);
        if (age < 5000) {
          await new Promise((r) => setTimeout(r, 100));
          tries--;
          continue;
        }
      } else if (host !== hostname()) {
        throw new StateError(
          `Run "${runId}" is locked by process ${pid} on host "${host}"; remove "${path}" if that runner is gone`,
          path,
        );
      } else if (alive(Number(pid), runId, path)) {
        throw new StateError(`Run "${runId}" is already being run by process ${pid}`, path);
      }
      await rm(path, { force: true }); // stale: its runner died
    }
  }
  throw new StateError(`Cannot lock run "${runId}"`, path);
}

/**
 * A run's journal: one append-only JSON-lines file per run, `fsync`ed after the records that
 * make submission exactly-once. A torn last line (a crash mid-write) is ignored on read.
 * Holding a journal open also holds the run's lock, so two runners never drive one run.
 */
export class Journal implements AsyncDisposable {
  readonly path: string;
  readonly records: readonly JournalRecord[];
  readonly #file: FileHandle;
  readonly #lockPath: string;

  private constructor(path: string, lockPath: string, file: FileHandle, records: JournalRecord[]) {
    this.path = path;
    this.#lockPath = lockPath;
    this.#file = file;
    this.records = records;
  }

  /** Locks and opens `<stateDir>/<runId>.jsonl`, reading what it already holds. */
  static async open(stateDir: string, runId: string): Promise<Journal> {
    await mkdir(stateDir, { recursive: true });
    const path = join(stateDir, `${runId}.jsonl`);
    const lockPath = join(stateDir, `${runId}.lock`);
    await lock(lockPath, runId);
    try {
      const text = await readText(path);
      const records = parse(text, path);
      // A crash mid-write leaves a torn last line: cut it off, or the next record would be
      // appended onto it and both would be lost.
      if (text !== "" && !text.endsWith("\n")) {
        await truncate(path, Buffer.byteLength(text.slice(0, text.lastIndexOf("\n") + 1)));
      }
      const file = await open(path, "a");
      return new Journal(path, lockPath, file, records);
    } catch (e) {
      await rm(lockPath, { force: true });
      throw e;
    }
  }

  /** Reads a journal without locking it (for status views); [] when absent. */
  static async read(path: string): Promise<JournalRecord[]> {
    return parse(await readText(path), path);
  }

  /** Appends records; with `sync`, returns only once they are on disk. */
  async append(records: readonly JournalRecord[], sync = false): Promise<void> {
    if (records.length === 0) return;
    await this.#file.write(records.map((r) => JSON.stringify(r) + "\n").join(""));
    if (sync) await this.#file.sync();
  }

  /** Closes the file and releases the run's lock. */
  async close(): Promise<void> {
    await this.#file.close().catch(() => {});
    await rm(this.#lockPath, { force: true });
  }

  /** Same as {@linkcode Journal.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Writes a file atomically: tmp, then rename over the target. */
export async function writeAtomic(path: string, content: string): Promise<void> {
  const tmp = `${path}.tmp-${process.pid}`;
  await writeFile(tmp, content);
  await rename(tmp, path);
}

function readText(path: string): Promise<string> {
  return readFile(path, "utf8").catch((e) => {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw e;
  });
}

/** Journal lines as records; a torn last line (a crash mid-write) is ignored. */
function parse(text: string, path: string): JournalRecord[] {
  const records: JournalRecord[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    if (lines[i] === "") continue;
    try {
      records.push(JSON.parse(lines[i]));
    } catch (cause) {
      if (i >= lines.length - 2) break;
      throw new StateError(`Cannot read line ${i + 1} of journal "${path}"`, path, { cause });
    }
  }
  return records;
}
