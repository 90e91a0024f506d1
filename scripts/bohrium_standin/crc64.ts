// CRC-64/ECMA-182 as Aliyun OSS reports it in `x-oss-hash-crc64ecma` (reflected polynomial
// 0xC96C5795D7870F42, initial and final value all ones; the check value of "123456789" is
// 0x995DC9BBDF1939FA). Computed on two 32-bit halves, so it needs no BigInt per byte.

const POLY_HI = 0xc96c5795;
const POLY_LO = 0xd7870f42;
const TABLE_HI = new Uint32Array(256);
const TABLE_LO = new Uint32Array(256);

for (let i = 0; i < 256; i++) {
  let hi = 0;
  let lo = i;
  for (let bit = 0; bit < 8; bit++) {
    const carry = lo & 1;
    lo = ((lo >>> 1) | ((hi & 1) << 31)) >>> 0;
    hi = hi >>> 1;
    if (carry) {
      lo = (lo ^ POLY_LO) >>> 0;
      hi = (hi ^ POLY_HI) >>> 0;
    }
  }
  TABLE_HI[i] = hi;
  TABLE_LO[i] = lo;
}

/** The CRC-64/ECMA-182 of `bytes`, as the unsigned decimal string OSS sends. */
export function crc64(bytes: Uint8Array): string {
  let hi = 0xffffffff;
  let lo = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) {
    const index = (lo ^ bytes[i]) & 0xff;
    lo = (((lo >>> 8) | (hi << 24)) ^ TABLE_LO[index]) >>> 0;
    hi = ((hi >>> 8) ^ TABLE_HI[index]) >>> 0;
  }
  hi = (~hi) >>> 0;
  lo = (~lo) >>> 0;
  return ((BigInt(hi) << 32n) | BigInt(lo)).toString();
}
