import { Buffer } from "node:buffer";
import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname, join, posix } from "node:path";
import type { PermissionNeeds } from "../plan/permissions.ts";
import type { Connection, ExecResult, TransferResult, Transport } from "../transports/transport.ts";
import { expandLocal, expandRemote, norm, under } from "./_glob.ts";

/**
 * What an exec handler of {@linkcode fakeTransport} gets besides the argv: the fake execution
 * side's state, so a scripted cluster can write end files or read job scripts.
 *
 * @example
 * ```ts
 * import { type FakeExecContext, fakeTransport } from "@deepmodeling/dpdispatcher/testing";
 *
 * const fake = fakeTransport({
 *   exec: (argv, ctx: FakeExecContext) => {
 *     ctx.files.set("/remote/r/job.end", "0\n");
 *     return { exitCode: 0, stdout: `${argv[0]} ok`, stderr: "" };
 *   },
 * });
 * ```
 */
export interface FakeExecContext {
  /** The execution side's files (absolute path to text); the same map as `FakeTransport.files`. */
  readonly files: Map<string, string>;
  /** The directories created so far; the same set as `FakeTransport.dirs`. */
  readonly dirs: Set<string>;
  /** What the caller piped to stdin. */
  readonly stdin?: string;
  /** Whether the caller marked the command safe to repeat. */
  readonly idempotent?: boolean;
}

/**
 * Answers one exec of a {@linkcode fakeTransport}: a scripted scheduler or shell.
 *
 * @example
 * ```ts
 * import type { FakeExecHandler } from "@deepmodeling/dpdispatcher/testing";
 *
 * const echo: FakeExecHandler = (argv) => ({ exitCode: 0, stdout: argv.join(" "), stderr: "" });
 * ```
 */
export type FakeExecHandler = (
  argv: readonly string[],
  ctx: FakeExecContext,
) => ExecResult | Promise<ExecResult>;

/**
 * A connection operation {@linkcode FakeTransport.failNext} can make fail.
 *
 * @example
 * ```ts
 * import type { FakeOperation } from "@deepmodeling/dpdispatcher/testing";
 *
 * const op: FakeOperation = "download";
 * ```
 */
export type FakeOperation =
  | "connect"
  | "exec"
  | "upload"
  | "download"
  | "readFiles"
  | "writeFiles"
  | "remove";

/**
 * One exec a {@linkcode FakeTransport} received.
 *
 * @example
 * ```ts
 * import type { FakeCall } from "@deepmodeling/dpdispatcher/testing";
 *
 * const call: FakeCall = { argv: ["sbatch", "job.sub"], idempotent: false };
 * ```
 */
export interface FakeCall {
  /** The argv, as passed. */
  readonly argv: readonly string[];
  /** Stdin, when some was passed. */
  readonly stdin?: string;
  /** The `idempotent` option, when it was passed. */
  readonly idempotent?: boolean;
}

/**
 * One file operation a {@linkcode FakeTransport} received, with its arguments.
 *
 * @example
 * ```ts
 * import type { FakeTransfer } from "@deepmodeling/dpdispatcher/testing";
 *
 * const removal: FakeTransfer = { kind: "remove", path: "/remote/r" };
 * ```
 */
export type FakeTransfer =
  | {
    readonly kind: "upload";
    readonly localBase: string;
    readonly remoteBase: string;
    readonly entries: readonly string[];
  }
  | {
    readonly kind: "download";
    readonly remoteBase: string;
    readonly localBase: string;
    readonly patterns: readonly string[];
  }
  | { readonly kind: "readFiles"; readonly paths: readonly string[] }
  | {
    readonly kind: "writeFiles";
    readonly files: readonly { readonly path: string; readonly content: string }[];
    readonly dirs: readonly string[];
  }
  | { readonly kind: "remove"; readonly path: string };

/**
 * Options of {@linkcode fakeTransport}.
 *
 * @example
 * ```ts
 * import { type FakeTransportOptions, fakeTransport } from "@deepmodeling/dpdispatcher/testing";
 *
 * const options: FakeTransportOptions = { remoteRoot: "/scratch", files: { "/scratch/a": "x" } };
 * const fake = fakeTransport(options);
 * ```
 */
