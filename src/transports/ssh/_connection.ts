// @ts-types="npm:@types/ssh2@^1.15.6"
import type { SFTPWrapper } from "npm:ssh2@^1.17.0";
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { dirname } from "node:path";
import { PassThrough, type Readable } from "node:stream";
import { mapLimit, Slots } from "../../_map_limit.ts";
import { CommandError, ConnectionError } from "../../errors.ts";
import { quote } from "../../shell/quote.ts";
import type { Connection, ExecResult, StreamHandle, TransferResult } from "../transport.ts";
import type { Hop } from "./_hops.ts";
import { type Link, login, type LoginSettings, type Secrets } from "./_login.ts";
import { downloadMany, type ExecOn, readMany, WRITE_MANY_DIRS, writeMany } from "./_bulk.ts";
import { coalesced, gzipped, type Pipeable } from "./_streams.ts";
import { listLocal, packFiles, unsent } from "./_tar.ts";

/** Everything a connection needs; secrets stay in memory. */
export interface SshSettings {
  readonly hops: readonly Hop[];
  readonly login: LoginSettings;
  readonly secrets: Secrets;
  /** Channels open at once on the shared connection (sshd's MaxSessions is 10 by default). */
  readonly maxChannels: number;
  /** Reconnect tries after a drop before the run stops (a rerun resumes it). */
  readonly reconnectAttempts: number;
  /** Gzip tar streams both ways. */
  readonly tarCompress?: boolean;
  /** Run once after every login (dpdispatcher's `execute_command`). */
  readonly executeCommand?: string;
  /** Where reconnect notices go (the runner turns them into warning events). */
  readonly onWarning?: (message: string) => void;
}

/** The channel closed without an exit status: the link went down under it. */
class LinkLost extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One SSH connection shared by every command and file operation of a run. It reconnects with
 * exponential backoff when the link drops; operations that are safe to repeat are retried on
 * the new link, and a submit cut off mid-way fails as "outcome unknown" so the runner looks the
 * job up by name instead of submitting it again.
 */
export class SshConnection implements Connection {
  readonly #settings: SshSettings;
  readonly #slots: Slots;
  #link?: Link;
  #linking?: Promise<Link>;
  #sftp?: { link: Link; sftp: Promise<SFTPWrapper> };
  #closed = false;
  /** Counters for benchmarks: exec channels opened and SFTP requests made. */
  readonly stats = { logins: 0, execs: 0, sftpOps: 0 };

  private constructor(settings: SshSettings) {
    this.#settings = settings;
    this.#slots = new Slots(Math.max(1, settings.maxChannels - 1)); // one is the SFTP channel
  }

  /** Logs in (retrying network faults briefly) and returns the connection. */
  static async open(settings: SshSettings): Promise<SshConnection> {
    const connection = new SshConnection(settings);
    const link = await connection.#getLink(Math.min(2, settings.reconnectAttempts));
    // SFTP starts in the login's home: its real path resolves "~/" remote roots.
    const sftp = await connection.#sftpOf(link);
    connection.home = await new Promise<string>((resolve, reject) =>
      sftp.realpath(".", (err, path) => (err ? reject(err) : resolve(path)))
    );
    return connection;
  }

  /** The login's home directory (resolves a `~/` remote root). */
  home?: string;

