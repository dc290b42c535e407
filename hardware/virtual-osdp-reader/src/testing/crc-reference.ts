/**
 * CRC-16/AUG-CCITT bit by bit (poly 0x1021, init 0x1D0F, no reflection, no final xor; OSDP v2.2
 * Annex A), kept apart from libs/osdp's table-driven one so a shared mistake cannot make the PD
 * and its checks agree. Check value over "123456789": 0xE5CC.
 */
export function crc16(bytes: Uint8Array): number {
  let crc = 0x1d0f;
  for (const byte of bytes) {
    crc ^= byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
  }
  return crc;
}
