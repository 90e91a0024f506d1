/**
 * Did-you-mean: the closest known word to a typo, for unknown commands, options, keys and
 * values.
 *
 * @module
 */

/** Levenshtein distance between two strings. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const next = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = row[j];
      row[j] = next;
    }
  }
  return row[b.length];
}

/**
 * The known word closest to `word` (case-insensitive), if it is close enough to be a typo:
 * at most 2 edits, or a quarter of the word's length for long words.
 *
 * @example
 * ```ts
 * import { suggest } from "./suggest.ts";
 *
 * suggest("sumbit", ["submit", "status"]); // "submit"
 * suggest("frobnicate", ["submit", "status"]); // undefined
 * ```
 */
export function suggest(word: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = distance(word.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  return bestDistance <= Math.max(2, Math.floor(word.length / 4)) ? best : undefined;
}

/**
 * `; did you mean "x"?` for a typo of one of `known`, else the empty string: the tail of an
 * error message.
 *
 * @example
 * ```ts
 * import { didYouMean } from "./suggest.ts";
 *
 * `unknown command "sumbit"${didYouMean("sumbit", ["submit"])}`;
 * // 'unknown command "sumbit"; did you mean "submit"?'
 * ```
 */
export function didYouMean(word: string, known: readonly string[]): string {
  const best = suggest(word, known);
  return best === undefined || best === word ? "" : `; did you mean "${best}"?`;
}