  get #target(): Hop {
    return this.#settings.hops[this.#settings.hops.length - 1];
  }

  #getLink(attempts = this.#settings.reconnectAttempts): Promise<Link> {
    if (this.#closed) {
      return Promise.reject(new Error(`The SSH connection to ${this.#target.host} is closed`));
    }
    if (this.#link && !this.#link.dead) return Promise.resolve(this.#link);
    this.#linking ??= this.#relink(attempts).finally(() => (this.#linking = undefined));
    return this.#linking;
  }

  async #relink(attempts: number): Promise<Link> {
    const { hops, login: loginSettings, secrets, executeCommand } = this.#settings;
    const started = Date.now();
    for (let attempt = 0;; attempt++) {
      try {
        const link = await login(hops, loginSettings, secrets);
        this.stats.logins++;
        if (executeCommand) {
          const result = await this.#execOn(link, executeCommand);
          if (result.exitCode !== 0) {
            link.end();
            throw new CommandError("ssh.executeCommand failed", {
              argv: [executeCommand],
              host: this.#target.host,
              ...result,
              durationMs: 0,
            });
          }
        }
        if (this.#link) {
          const { host, port } = this.#target;
          this.#settings.onWarning?.(`The connection to ${host}:${port} dropped; reconnected`);
        }
        this.#link = link;
        return link;
      } catch (e) {
        if (!(e instanceof ConnectionError) || !e.retryable) throw e;
        if (attempt >= attempts) {
          const seconds = Math.round((Date.now() - started) / 1000);
          // Not retryable any more: the runner stops, and a rerun resumes from the journal.
          throw new ConnectionError(
            `${e.message}; gave up after ${attempt + 1} tries over ${seconds} s (rerun to resume)`,
            e.host,
            e.port,
            false,
            { cause: e },
          );
        }
        const delay = Math.min(1000 * 2 ** attempt, 30_000);
        this.#settings.onWarning?.(
          `${e.message}; reconnecting in ${delay / 1000} s (try ${attempt + 1} of ${attempts})`,
        );
        await sleep(delay);
      }
    }
  }

  /** Runs an operation on the live link; after a drop, repeats it on a new link if it is safe to. */
  async #withLink<T>(what: string, idempotent: boolean, op: (link: Link) => Promise<T>) {
    while (true) {
      const link = await this.#getLink();
      try {
        return await op(link);
      } catch (e) {
        if (!link.dead && !(e instanceof LinkLost)) {
          // The close event may trail the failed operation by a moment.
          await Promise.race([link.closed, sleep(100)]);
          if (!link.dead) throw e;
        }
        if (this.#closed) throw e;
        if (!idempotent) {
          const { host, port } = this.#target;
          throw new ConnectionError(
            `The connection to ${host}:${port} dropped while running ${what}; it may or may not have run`,
            host,
            port,
            true,
            { cause: e },
          );
        }
      }
    }
  }

  #execOn(
    link: Link,
    command: string,
    io: { stdin?: string | Pipeable; stdout?: (stream: Readable) => Promise<unknown> } = {},
  ): Promise<ExecResult> {
    return this.#slots.use(() => {
      this.stats.execs++;
      return new Promise<ExecResult>((resolve, reject) => {
        link.client.exec(command, (err, channel) => {
          if (err) return reject(link.dead ? new LinkLost(err.message) : err);
          const out: Buffer[] = [];
          const errs: Buffer[] = [];
          let code: number | null | undefined;
          let sink: Promise<unknown> = Promise.resolve();
          channel.on("exit", (c: number | null) => (code = c ?? null));
          channel.stderr.on("data", (d: Buffer) => errs.push(d));
          if (io.stdout) sink = io.stdout(channel);
          else channel.on("data", (d: Buffer) => out.push(d));
          channel.on("close", () => {
            sink.then(() => {
              if (code === undefined) return reject(new LinkLost("channel closed"));
              resolve({
                exitCode: code,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(errs).toString("utf8"),
              });
            }, (e) => reject(code === undefined ? new LinkLost(String(e)) : e));
          });
          if (typeof io.stdin === "string") channel.end(io.stdin);
          else if (io.stdin) {
            io.stdin.on("error", (e: Error) => channel.emit("error", e));
            io.stdin.pipe(channel);
          } else channel.end();
        });
      });
    });
  }

  #sftpOf(link: Link): Promise<SFTPWrapper> {
    if (this.#sftp?.link !== link) {
      const sftp = new Promise<SFTPWrapper>((resolve, reject) =>
        link.client.sftp((err, s) => (err ? reject(err) : resolve(s)))
      );
      sftp.catch(() => {});
      this.#sftp = { link, sftp };
    }
    return this.#sftp.sftp;
  }

  exec(
    argv: readonly string[],
    options?: { readonly stdin?: string; readonly idempotent?: boolean },
  ): Promise<ExecResult> {
    return this.#withLink(
      argv.join(" ").slice(0, 80),
      options?.idempotent ?? false,
      (link) => this.#execOn(link, argv.map(quote).join(" "), { stdin: options?.stdin }),
    );
  }

  stream(argv: readonly string[], onStdout: (chunk: Uint8Array) => void): StreamHandle {
    const stdin = new PassThrough(); // never written: the command exits when it ends
    const closed = this.#getLink().then((link) =>
      this.#execOn(link, argv.map(quote).join(" "), {
        stdin,
        stdout: async (out) => {
          for await (const chunk of out) onStdout(chunk as Uint8Array);
        },
      })
    );
    closed.catch(() => {});
    return { closed, close: () => stdin.end() };
  }

  async #run(link: Link, what: string, argv: readonly string[], stdin?: string) {
    const started = Date.now();
    const result = await this.#execOn(link, argv.map(quote).join(" "), { stdin });
    if (result.exitCode !== 0) {
      throw CommandError.of(what, argv, this.#target.host, result, started);
    }
    return result;
  }

  async upload(
    localBase: string,
    remoteBase: string,
    entries: readonly string[],
  ): Promise<TransferResult> {
    const { files, dirs, missing } = await listLocal(localBase, entries);
    if (files.length === 0 && dirs.length === 0) return { files: 0, bytes: 0, missing };
    return this.#withLink("an upload", true, async (link) => {
      // One listing of what is already there: unchanged files (size and mtime) are not sent.
      const listing = await this.#execOn(
        link,
        `cd ${
          quote(remoteBase)
        } 2>/dev/null && find -L . -type f -printf '%s %T@ %P\\0' 2>/dev/null; true`,
      );
      const { todo, newDirs } = unsent(listing.stdout, files, dirs);
      if (todo.length === 0 && newDirs.length === 0) return { files: 0, bytes: 0, missing };
      const zip = this.#settings.tarCompress;
      const argv = ["tar", zip ? "-xz" : "-x", "-f", "-", "-C", remoteBase, "--no-same-owner"];
      const started = Date.now();
      const pack = packFiles(localBase, todo, newDirs);
      const result = await this.#execOn(
        link,
        `mkdir -p ${quote(remoteBase)} && ${argv.map(quote).join(" ")}`,
        { stdin: zip ? gzipped(pack) : coalesced(pack) },
      );
      if (result.exitCode !== 0) {
        throw CommandError.of(
          `Cannot upload ${todo.length} files`,
          argv,
          this.#target.host,
          result,
          started,
        );
      }
      return { files: todo.length, bytes: todo.reduce((n, f) => n + f.size, 0), missing };
    });
  }

  download(
    remoteBase: string,
    localBase: string,
    patterns: readonly string[],
  ): Promise<TransferResult> {
    if (patterns.length === 0) return Promise.resolve({ files: 0, bytes: 0, missing: [] });
    const compress = this.#settings.tarCompress ?? false;
    return this.#withLink(
      "a download",
      true,
      (link) =>
        downloadMany(this.#execOnLink(link), this.#target.host, {
          remoteBase,
          localBase,
          patterns,
          compress,
        }),
    );
  }

  readFiles(paths: readonly string[]): Promise<readonly (string | undefined)[]> {
    if (paths.length === 0) return Promise.resolve([]);
    if (paths.length > 4) return this.#readMany(paths);
    return this.#withLink("reading files", true, async (link) => {
      const sftp = await this.#sftpOf(link);
      return mapLimit(paths, 64, (path) =>
        new Promise<string | undefined>((resolve, reject) => {
          this.stats.sftpOps++;
          sftp.readFile(path, (err: Error & { code?: number } | null | undefined, data: Buffer) => {
            if (!err) return resolve(data.toString("utf8"));
            if (err.code === 2) return resolve(undefined); // SSH_FX_NO_SUCH_FILE
            reject(link.dead ? new LinkLost(err.message) : err);
          });
        }));
    });
  }

  #readMany(paths: readonly string[]): Promise<readonly (string | undefined)[]> {
    return this.#withLink(
      "reading files",
      true,
      (link) => readMany(this.#execOnLink(link), this.#target.host, paths),
    );
  }

  /** `#execOn` bound to one link, for the bulk operations. */
  #execOnLink(link: Link): ExecOn {
    return (command, io) => this.#execOn(link, command, io);
  }

  writeFiles(
    files: readonly { readonly path: string; readonly content: string }[],
    options?: { readonly dirs?: readonly string[] },
  ): Promise<void> {
    if (files.length === 0 && !options?.dirs?.length) return Promise.resolve();
    const targets = new Set(files.map((f) => dirname(f.path)));
    if (files.length > 4 && targets.size <= WRITE_MANY_DIRS) {
      // One tar stream for every job script of a run, instead of two SFTP requests per file.
      return this.#withLink(
        "writing files",
        true,
        (link) => writeMany(this.#execOnLink(link), this.#target.host, files, options?.dirs ?? []),
      );
    }
    return this.#withLink("writing files", true, async (link) => {
      const dirs = [...new Set([...targets, ...options?.dirs ?? []])];
      // NUL-separated on stdin: xargs splits any number of them into argv-sized mkdir calls.
      const mkdir = ["xargs", "-0", "-r", "mkdir", "-p", "--"];
      await this.#run(link, "Cannot create directories", mkdir, dirs.join("\0"));
      const sftp = await this.#sftpOf(link);
      const tag = randomBytes(4).toString("hex");
      await mapLimit(files, 64, (f) =>
        new Promise<void>((resolve, reject) => {
          const tmp = `${f.path}.tmp-${tag}`;
          const fail = (err: Error) => reject(link.dead ? new LinkLost(err.message) : err);
          this.stats.sftpOps += 2;
          sftp.writeFile(tmp, f.content, (err) => {
            if (err) return fail(err);
            sftp.ext_openssh_rename(tmp, f.path, (e) => (e ? fail(e) : resolve()));
          });
        }));
    });
  }

  remove(path: string): Promise<void> {
    return this.#withLink(
      "a removal",
      true,
      async (link) =>
        void await this.#run(link, `Cannot remove ${path}`, ["rm", "-rf", "--", path]),
    );
  }

  close(): Promise<void> {
    this.#closed = true;
    this.#link?.end();
    return Promise.resolve();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
