import assert from "node:assert/strict";
import { Buffer } from "node:buffer";
import { createHmac, randomBytes } from "node:crypto";
import { checkHostKey, fingerprint, knownHostsLine, knownKeyTypes } from "./known_hosts.ts";

function blob(type: string, body = randomBytes(32)): Uint8Array {
  const t = Buffer.from(type);
  const len = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  return Buffer.concat([len(t.length), t, len(body.length), body]);
}

const b64 = (k: Uint8Array) => Buffer.from(k).toString("base64");

Deno.test("checkHostKey: known, unknown, changed and revoked keys", () => {
  const key = blob("ssh-ed25519");
  const other = blob("ssh-ed25519");
  const rsa = blob("ssh-rsa");
  const text = `# comment\n[127.0.0.1]:2222 ssh-ed25519 ${b64(key)}\nhpc ssh-rsa ${b64(rsa)}\n`;
  assert.equal(checkHostKey(text, "127.0.0.1", 2222, key).kind, "known");
  assert.equal(checkHostKey(text, "127.0.0.1", 22, key).kind, "unknown");
  assert.equal(checkHostKey(text, "other", 2222, key).kind, "unknown");
  const changed = checkHostKey(text, "127.0.0.1", 2222, other);
  assert.deepEqual(changed, { kind: "changed", expected: [fingerprint(key)] });
  // A key of a type the file does not list for the host is unknown, not changed.
  assert.equal(checkHostKey(text, "hpc", 22, key).kind, "unknown");
  assert.equal(checkHostKey(text, "HPC", 22, rsa).kind, "known");
  const revoked = `@revoked * ssh-ed25519 ${b64(key)}\n${text}`;
  assert.equal(checkHostKey(revoked, "127.0.0.1", 2222, key).kind, "revoked");
});

Deno.test("checkHostKey reads hashed names, wildcards and negations", () => {
  const key = blob("ssh-ed25519");
  const salt = randomBytes(20);
  const hash = createHmac("sha1", salt).update("[login1]:2200").digest("base64");
  const hashed = `|1|${salt.toString("base64")}|${hash} ssh-ed25519 ${b64(key)}\n`;
  assert.equal(checkHostKey(hashed, "login1", 2200, key).kind, "known");
  assert.equal(checkHostKey(hashed, "login2", 2200, key).kind, "unknown");
  const wild = `*.cluster.org,!bad.cluster.org ssh-ed25519 ${b64(key)}\n`;
  assert.equal(checkHostKey(wild, "a.cluster.org", 22, key).kind, "known");
  assert.equal(checkHostKey(wild, "bad.cluster.org", 22, key).kind, "unknown");
  assert.deepEqual(knownKeyTypes(wild, "a.cluster.org", 22), ["ssh-ed25519"]);
});

Deno.test("knownHostsLine writes what checkHostKey then accepts", () => {
  const key = blob("ecdsa-sha2-nistp256");
  const line = knownHostsLine("10.0.0.1", 2022, key);
  assert.match(line, /^\[10\.0\.0\.1\]:2022 ecdsa-sha2-nistp256 \S+\n$/);
  assert.equal(checkHostKey(line, "10.0.0.1", 2022, key).kind, "known");
  assert.match(fingerprint(key), /^SHA256:[A-Za-z0-9+/]{43}$/);
});
