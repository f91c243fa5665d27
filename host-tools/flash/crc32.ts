/**
 * CRC-32/ISO-HDLC (the zlib/PNG CRC: reflected polynomial 0xEDB88320, init and final XOR 0xFFFFFFFF),
 * the value Espruino's `E.CRC32` computes. Written here because node:zlib's crc32 only exists from
 * Node 20.15 and the package supports Node ≥ 20.9. check: crc32("123456789") === 0xCBF43926.
 */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** The CRC-32 of the bytes, as an unsigned 32-bit integer. */
export function crc32(data: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < data.length; i++) c = (TABLE[(c ^ (data[i] as number)) & 0xff] as number) ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