export interface FakeTransportOptions {
  /** The transport's name. @default "fake" */
  readonly name?: string;
  /** The host it claims to run on. @default "fake-host" */
  readonly host?: string;
  /** Where runs live on the fake execution side: `runRoot()` is `<remoteRoot>/<runId>`. @default "/remote" */
  readonly remoteRoot?: string;
  /** Files present on the execution side from the start (absolute path to text). */
  readonly files?: Readonly<Record<string, string>>;
  /** Answers each exec. @default exit code 127 and `fake: no handler for <argv0>` on stderr */
  readonly exec?: FakeExecHandler;
}

/**
 * A {@linkcode Transport} whose execution side lives in memory, with everything it was asked
 * recorded: returned by {@linkcode fakeTransport}.
 *
 * @example
 * ```ts
 * import { type FakeTransport, fakeTransport } from "@deepmodeling/dpdispatcher/testing";
 *
 * const fake: FakeTransport = fakeTransport();
 * const c = await fake.connect();
 * await c.writeFiles([{ path: "/remote/r/a.txt", content: "hi" }]);
 * console.log(fake.files.get("/remote/r/a.txt"), fake.transfers.length); // "hi" 1
 * ```
 */
export interface FakeTransport extends Transport {
  /** The execution side's file system: absolute (normalized) path to text. */
  readonly files: Map<string, string>;
  /** Directories created: `writeFiles`' `dirs` and the directories an upload copied (a download makes them). */
  readonly dirs: Set<string>;
  /** Every exec, in order, failed ones included. */
  readonly calls: FakeCall[];
  /** Every upload, download, readFiles, writeFiles and remove, in order, failed ones included. */
  readonly transfers: FakeTransfer[];
  /** Connections opened so far. */
  readonly connects: number;
  /** `close()` calls so far (`[Symbol.asyncDispose]` included). */
  readonly closes: number;
  /**
   * Makes the next `times` calls of an operation throw `error` (after being recorded), as a
   * dropped link would. Repeated calls queue up.
   */
  failNext(operation: FakeOperation, error: Error, times?: number): void;
}

/**
 * A transport for tests, with no processes, network or remote disk: its execution side is the
 * `files` map, every call is recorded (`calls`, `transfers`), execs go to a handler, and
 * `failNext` simulates dropped links. Uploads read real local files and downloads write real
 * local files (node:fs), with the same entry and pattern syntax as the real transports (files,
 * directories, globs with `*`, `?`, `**`); an upload does not count files already there with the
 * same content. Not in place: `runRoot(workBase, runId)` is `<remoteRoot>/<runId>`. Operations on
 * a closed connection throw, as on a real link. `permissions(commands)` returns the commands'
 * needs unchanged.
 *
 * @example
 * ```ts
 * import { ConnectionError } from "@deepmodeling/dpdispatcher";
 * import { fakeTransport } from "@deepmodeling/dpdispatcher/testing";
 *
 * const fake = fakeTransport({
 *   exec: (argv, { files }) => {
 *     files.set("/remote/r1/job.end", "0\n"); // the fake cluster finishes the job at once
 *     return { exitCode: 0, stdout: `Submitted batch job 1 (${argv[1]})`, stderr: "" };
 *   },
 * });
 * fake.failNext("readFiles", new ConnectionError("link down", "fake-host", 22, true));
 * const c = await fake.connect();
 * await c.exec(["sbatch", "job.sub"]);
 * await c.readFiles(["/remote/r1/job.end"]).catch((e) => console.log(e.message)); // link down
 * console.log(await c.readFiles(["/remote/r1/job.end"])); // ["0\n"]
 * console.log(fake.calls); // [{ argv: ["sbatch", "job.sub"] }]
 * ```
 */
