import { type Task, task } from "../mod.ts";

/** A fresh temporary directory. */
export function tempDir(prefix = "dpd-test-"): Promise<string> {
  return Deno.makeTempDir({ prefix });
}

/** Tasks that each append one line to `<countDir>/<i>` (so runs can be counted) and write out.txt. */
export function countingTasks(count: number, countDir: string, extra = ""): Task[] {
  return Array.from({ length: count }, (_, i) =>
    task({
      command: `echo run >> '${countDir}/${i}'; ${extra} echo "task ${i}" > out.txt`,
      taskWorkPath: `task-${String(i).padStart(3, "0")}`,
      backwardFiles: ["out.txt"],
    }));
}

/** How many times each counting task ran. */
export async function runCounts(countDir: string, count: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const text = await Deno.readTextFile(`${countDir}/${i}`).catch(() => "");
    out.push(text.split("\n").filter(Boolean).length);
  }
  return out;
}

/** Pids of live processes whose command line mentions `needle`. */
export async function processesMentioning(needle: string): Promise<number[]> {
  const pids: number[] = [];
  for await (const entry of Deno.readDir("/proc")) {
    if (!/^\d+$/.test(entry.name) || Number(entry.name) === Deno.pid) continue;
    try {
      const stat = await Deno.readTextFile(`/proc/${entry.name}/stat`);
      if (/^\d+ \(.*\) Z/.test(stat)) continue;
      const cmd = (await Deno.readTextFile(`/proc/${entry.name}/cmdline`)).replaceAll("\0", " ");
      if (cmd.includes(needle)) pids.push(Number(entry.name));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

/** Waits until `check` holds, polling every 50 ms, or fails after `ms`. */
export async function waitFor(
  check: () => Promise<boolean> | boolean,
  ms = 10_000,
  what = "condition",
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
