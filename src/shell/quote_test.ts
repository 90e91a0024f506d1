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

Deno.test("quoteEnv keeps spaces and expands $VAR references", () => {
  assert.equal(echo(quoteEnv("/opt/x:$HOME")), "/opt/x:/home/x");
  assert.equal(echo(quoteEnv("two words")), "two words");
  assert.equal(echo(quoteEnv('say "hi"')), 'say "hi"');
  assert.equal(echo(quoteEnv("no `id` here")), "no `id` here");
  assert.equal(echo(quoteEnv("literal \\$HOME")), "literal $HOME");
  assert.equal(echo(quoteEnv("trailing\\")), "trailing\\");
});
