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
 * Double-quotes an environment value the way dpdispatcher users write them: spaces survive
 * while `$VAR` references still expand (`"/opt/x/bin:$PATH"`). Quotes and backticks are
 * escaped; backslashes the user wrote are kept, so `\$` still means a literal dollar.
 */
export function quoteEnv(value: string): string {
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
