import { WATCH_ENDS, WatchParser } from "../../shell/end_watch.ts";
import type { Connection, StreamHandle } from "../../transports/transport.ts";

/** After the watcher stops, the first restart waits this long; then twice as long, up to a minute. */
const RESTART_MS = 2_000;

/** What an {@linkcode EndWatch} needs besides its connection and directory. */
export interface EndWatchOptions {
  /** The execution host, for messages. */
  readonly host: string;
  /** The runner's clock. */
  readonly now: () => number;
  /** Receives notices (the watcher stopped). */
  readonly onWarning?: (message: string, error?: Error) => void;
}

/**
 * Keeps one end-file watcher (`shell/end_watch.ts`) running on the execution side, where the
 * connection can stream: every end file arrives once, as soon as it is complete, so a poll reads
 * none and the runner wakes on news instead of at its next interval. While it is down (a dropped
 * link, no bash 4), polls read the end files themselves, and it restarts with backoff.
 *
 * @example
 * ```ts ignore
 * const watch = new EndWatch(conn, jobsDir, { host, now: Date.now, onWarning: console.warn });
 * watch.ensure();
 * const texts = watch.texts(paths); // undefined until its first scan: read them instead
 * ```
 */
export class EndWatch {
  readonly #conn: Connection;
  readonly #dir: string;
  readonly #options: EndWatchOptions;
  #handle?: StreamHandle;
  #scanned = false;
  #closing = false;
  #failures = 0;
  #retryAt = 0;
  readonly #texts = new Map<string, string>();
  #waiters: (() => void)[] = [];

  /** A watcher of the end files in `jobsDir`, over `conn` (which must be able to stream). */
  constructor(conn: Connection, jobsDir: string, options: EndWatchOptions) {
    this.#conn = conn;
    this.#dir = jobsDir;
    this.#options = options;
  }

  /** Starts the watcher unless it runs, or waits out its restart backoff. */
  ensure(): void {
    if (this.#handle || this.#closing || !this.#conn.stream) return;
    if (this.#options.now() < this.#retryAt) return;
    const parser = new WatchParser();
    this.#scanned = false;
    const handle = this.#conn.stream(["bash", "-c", WATCH_ENDS, "dpd", this.#dir], (chunk) => {
      const news = parser.push(chunk);
      for (const [name, text] of news.files) this.#texts.set(name, text);
      if (news.scans > 0 && !this.#scanned) {
        this.#scanned = true;
        this.#failures = 0;
      }
      if (news.files.length > 0) this.#wake();
    });
    this.#handle = handle;
    const stopped = (why: string, error?: Error) => {
      if (this.#handle !== handle) return;
      this.#handle = undefined;
      this.#scanned = false;
      if (this.#closing) return;
      const wait = Math.min(RESTART_MS * 2 ** this.#failures++, 60_000);
      this.#retryAt = this.#options.now() + wait;
      this.#options.onWarning?.(
        `The end-file watcher on ${this.#options.host} stopped (${why}); polls read the end files until it restarts in ${
          wait / 1000
        } s`,
        error,
      );
      this.#wake();
    };
    handle.closed.then(
      (r) =>
        stopped(`exit code ${r.exitCode}${r.stderr ? `: ${r.stderr.trim().slice(-200)}` : ""}`),
      (e: Error) => stopped(e.message, e),
    );
  }

  /**
   * The text of each end file (absolute paths in the jobs directory), `undefined` for one not
   * complete yet; or `undefined` when the watcher has not finished a scan (read them instead).
   */
  texts(paths: readonly string[]): (string | undefined)[] | undefined {
    if (!this.#scanned) return undefined;
    const prefix = `${this.#dir}/`;
    return paths.map((p) =>
      p.startsWith(prefix) ? this.#texts.get(p.slice(prefix.length)) : undefined
    );
  }

  /** Forgets end files of attempts no longer live (their news was taken). */
  keepOnly(paths: readonly string[]): void {
    const prefix = `${this.#dir}/`;
    const keep = new Set(paths.map((p) => p.slice(prefix.length)));
    for (const name of this.#texts.keys()) if (!keep.has(name)) this.#texts.delete(name);
  }

  /** Resolves when an end file arrives or the watcher stops; undefined when none runs. */
  news(): Promise<void> | undefined {
    if (!this.#handle) return undefined;
    return new Promise<void>((resolve) => this.#waiters.push(resolve));
  }

  /** Stops the watcher (it exits when its stdin closes). */
  close(): void {
    this.#closing = true;
    this.#handle?.close();
    this.#wake();
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }
}