export function fakeTransport(options: FakeTransportOptions = {}): FakeTransport {
  const remoteRoot = norm(options.remoteRoot ?? "/remote");
  const files = new Map(Object.entries(options.files ?? {}).map(([p, text]) => [norm(p), text]));
  const dirs = new Set<string>();
  const calls: FakeCall[] = [];
  const transfers: FakeTransfer[] = [];
  const failures = new Map<FakeOperation, Error[]>();
  let connects = 0;
  let closes = 0;
  const handler: FakeExecHandler = options.exec ??
    ((argv) => ({ exitCode: 127, stdout: "", stderr: `fake: no handler for ${argv[0]}` }));
  const failure = (op: FakeOperation) => failures.get(op)?.shift();

  function connection(): Connection {
    let closed = false;
    /** Runs an operation unless the connection is closed or a failure is queued for it. */
    const run = async <T>(op: FakeOperation, fn: () => T | Promise<T>): Promise<T> => {
      if (closed) throw new Error(`fake: the connection is closed (${op})`);
      const error = failure(op);
      if (error) throw error;
      return await fn();
    };
    const close = () => {
      closed = true;
      closes++;
      return Promise.resolve();
    };
    return {
      exec(argv, opts) {
        const { stdin, idempotent } = opts ?? {};
        calls.push({
          argv: Object.freeze([...argv]),
          ...(stdin !== undefined ? { stdin } : {}),
          ...(idempotent !== undefined ? { idempotent } : {}),
        });
        return run("exec", () => handler(argv, { files, dirs, stdin, idempotent }));
      },
      upload(localBase, remoteBase, entries) {
        transfers.push({ kind: "upload", localBase, remoteBase, entries: [...entries] });
        return run("upload", async (): Promise<TransferResult> => {
          const base = norm(remoteBase);
          let count = 0;
          let bytes = 0;
          const missing: string[] = [];
          for (const entry of entries) {
            const found = await expandLocal(localBase, entry);
            if (!found) missing.push(entry);
            for (const d of found?.dirs ?? []) dirs.add(norm(`${base}/${d}`));
            for (const f of found?.files ?? []) {
              const data = await readFile(join(localBase, f));
              const path = norm(`${base}/${f}`);
              if (files.get(path) === data.toString("utf8")) continue;
              files.set(path, data.toString("utf8"));
              count++;
              bytes += data.length;
            }
          }
          return { files: count, bytes, missing };
        });
      },
      download(remoteBase, localBase, patterns) {
        transfers.push({ kind: "download", remoteBase, localBase, patterns: [...patterns] });
        return run("download", async (): Promise<TransferResult> => {
          const base = norm(remoteBase);
          const written = new Set<string>();
          let bytes = 0;
          const missing: string[] = [];
          for (const pattern of patterns) {
            const found = expandRemote(base, files.keys(), dirs, pattern);
            if (!found) missing.push(pattern);
            for (const d of found?.dirs ?? []) await mkdir(join(localBase, d), { recursive: true });
            for (const f of found?.files ?? []) {
              if (written.has(f)) continue;
              const data = Buffer.from(files.get(norm(`${base}/${f}`))!, "utf8");
              await mkdir(dirname(join(localBase, f)), { recursive: true });
              await writeFile(join(localBase, f), data);
              written.add(f);
              bytes += data.length;
            }
          }
          return { files: written.size, bytes, missing };
        });
      },
      readFiles(paths) {
        transfers.push({ kind: "readFiles", paths: [...paths] });
        return run("readFiles", () => paths.map((p) => files.get(norm(p))));
      },
      writeFiles(list, opts) {
        const made = [...opts?.dirs ?? []];
        transfers.push({ kind: "writeFiles", files: list.map((f) => ({ ...f })), dirs: made });
        return run("writeFiles", () => {
          for (const d of made) dirs.add(norm(d));
          for (const f of list) files.set(norm(f.path), f.content);
        });
      },
      remove(path) {
        transfers.push({ kind: "remove", path });
        return run("remove", () => {
          const p = norm(path);
          for (const key of files.keys()) if (key === p || under(p, key)) files.delete(key);
          for (const key of dirs) if (key === p || under(p, key)) dirs.delete(key);
        });
      },
      close,
      [Symbol.asyncDispose]: close,
    };
  }

  return {
    name: options.name ?? "fake",
    host: options.host ?? "fake-host",
    options: Object.freeze({ remoteRoot }),
    inPlace: false,
    runRoot: (_workBase: string, runId: string) => posix.join(remoteRoot, runId),
    connect() {
      connects++;
      const error = failure("connect");
      return error ? Promise.reject(error) : Promise.resolve(connection());
    },
    permissions: (commands: PermissionNeeds): PermissionNeeds => ({ ...commands }),
    files,
    dirs,
    calls,
    transfers,
    get connects() {
      return connects;
    },
    get closes() {
      return closes;
    },
    failNext(operation: FakeOperation, error: Error, times = 1) {
      const queue = failures.get(operation) ?? [];
      for (let i = 0; i < times; i++) queue.push(error);
      failures.set(operation, queue);
    },
  };
}
