import { Buffer } from "node:buffer";
import { createHmac } from "node:crypto";

const BASE32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** Decodes RFC 4648 base32 (case-insensitive; spaces, dashes and padding ignored). */
function base32(secret: string): Uint8Array {
  const clean = secret.toUpperCase().replace(/[\s=-]/g, "");
  const bytes: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of clean) {
    const digit = BASE32.indexOf(ch);
    if (digit < 0) {
      throw new TypeError(`Invalid ssh.totpSecret: expected base32 text, got a "${ch}" in it`);
    }
    value = (value << 5) | digit;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      bytes.push((value >>> bits) & 0xff);
    }
  }
  if (bytes.length === 0) {
    throw new TypeError('Invalid ssh.totpSecret: expected base32 text, got ""');
  }
  return new Uint8Array(bytes);
}

/**
 * The RFC 6238 time-based one-time password (HMAC-SHA1, 30 s steps, 6 digits) for a base32
 * secret, as authenticator apps and `pam_google_authenticator` compute it.
 *
 * @example
 * ```ts
 * import { totp } from "@deepmodeling/dpdispatcher";
 *
 * const code = totp("JBSWY3DPEHPK3PXP"); // e.g. "492039"
 * console.log(code.length); // 6
 * ```
 */
export function totp(
  secret: string,
  atMs: number = Date.now(),
  digits = 6,
  stepSeconds = 30,
): string {
  const counter = Math.floor(atMs / 1000 / stepSeconds);
  const message = Buffer.alloc(8);
  message.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac("sha1", base32(secret)).update(message).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const binary = (mac.readUInt32BE(offset) & 0x7fffffff) % 10 ** digits;
  return String(binary).padStart(digits, "0");
}
