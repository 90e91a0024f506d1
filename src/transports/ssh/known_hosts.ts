import { Buffer } from "node:buffer";
import { createHash, createHmac } from "node:crypto";

/** What a known_hosts file says about a host's key. */
export type HostKeyVerdict =
  /** A line lists this exact key for the host. */
  | { readonly kind: "known" }
  /** No line names the host. */
  | { readonly kind: "unknown" }
  /** Lines name the host with other keys of the same type: possibly a man in the middle. */
  | { readonly kind: "changed"; readonly expected: readonly string[] }
  /** The key is marked `@revoked`. */
  | { readonly kind: "revoked" };

interface Entry {
  readonly marker?: string;
  readonly patterns: string;
  readonly type: string;
  readonly key: string;
}

/** The name a known_hosts line uses for a host: `host`, or `[host]:port` off port 22. */
export function hostEntryName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

/** `SHA256:<base64>` as `ssh-keygen -l` prints it, for a raw public key blob. */
export function fingerprint(key: Uint8Array): string {
  return `SHA256:${createHash("sha256").update(key).digest("base64").replace(/=+$/, "")}`;
}

/** The key type named inside a raw SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyType(key: Uint8Array): string {
  const buf = Buffer.from(key);
  return buf.subarray(4, 4 + buf.readUInt32BE(0)).toString("latin1");
}

function parse(text: string): Entry[] {
  const entries: Entry[] = [];
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const fields = line.split(/\s+/);
    const marker = fields[0].startsWith("@") ? fields.shift() : undefined;
    if (fields.length < 3) continue;
    entries.push({ marker, patterns: fields[0], type: fields[1], key: fields[2] });
  }
  return entries;
}

function globMatch(pattern: string, name: string): boolean {
  const re = pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".");
  return new RegExp(`^${re}$`, "i").test(name);
}

/** True when a comma-separated host field (plain, wildcard, negated or `|1|` hashed) names `name`. */
function matches(patterns: string, name: string): boolean {
  let hit = false;
  for (const pattern of patterns.split(",")) {
    if (pattern.startsWith("|1|")) {
      const [salt, hash] = pattern.slice(3).split("|");
      const mac = createHmac("sha1", Buffer.from(salt, "base64")).update(name).digest("base64");
      if (mac === hash) hit = true;
    } else if (pattern.startsWith("!")) {
      if (globMatch(pattern.slice(1), name)) return false;
    } else if (globMatch(pattern, name)) hit = true;
  }
  return hit;
}

/** The key types known_hosts lists for a host (to ask the server for a key we can check). */
export function knownKeyTypes(text: string, host: string, port: number): string[] {
  const name = hostEntryName(host, port);
  return [
    ...new Set(
      parse(text).filter((e) => !e.marker && matches(e.patterns, name)).map((e) => e.type),
    ),
  ];
}

/**
 * Checks a server's raw public key against the text of known_hosts files, as OpenSSH does with
 * `StrictHostKeyChecking`: hashed names, wildcards, negation, `@revoked`; `@cert-authority`
 * lines are skipped.
 *
 * @example
 * ```ts
 * import { checkHostKey } from "./known_hosts.ts";
 *
 * const verdict = checkHostKey("", "hpc.example.org", 22, new Uint8Array([0, 0, 0, 1, 0x61]));
 * console.log(verdict.kind); // "unknown"
 * ```
 */
export function checkHostKey(
  text: string,
  host: string,
  port: number,
  key: Uint8Array,
): HostKeyVerdict {
  const name = hostEntryName(host, port);
  const blob = Buffer.from(key).toString("base64");
  const type = keyType(key);
  const entries = parse(text);
  if (entries.some((e) => e.marker === "@revoked" && e.key === blob)) return { kind: "revoked" };
  const mine = entries.filter((e) => !e.marker && matches(e.patterns, name));
  if (mine.some((e) => e.key === blob)) return { kind: "known" };
  const sameType = mine.filter((e) => e.type === type);
  if (sameType.length === 0) return { kind: "unknown" };
  return {
    kind: "changed",
    expected: sameType.map((e) => fingerprint(Buffer.from(e.key, "base64"))),
  };
}

/** The known_hosts line to append for a newly accepted key. */
export function knownHostsLine(host: string, port: number, key: Uint8Array): string {
  return `${hostEntryName(host, port)} ${keyType(key)} ${Buffer.from(key).toString("base64")}\n`;
}
