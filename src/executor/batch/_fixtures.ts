// Helpers the batch schedulers' tests share: captured outputs from testdata/, marker-line
// answers as the batch programs print them, requests, and stand-in commands that log their argv.
// Test-only: imported by *_test.ts files alone, excluded from the published package.
import { readFileSync } from "node:fs";
import type { ExecResult } from "../../transports/transport.ts";
import type { SubmitRequest } from "./scheduler.ts";

/** A reader of `<dir of base>/testdata/<file>`, as `$(...)` captures it: trailing newlines dropped. */
export const testdata = (base: string | URL) => (file: string): string =>
  readFileSync(new URL(`./testdata/${file}`, base), "utf8").replace(/\n+$/, "");

/** One program's output between its marker lines, as `capture()` prints it. */
export const marked = (key: string, text: string, rc = 0): string =>
  `--- ${key}\n${text}\n--- ${key} rc ${rc}\n`;

/** One job's submit answer between the submit function's marker lines. */
export const submitted = (hash: string, text: string, rc = 0): string =>
  `--- ${hash}\n${text}\n\n--- ${hash} rc ${rc}\n`;

/** An exec result. */
export const out = (stdout: string, exitCode: number | null = 0, stderr = ""): ExecResult => ({
  exitCode,
  stdout,
  stderr,
});

/** A submit request as the executor makes it. */
export const req = (hash: string, attempt = 0): SubmitRequest => ({
  hash,
  name: `dpd-${hash}`,
  attempt,
  script: `/r/jobs/${hash}.sh`,
  attemptPrefix: `/r/jobs/${hash}.${attempt}`,
});

/** Status-query jobs with ids as given and hashes `h<id>`. */
export const jobs = (...ids: string[]): { id: string; hash: string }[] =>
  ids.map((id) => ({ id, hash: `h${id}` }));

/** A temporary bin directory with the given stand-ins, and the log they append their argv to. */
export async function standIns(
  scripts: Record<string, string>,
): Promise<{ bin: string; log: string }> {
  const bin = await Deno.makeTempDir();
  const log = `${bin}/calls.log`;
  for (const [name, body] of Object.entries(scripts)) {
    // Each call logs its name and words, one line, words separated by "|".
    const logLine = `(IFS='|'; echo "${name}|$*") >> "$DPD_LOG"`;
    await Deno.writeTextFile(`${bin}/${name}`, `#!/bin/bash\n${logLine}\n${body}\n`);
    await Deno.chmod(`${bin}/${name}`, 0o755);
  }
  return { bin, log };
}

/** Runs an argv with the stand-ins first on PATH and `env` added. */
export function runWith(
  argv: readonly string[],
  where: { bin: string; log: string },
  env: Record<string, string> = {},
): ExecResult {
  const r = new Deno.Command(argv[0], {
    args: argv.slice(1) as string[],
    env: { PATH: `${where.bin}:${Deno.env.get("PATH")}`, DPD_LOG: where.log, ...env },
  }).outputSync();
  const text = (b: Uint8Array) => new TextDecoder().decode(b);
  return { exitCode: r.code, stdout: text(r.stdout), stderr: text(r.stderr) };
}

/** The stand-ins' calls so far: one word list per call, the command first. */
export const calls = (log: string): string[][] => {
  try {
    return Deno.readTextFileSync(log).trim().split("\n").map((l) => l.split("|"));
  } catch {
    return [];
  }
};
