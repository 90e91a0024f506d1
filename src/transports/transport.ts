import type { PermissionNeeds } from "../plan/permissions.ts";
import type { JsonValue } from "../plan/resources.ts";

/** What a command printed and how it ended. */
export interface ExecResult {
  /** The exit code; `null` when a signal ended it. */
  readonly exitCode: number | null;
  /** Everything it wrote to stdout. */
  readonly stdout: string;
  /** Everything it wrote to stderr. */
  readonly stderr: string;
}

/** What a transfer did. */
export interface TransferResult {
  /** Files copied (unchanged files skipped are not counted). */
  readonly files: number;
  /** Bytes copied. */
  readonly bytes: number;
  /** Entries or patterns that matched nothing. */
  readonly missing: readonly string[];
}

/** An open link to the execution side. The only code that touches disks, processes or networks. */
export interface Connection extends AsyncDisposable {
  /**
   * Runs an argv and waits for it; never throws for a non-zero exit. With `idempotent`, a
   * remote transport may run it again after a dropped link; without it, a drop mid-command
   * throws, since the command may or may not have run (a submission must not be repeated).
   */
  exec(
    argv: readonly string[],
    options?: { readonly stdin?: string; readonly idempotent?: boolean },
  ): Promise<ExecResult>;
  /** Copies entries (files, directories, globs relative to both bases) to the execution side. */
  upload(
    localBase: string,
    remoteBase: string,
    entries: readonly string[],
  ): Promise<TransferResult>;
  /** Copies what the patterns match (relative to both bases) back; unmatched ones are reported. */
  download(
    remoteBase: string,
    localBase: string,
    patterns: readonly string[],
  ): Promise<TransferResult>;
  /** Reads text files; `undefined` for each one that does not exist. */
  readFiles(paths: readonly string[]): Promise<readonly (string | undefined)[]>;
  /**
   * Writes text files atomically (tmp + rename), creating parent directories, and creates
   * `options.dirs` (with parents) on the way: a job script then finds its task directories
   * made, instead of forking a `mkdir` per job.
   */
  writeFiles(
    files: readonly { readonly path: string; readonly content: string }[],
    options?: { readonly dirs?: readonly string[] },
  ): Promise<void>;
  /**
   * Starts a long-running command whose stdout arrives as it is written (the end-file watcher):
   * `close()` ends its stdin, `closed` settles when it exits or its link drops. Absent where
   * reading files is cheap anyway (the local transports).
   */
  stream?(argv: readonly string[], onStdout: (chunk: Uint8Array) => void): StreamHandle;
  /** Removes a file or directory tree; no error if it is absent. */
  remove(path: string): Promise<void>;
  /** Closes the link. */
  close(): Promise<void>;
  /** The login's home directory on the execution side, when a remote root may start with `~/`. */
  readonly home?: string;
}

/** A command started by {@linkcode Connection.stream}. */
export interface StreamHandle {
  /** Settles when the command exits (with its result) or its link drops (rejects). */
  readonly closed: Promise<ExecResult>;
  /** Closes the command's stdin: a watcher then exits. */
  close(): void;
}

/** Options of {@linkcode Transport.connect}. */
export interface ConnectOptions {
  /** Receives notices in words (a dropped link, a reconnect attempt). */
  readonly onWarning?: (message: string) => void;
}

/**
 * How to reach the execution side. A factory result: plain data plus `connect()`.
 * `options` is what a plan records of it, never secrets.
 */
export interface Transport {
  /** `"lazyLocal"`, `"local"`, `"ssh"`. */
  readonly name: string;
  /** The host commands run on (`"localhost"`). */
  readonly host: string;
  /** JSON-safe settings, without secrets. */
  readonly options: Readonly<Record<string, JsonValue>>;
  /** True when tasks run in the work base itself (no copies). */
  readonly inPlace: boolean;
  /** Absolute directory on the execution side where a run's task directories live. */
  runRoot(workBase: string, runId: string): string;
  /** Milliseconds a job's end file may take to become visible after the job left the scheduler (NFS caches listings); overrides the scheduler's own default. */
  readonly endFileGraceMs?: number;
  /** Opens a connection; notices such as reconnects go to `onWarning`. */
  connect(options?: ConnectOptions): Promise<Connection>;
  /**
   * The Deno permissions a run over this transport needs on this machine, given what the
   * scheduler's commands need where they run (`{ run: ["bash", "ps"] }`): a local transport
   * needs those too, a remote one only its own (`--allow-net=host:22`, the ssh files it reads).
   * Without it, the commands are taken to run here.
   */
  permissions?(commands: PermissionNeeds): PermissionNeeds;
}
