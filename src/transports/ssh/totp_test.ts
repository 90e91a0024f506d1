import assert from "node:assert/strict";
import { totp } from "./totp.ts";

// RFC 6238 appendix B, SHA1 column: the secret is the ASCII "12345678901234567890".
const RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

Deno.test("totp matches the RFC 6238 SHA1 test vectors", () => {
  const vectors: [number, string][] = [
    [59, "94287082"],
    [1111111109, "07081804"],
    [1111111111, "14050471"],
    [1234567890, "89005924"],
    [2000000000, "69279037"],
    [20000000000, "65353130"],
  ];
  for (const [seconds, code] of vectors) assert.equal(totp(RFC_SECRET, seconds * 1000, 8), code);
});

Deno.test("totp gives 6 digits that change with the 30 s step", () => {
  const a = totp("JBSWY3DPEHPK3PXP", 0);
  assert.match(a, /^\d{6}$/);
  assert.equal(totp("jbsw y3dp ehpk 3pxp", 29_999), a);
  assert.notEqual(totp("JBSWY3DPEHPK3PXP", 30_000 * 7), a);
});

Deno.test("totp rejects a secret that is not base32, naming the character", () => {
  assert.throws(() => totp("JBSWY3DP1"), /ssh\.totpSecret.*"1"/);
});
