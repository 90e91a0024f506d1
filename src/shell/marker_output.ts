/**
 * The marker-line protocol of the commands a batch executor runs: one exec runs many programs
 * (an `sbatch` per job, `squeue` then `sacct`) and prints each one's output between two marker
 * lines, so one round trip answers for all of them:
 *
 * ```text
 * --- <key>
 * <what the program printed>
 * --- <key> rc <exit code>
 * ```
 *
 * `capture(key, command)` writes the bash side; `parseMarkers(stdout)` reads it back.
 *
 * @module
 */

/** What one program printed between its markers: its non-empty lines (trimmed) and exit code. */
export interface MarkedOutput {
  /** Non-empty lines, trimmed. */
  readonly lines: readonly string[];
  /** The exit code, or undefined when the closing marker never came (the exec was cut off). */
  readonly code?: number;
}

/**
 * Reads marker-delimited output: each key's lines and exit code. Lines outside any section are
 * ignored; a key opened twice keeps the last section.
 *
 * @example
 * ```ts
 * import { parseMarkers } from "./marker_output.ts";
 *
 * const out = parseMarkers("--- a\n41\n--- a rc 0\n--- b\nerror: busy\n--- b rc 1\n");
 * console.log(out.get("a"), out.get("b")?.code); // { lines: ["41"], code: 0 } 1
 * ```
 */
export function parseMarkers(stdout: string): Map<string, MarkedOutput> {
  const out = new Map<string, { lines: string[]; code?: number }>();
  let current: { lines: string[]; code?: number } | undefined;
  for (const line of stdout.split("\n")) {
    const end = /^--- (\S+) rc (\d+)$/.exec(line);
    if (end && out.has(end[1])) {
      out.get(end[1])!.code = Number(end[2]);
      current = undefined;
      continue;
    }
    const start = /^--- (\S+)$/.exec(line);
    if (start) out.set(start[1], current = { lines: [] });
    else if (current && line.trim() !== "") current.lines.push(line.trim());
  }
  return out;
}

/**
 * The bash lines that run `command` (a shell fragment), capture stdout and stderr, and print
 * them between `key`'s markers with the exit code. `key` must be one word.
 *
 * @example
 * ```ts
 * import { capture } from "./marker_output.ts";
 *
 * console.log(capture("squeue", "squeue -h -j 1,2"));
 * // dpd_o=$({ squeue -h -j 1,2
 * // } 2>&1); printf -- '--- %s\n%s\n--- %s rc %s\n' squeue "$dpd_o" squeue "$?"
 * ```
 */
export function capture(key: string, command: string): string {
  if (!/^\S+$/.test(key)) {
    throw new TypeError(`Invalid marker key: expected one word, got "${key}"`);
  }
  return `dpd_o=$({ ${command}
} 2>&1); printf -- '--- %s\\n%s\\n--- %s rc %s\\n' ${key} "$dpd_o" ${key} "$?"`;
}
