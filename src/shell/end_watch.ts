/**
 * The end-file watcher: one long-lived command on the execution side that reports every job's
 * end file the moment it is complete, instead of a read per poll. It runs bash builtins only (no
 * process per scan), rescans the jobs directory every quarter second, and exits when its stdin
 * closes, so a dropped link or a closed runner leaves nothing behind.
 *
 * @module
 */

import { Buffer } from "node:buffer";

/**
 * The watcher script: `bash -c WATCH_ENDS dpd <jobs dir> [every]`. Prints `F\0<name>\0<content>\0` once
 * per complete end file (one whose last line is `dpd-end-ok`; a file still being written is read
 * again at the next scan), then `S\0` after each scan: everything complete before a scan began
 * has been printed by its `S`.
 *
 * A scan lists the directory only when it changed: before each listing the watcher writes its
 * stamp file `.dpd-watch.<pid>` there, and while the stamp is newer than the directory (no entry
 * added since) it skips the listing. Equal times list again, so a coarse clock (whole seconds on
 * bash 4) never hides a file. A half-written file, and every `every`th scan (20: 5 s), list regardless.
 * End files arrive by rename, which changes the directory, so an idle watcher costs one `stat`
 * per quarter second instead of reading every job's five files.
 */
export const WATCH_ENDS = `cd "$1" 2>/dev/null || exit 3; shopt -s nullglob; declare -A seen; ` +
  `st=.dpd-watch.$$; trap 'rm -f "$st"' EXIT; trap exit HUP TERM PIPE; n=0; half=1; ` +
  `while :; do if [[ -n $half ]] || (( n++ % \${2:-20} == 0 )) || ! [[ $st -nt . ]]; then ` +
  `echo > "$st" 2>/dev/null; half=; ` +
  `for f in *.end; do [[ -n \${seen[$f]} ]] && continue; c=; ` +
  `IFS= read -r -d '' c < "$f"; [[ $c == *dpd-end-ok$'\\n' ]] || { half=1; continue; }; ` +
  `printf 'F\\0%s\\0%s\\0' "$f" "$c"; seen[$f]=1; done; fi; printf 'S\\0'; ` +
  `read -r -t 0.25 _; (( $? > 128 )) || exit 0; done`;

/** What one chunk of the watcher's output said. */
export interface WatchNews {
  /** End files completed, by file name (no directory), with their text. */
  readonly files: readonly (readonly [string, string])[];
  /** Scans finished in this chunk. */
  readonly scans: number;
}

/**
 * Reads the watcher's output as it streams: chunks may split a record (or a UTF-8 character)
 * anywhere.
 *
 * @example
 * ```ts
 * import { WatchParser } from "./end_watch.ts";
 *
 * const p = new WatchParser();
 * p.push(new TextEncoder().encode("F\0a.0.end\0dpd-end-ok\n\0S"));
 * console.log(p.push(new TextEncoder().encode("\0")).scans); // 1
 * ```
 */
export class WatchParser {
  #pending: Buffer = Buffer.alloc(0);
  #fields: string[] = [];

  /** Feeds a chunk; returns the complete records it finished. */
  push(chunk: Uint8Array): WatchNews {
    this.#pending = this.#pending.length
      ? Buffer.concat([this.#pending, chunk])
      : Buffer.from(chunk);
    const files: [string, string][] = [];
    let scans = 0;
    let at = 0;
    for (let nul = this.#pending.indexOf(0, at); nul >= 0; nul = this.#pending.indexOf(0, at)) {
      this.#fields.push(this.#pending.toString("utf8", at, nul));
      at = nul + 1;
      const [kind, name, text] = this.#fields;
      if (kind === "S") {
        scans++;
        this.#fields = [];
      } else if (kind === "F" && text !== undefined) {
        files.push([name, text]);
        this.#fields = [];
      } else if (kind !== "F") this.#fields = []; // not ours: skip to the next separator
    }
    this.#pending = this.#pending.subarray(at);
    return { files, scans };
  }
}
