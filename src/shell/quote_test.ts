import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { quote, quoteEnv } from "./quote.ts";

const echo = (word: string, env = "") =>
  execFileSync("bash", ["-c", `${env}printf '%s' ${word}`], {
    encoding: "utf8",
    env: { HOME: "/home/x", PATH: process.env.PATH },
  });

Deno.test("quote keeps hostile values literal in a real shell", () => {
  const hostile = [
    "plain",
    "with space",
    "it's",
    'say "hi"',
    "$HOME",
    "`id`",
    "$(id)",
    "*.txt",
    "ünïcødé 文件",
    "a\\b",
    "",
    "-n",
    "line\nbreak",
    "semi;colon&amp|pipe",
  ];
  for (const value of hostile) {
    assert.equal(echo(quote(value)), value, `value ${JSON.stringify(value)}`);
  }
});

Deno.test("quoteEnv writes one-word values as dpdispatcher does: verbatim, with its meaning", () => {
  const exported = (value: string) =>
    execFileSync("bash", ["-c", `export V=${quoteEnv(value)}; printf '%s' "$V"`], {
      encoding: "utf8",
      env: { HOME: "/home/x", PATH: process.env.PATH },
    });
  const cases: [string, string][] = [
    ["/opt/x:$HOME", "/opt/x:/home/x"],
    ["~/scratch", "/home/x/scratch"],
    ["${HOME}/x", "/home/x/x"],
    ["$(echo a b)", "a b"],
    ["`echo a`", "a"],
    ['"two words"', "two words"],
    ["'a b'", "a b"],
    ["*.txt", "*.txt"],
    ["4", "4"],
    ["", ""],
  ];
  for (const [value, want] of cases) {
    assert.equal(quoteEnv(value), value, `written as is: ${value}`);
    assert.equal(exported(value), want, value);
  }
  // Not one word: dpdispatcher's line would split or fail; ours keeps the value whole.
  for (const value of ["a b", "x;y", "it's", 'say "hi', "a|b", "(x)", "line\nbreak"]) {
    assert.notEqual(quoteEnv(value), value, `quoted: ${value}`);
    assert.equal(exported(value), value, value);
  }
});

Deno.test("quoteEnv keeps spaces and expands $VAR references", () => {
  assert.equal(echo(quoteEnv("/opt/x:$HOME")), "/opt/x:/home/x");
  assert.equal(echo(quoteEnv("two words")), "two words");
  assert.equal(echo(quoteEnv('say "hi"')), 'say "hi"');
  assert.equal(echo(quoteEnv("no `id` here")), "no `id` here");
  assert.equal(echo(quoteEnv("literal \\$HOME")), "literal $HOME");
  assert.equal(echo(quoteEnv("trailing\\")), "trailing\\");
});
