// Pins the key table against the tree dumped from dpdispatcher's arginfo() (testdata README):
// a key dpdispatcher has and this port lacks fails here, and so does a default that differs.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import {
  DP_BATCH_TYPES,
  DP_CONTEXT_TYPES,
  KWARGS,
  MACHINE_KEYS,
  REMOTE_PROFILE_KEYS,
  RESOURCES_KEYS,
  STRATEGY_KEYS,
  SUBMISSION_KEYS,
  TASK_KEYS,
} from "./_dpdispatcher_keys.ts";
import { SSH_PROFILE } from "./_ssh_profile.ts";
import { loadMachine, loadResources, loadTask } from "./load.ts";

interface Entry {
  path: string;
  aliases?: string[];
  default?: unknown;
  choices?: Record<string, string[]>;
  used: boolean;
}
const tree = JSON.parse(
  readFileSync(new URL("./testdata/dpdispatcher/keys.json", import.meta.url), "utf8"),
) as Record<string, Entry[]>;
const entries = Object.values(tree).flat();

/** Whether the table knows a dpdispatcher path (`machine[SSHContext].remote_profile.port`). */
function known(path: string): boolean {
  const p = path.replace(/^submission\.(?=(machine|resources)[.[])/, "").replace(
    /^submission\.task_list\./,
    "task.",
  );
  let m: RegExpMatchArray | null;
  if ((m = p.match(/^machine(?:\[(\w+)\])?\.(\w+)$/))) return MACHINE_KEYS.includes(m[2]);
  if ((m = p.match(/^machine\[(\w+)\]\.remote_profile\.(\w+)$/))) {
    return m[1] === "SSHContext"
      ? m[2] in SSH_PROFILE
      : !!REMOTE_PROFILE_KEYS[m[1]]?.includes(m[2]);
  }
  if ((m = p.match(/^resources(?:\[(\w+)\])?\.(\w+)$/))) {
    return RESOURCES_KEYS.includes(m[2]) && (!m[1] || m[1] in KWARGS);
  }
  if ((m = p.match(/^resources\.strategy\.(\w+)$/))) return STRATEGY_KEYS.includes(m[1]);
  if ((m = p.match(/^resources\[(\w+)\]\.kwargs\.(\w+)$/))) return m[2] in (KWARGS[m[1]] ?? {});
  if ((m = p.match(/^task\.(\w+)$/))) return TASK_KEYS.includes(m[1]);
  if ((m = p.match(/^submission\.(\w+)$/))) return SUBMISSION_KEYS.includes(m[1]);
  return false;
}

Deno.test("every key dpdispatcher defines is known, with its aliases and choices", () => {
  assert.ok(entries.length > 100, `${entries.length} entries`);
  const missing = entries.map((e) => e.path).filter((p) => !known(p));
  assert.deepEqual(missing, []);
  for (const e of entries) {
    const kw = e.path.match(/^resources\[(\w+)\]\.kwargs\.(\w+)$/);
    if (kw && e.aliases) assert.deepEqual(KWARGS[kw[1]][kw[2]], e.aliases, e.path);
    if (e.path.endsWith("machine.context_type")) assert.deepEqual(e.choices, DP_CONTEXT_TYPES);
    if (e.path === "resources.batch_type" && e.choices) {
      assert.deepEqual(e.choices, DP_BATCH_TYPES);
    }
  }
  // The other way round: what the table adds to dpdispatcher is this port's, on purpose.
  const dp = new Set(entries.map((e) => e.path.replace(/\[\w+\]/g, "").split(".").at(-1)));
  const extras = [...MACHINE_KEYS, ...RESOURCES_KEYS, ...TASK_KEYS, ...Object.keys(SSH_PROFILE)]
    .concat(Object.values(KWARGS).flatMap((t) => Object.keys(t)))
    .filter((k) => !dp.has(k));
  assert.deepEqual([...new Set(extras)].sort(), [
    "account",
    "agent",
    "config_file",
    "host_key_policy",
    "keepalive",
    "known_hosts",
    "lsf_job_size",
    "machine_type",
    "memory",
    "pbs_job_size",
    "proxy_jump",
    "qos",
    "sge_job_size",
    "walltime",
  ]);
});

Deno.test("dpdispatcher's defaults are this port's defaults", () => {
  const r = loadResources({ group_size: 1 }) as unknown as Record<string, unknown>;
  const t = loadTask({ command: "x", task_work_path: "t" }) as unknown as Record<string, unknown>;
  const camel = (k: string) => k.replace(/_(\w)/g, (_, c: string) => c.toUpperCase());
  let checked = 0;
  for (const e of [...tree.resources, ...tree.task]) {
    if (e.default === undefined || e.path.includes("[")) continue;
    const [root, ...rest] = e.path.split(".");
    let value: unknown = root === "task" ? t : r;
    for (const k of rest) value = (value as Record<string, unknown>)[camel(k)];
    assert.deepEqual(value, e.default, e.path);
    checked++;
  }
  assert.ok(checked >= 18, `${checked} defaults`);
  const retry = tree.machine.find((e) => e.path === "machine.retry_count")!;
  const m = loadMachine({ batch_type: "Shell", context_type: "LazyLocal", local_root: "." });
  assert.equal(m.retryCount, retry.default);
});
