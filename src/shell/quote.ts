const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes a value for a POSIX shell so it stays one literal word: spaces, quotes, `$`,
 * backticks, globs and unicode survive unchanged.
 */
export function quote(value: string): string {
  if (value !== "" && SAFE.test(value)) return value;
  return `'${value.replaceAll("'", `'\\''`)}'`;
}

/**
 * Whether a value is one shell word as written: quotes balanced, `$(...)`, `${...}` and
 * backticks closed, no unquoted blank or `|&;<>()`. Such a value means the same after
 * `export K=` as it does in dpdispatcher's unquoted `export K=V`.
 */
function isOneWord(value: string): boolean {
  const closing: string[] = [];
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    const inner = closing.at(-1);
    if (inner === "'") {
      if (ch === "'") closing.pop();
    } else if (ch === "\\") {
      if (++i >= value.length) return false;
    } else if (ch === inner) closing.pop();
    else if (ch === "$" && (value[i + 1] === "(" || value[i + 1] === "{")) {
      closing.push(value[++i] === "(" ? ")" : "}");
    } else if (ch === "'" || ch === '"' || ch === "`") {
      if (inner !== '"' || ch !== "'") closing.push(ch);
    } else if (inner === ")" && ch === "(") closing.push(")");
    else if (closing.length === 0 && /[\s|&;<>()]/.test(ch)) return false;
  }
  return closing.length === 0;
}

/**
 * Writes an environment value as dpdispatcher users write them. A value that is one shell word
 * stays as written, as dpdispatcher writes it (`export K=V`): `$VAR`, `~`, `$(cmd)` expand and
 * the user's own quotes apply. Any other value (spaces, an unbalanced quote) is double-quoted so
 * its spaces survive while `$VAR` still expands; there quotes and backticks are escaped and
 * backslashes the user wrote are kept, so `\$` still means a literal dollar.
 *
 * @example
 * ```ts
 * import { quoteEnv } from "./quote.ts";
 *
 * console.log(quoteEnv("~/bin:$PATH"), quoteEnv("two words")); // ~/bin:$PATH "two words"
 * ```
 */
export function quoteEnv(value: string): string {
  if (isOneWord(value)) return value;
  let out = "";
  let backslashes = 0;
  for (const ch of value) {
    if ((ch === '"' || ch === "`") && backslashes % 2 === 0) out += "\\";
    out += ch;
    backslashes = ch === "\\" ? backslashes + 1 : 0;
  }
  if (backslashes % 2 === 1) out += "\\";
  return `"${out}"`;
}
