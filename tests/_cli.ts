import { readdir } from "node:fs/promises";
import { join } from "node:path";

const MAIN = new URL("../src/cli/main.ts", import.meta.url).pathname;

/** What one `dpdisp` process did. */
export interface CliResult {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

let ready: Promise<unknown> | undefined;

/**
 * Runs `dpdisp ARGS...` as a subprocess (stdout and stderr are pipes, so no TTY). The first
 * call lets Deno set up node_modules; later ones only read it, so that concurrent processes do
 * not queue on its lock.
 */
export async function dpdisp(...args: string[]): Promise<CliResult> {
  ready ??= run(["--version"], []);
  await ready;
  return await run(args, ["--node-modules-dir=manual"]);
}

/** Runs `dpdisp ARGS...` with `cwd` as the working directory (a user's project, not the clone). */
export async function dpdispIn(cwd: string, ...args: string[]): Promise<CliResult> {
  return await dpdispWith({ cwd }, ...args);
}

/** Runs `dpdisp ARGS...` in `cwd` with extra environment variables. */
export async function dpdispWith(
  o: { cwd?: string; env?: Record<string, string> },
  ...args: string[]
): Promise<CliResult> {
  ready ??= run(["--version"], []);
  await ready;
  return await run(args, ["--node-modules-dir=manual"], o.cwd, o.env);
}

async function run(
  args: readonly string[],
  flags: readonly string[],
  cwd?: string,
  env: Record<string, string> = {},
): Promise<CliResult> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", ...flags, MAIN, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", ...env },
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

/** Maps items through `f`, at most `size` at a time (subprocesses cost ~0.3 s of startup each). */
export async function inBatches<T, R>(
  items: readonly T[],
  size: number,
  f: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await f(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(size, items.length) }, worker));
  return out;
}

/** Every path under `dir`, relative and sorted: to show that a command touched nothing. */
export async function tree(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true }).catch(() => [] as string[]);
  return entries.map((e) => join(e)).sort();
}

/** Writes `count` task directories with an `in.txt` under `<dir>/work`. */
export async function taskDirs(dir: string, count: number): Promise<void> {
  for (let i = 0; i < count; i++) {
    await Deno.mkdir(`${dir}/work/t${i}`, { recursive: true });
    await Deno.writeTextFile(`${dir}/work/t${i}/in.txt`, `in ${i}`);
  }
}
