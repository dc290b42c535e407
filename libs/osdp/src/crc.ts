/**
 * The two check fields an OSDP packet may end with (OSDP v2.2 / IEC 60839-11-5, §5 packet
 * structure; docs/osdp.md §Check bytes): a 16-bit CRC when CTRL bit 2 is set, otherwise an 8-bit
 * checksum. Both cover every byte from SOM through the MAC (or the last data byte).
 *
 * Written here rather than taken from a package: the variant is one 256-entry table and a loop,
 * and the registry's CRC packages either lack this parameter set or pull in a bundle of other
 * algorithms we would never call.
 */

/** CRC-16/AUG-CCITT: polynomial 0x1021, initial value 0x1D0F, no reflection, no final xor. */
export const CRC16_POLY = 0x1021;
export const CRC16_INIT = 0x1d0f;

const TABLE: Uint16Array = (() => {
  const table = new Uint16Array(256);
  for (let i = 0; i < 256; i++) {
    let crc = i << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ CRC16_POLY) & 0xffff : (crc << 1) & 0xffff;
    table[i] = crc;
  }
  return table;
})();

/** CRC-16/AUG-CCITT of `bytes[start, end)`. The packet carries it least significant byte first. */
export function crc16(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = CRC16_INIT;
  for (let i = start; i < end; i++) crc = ((crc << 8) & 0xffff) ^ TABLE[((crc >> 8) ^ bytes[i]) & 0xff];
  return crc;
}

/** Two's complement of the low byte of the byte sum: the sum of the covered bytes plus it is 0 mod 256. */
export function checksum8(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let sum = 0;
  for (let i = start; i < end; i++) sum += bytes[i];
  return -sum & 0xff;
}
