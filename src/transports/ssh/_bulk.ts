// Many files per command over one exec channel: reads of end files, writes of job scripts (one
// tar stream), downloads of every result a poll found (patterns on stdin: no argv limit).
import { Buffer } from "node:buffer";
import { randomBytes } from "node:crypto";
import { dirname, posix } from "node:path";
import type { Readable } from "node:stream";
// @ts-types="npm:@types/tar-stream@^3.1.4"
import tar from "npm:tar-stream@^3.1.7";
import { mapLimit } from "../../_map_limit.ts";
import { CommandError } from "../../errors.ts";
import { quote } from "../../shell/quote.ts";
import type { ExecResult, TransferResult } from "../transport.ts";
import { gunzipped, type Pipeable } from "./_streams.ts";
import { unpackInto } from "./_tar.ts";

/** Runs one command on the live link, with stdin and a stdout consumer. */
export type ExecOn = (
  command: string,
  io?: { stdin?: string | Pipeable; stdout?: (stream: Readable) => Promise<unknown> },
) => Promise<ExecResult>;

// Prints "<index>\0<content>\0" for each readable file among the arguments, with builtins only.
const READ_MANY = `i=0; for f in "$@"; do if [ -f "$f" ] && [ -r "$f" ]; then c=; ` +
  `IFS= read -r -d '' c < "$f"; printf '%s\\0%s\\0' "$i" "$c"; fi; i=$((i+1)); done; true`;

/**
 * Reads many small text files with one command per 1,000 (a poll reads every live job's end
 * file): the shell's builtins only, so no process per file, and one round trip instead of a
 * few SFTP requests per file.
 */
export async function readMany(
  execOn: ExecOn,
  host: string,
  paths: readonly string[],
): Promise<(string | undefined)[]> {
  const chunks: (readonly string[])[] = [];
  for (let i = 0; i < paths.length; i += 1000) chunks.push(paths.slice(i, i + 1000));
  const parts = await mapLimit(chunks, 4, async (chunk) => {
    const argv = ["bash", "-c", READ_MANY, "dpd", ...chunk];
    const started = Date.now();
    const result = await execOn(argv.map(quote).join(" "));
    if (result.exitCode !== 0) {
      throw CommandError.of(
        `Cannot read ${chunk.length} files`,
        argv.slice(0, 2),
        host,
        result,
        started,
      );
    }
    const out: (string | undefined)[] = new Array(chunk.length).fill(undefined);
    const fields = result.stdout.split("\0");
    for (let k = 0; k + 1 < fields.length; k += 2) out[Number(fields[k])] = fields[k + 1];
    return out;
  });
  return parts.flat();
}

// $1: the temporary directory (absolute), then the target directories. The tar (stdin) holds
// every directory to create at its own path and every file under $1 + its target directory;
// each directory's files then move into place with one rename each (mv -t: one process per
// directory, not per file), so a reader never sees half a file.
const WRITE_MANY = `set -e; t="$1"; shift; cd /; tar -x --no-overwrite-dir -f -; ` +
  `for d in "$@"; do if [ -d "$t$d" ]; then find "$t$d" -mindepth 1 -maxdepth 1 -type f ` +
  `-exec mv -f -t "$d" {} +; fi; done; rm -rf "$t"`;

/** At most this many target directories go through one tar write; more go file by file. */
export const WRITE_MANY_DIRS = 64;

/** The deepest directory holding every path. */
function commonDir(paths: readonly string[]): string {
  let common = paths[0].split("/");
  for (const p of paths.slice(1)) {
    const parts = p.split("/");
    let k = 0;
    while (k < common.length && k < parts.length && common[k] === parts[k]) k++;
    common = common.slice(0, k);
  }
  return common.join("/") || "/";
}

/**
 * Writes many text files (absolute paths) and creates `dirs`, in one command fed one tar
 * stream: the job scripts of a whole run travel in one round trip.
 */
export async function writeMany(
  execOn: ExecOn,
  host: string,
  files: readonly { readonly path: string; readonly content: string }[],
  dirs: readonly string[],
): Promise<void> {
  const targets = [...new Set(files.map((f) => dirname(f.path)))];
  const tmp = posix.join(commonDir(targets), `.dpd-write-${randomBytes(4).toString("hex")}`);
  const rel = (path: string) => path.replace(/^\/+/, "");
  const pack = tar.pack();
  const allDirs = [...new Set([...dirs, ...targets])];
  for (const d of allDirs) pack.entry({ name: rel(d), type: "directory", mode: 0o755 });
  for (const f of files) {
    pack.entry({ name: rel(posix.join(tmp, f.path)), mode: 0o644 }, Buffer.from(f.content, "utf8"));
  }
  pack.finalize();
  const argv = ["bash", "-c", WRITE_MANY, "dpd", tmp, ...targets];
  const started = Date.now();
  const result = await execOn(argv.map(quote).join(" "), { stdin: pack });
  if (result.exitCode !== 0) {
    throw CommandError.of(
      `Cannot write ${files.length} files`,
      argv.slice(0, 2),
      host,
      result,
      started,
    );
  }
}

/**
 * The download command: reads NUL-separated patterns (relative to $1) from stdin, reports
 * unmatched ones on stderr as `dpd-missing <pattern>`, and sends what matched as one tar
 * (`-z` when compressing). Exit 3: no such directory.
 */
function downloadScript(compress: boolean): string {
  // A read loop, not mapfile -d (bash 4.4): clusters still run bash 4.2.
  return `cd "$1" 2>/dev/null || exit 3; shopt -s nullglob dotglob globstar; IFS=; ` +
    `found=(); while read -r -d '' p; do if [[ $p == *[*?[]* ]]; then ` +
    `m=( $p ); elif [[ -e $p ]]; then m=( "$p" ); else m=(); fi; if (( \${#m[@]} )); then ` +
    `found+=( "\${m[@]}" ); else printf 'dpd-missing %s\\n' "$p" >&2; fi; done; ` +
    `(( \${#found[@]} )) || exit 0; printf '%s\\0' "\${found[@]}" | ` +
    `exec tar -c${compress ? "z" : ""} -h --null -T - -f -`;
}

/**
 * Brings home what the patterns (relative to `remoteBase`) match, as one tar stream unpacked
 * under `localBase`; unmatched patterns are reported, an absent `remoteBase` misses them all.
 */
export async function downloadMany(
  execOn: ExecOn,
  host: string,
  o: { remoteBase: string; localBase: string; patterns: readonly string[]; compress: boolean },
): Promise<TransferResult> {
  // Patterns on stdin: the results of thousands of jobs in one command, no argv limit.
  const argv = ["bash", "-c", downloadScript(o.compress), "dpd", o.remoteBase];
  const started = Date.now();
  let got = { files: 0, bytes: 0 };
  const result = await execOn(argv.map(quote).join(" "), {
    stdin: o.patterns.map((p) => `${p}\0`).join(""),
    stdout: async (
      stream,
    ) => (got = await unpackInto(o.localBase, o.compress ? gunzipped(stream) : stream)),
  });
  if (result.exitCode === 3) return { files: 0, bytes: 0, missing: [...o.patterns] };
  // GNU tar exits 1 when a file changed while it was read: what it sent is still whole.
  if (result.exitCode !== 0 && result.exitCode !== 1) {
    throw CommandError.of(
      `Cannot download from ${o.remoteBase}`,
      argv.slice(0, 2),
      host,
      result,
      started,
    );
  }
  const missing = result.stderr.split("\n").filter((l) => l.startsWith("dpd-missing "))
    .map((l) => l.slice("dpd-missing ".length));
  return { ...got, missing };
}
