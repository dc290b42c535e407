import { describe, expect, it } from '@jest/globals';
import { FakeClock } from '@acs/clock';
import { decodeCommand } from './commands.js';
import { OsdpFramer, type OsdpFramerDrop } from './framer.js';
import { ScbType, type DecodedPacket } from './packet.js';
import { decodeReply } from './replies.js';

/**
 * Complete packets from libosdp's own unit tests (github.com/goToMain/libosdp, tests/unit-tests/,
 * read at commit 45d03d8), decoded end to end: framer, packet layer, command or reply codec. The
 * leading 0xFF is the mark byte libosdp sends unless built with OPT_OSDP_SKIP_MARK_BYTE.
 */
const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');

function frame(bytes: Buffer): { packets: DecodedPacket[]; drops: OsdpFramerDrop[] } {
  const framer = new OsdpFramer({ clock: new FakeClock() });
  const packets: DecodedPacket[] = [];
  const drops: OsdpFramerDrop[] = [];
  framer.on('data', (p: DecodedPacket) => packets.push(p));
  framer.on('drop', (d: OsdpFramerDrop) => drops.push(d));
  framer.write(bytes);
  return { packets, drops };
}

function one(bytes: string): DecodedPacket {
  const { packets, drops } = frame(hex(bytes));
  expect(drops).toEqual([]);
  expect(packets).toHaveLength(1);
  return packets[0];
}

describe('known vectors from libosdp tests/unit-tests', () => {
  it('test-cp-phy.c test_cp_build_packet_poll: osdp_POLL to PD 0x65, SQN 0, CRC', () => {
    const p = one('FF 53 65 08 00 04 60 60 90');
    expect(p).toMatchObject({ direction: 'command', address: 0x65, sequence: 0, integrity: 'crc' });
    expect(decodeCommand(p.code, p.data)).toEqual({ ok: true, value: { kind: 'POLL' } });
  });

  it('test-cp-phy.c test_cp_build_packet_id: osdp_ID with the standard reply type', () => {
    const p = one('FF 53 65 09 00 04 61 00 D9 7A');
    expect(decodeCommand(p.code, p.data)).toEqual({ ok: true, value: { kind: 'ID', replyType: 0 } });
  });

  it('test-cp-phy.c test_cp_build_packet_checksum_mode_trailer: osdp_POLL with the checksum', () => {
    const p = one('FF 53 65 07 00 00 60 E1');
    expect(p).toMatchObject({ integrity: 'checksum', code: 0x60 });
  });

  it('test-cp-phy.c test_cp_build_packet_chlng: osdp_CHLNG payload (built there without a security block)', () => {
    const p = one('FF 53 65 10 00 04 76 01 02 03 04 05 06 07 08 0D 20');
    expect(decodeCommand(p.code, p.data)).toEqual({ ok: true, value: { kind: 'CHLNG', rndA: hex('0102030405060708') } });
  });

  it('test-cp-phy.c test_phy_parse_hardcoded_plain_checksum_ack: osdp_ACK, SQN 1, checksum', () => {
    const p = one('FF 53 E5 07 00 01 40 80');
    expect(p).toMatchObject({ direction: 'reply', address: 0x65, sequence: 1, integrity: 'checksum' });
    expect(decodeReply(p.code, p.data)).toEqual({ ok: true, value: { kind: 'ACK' } });
  });

  it('test-cp-phy.c test_phy_parse_hardcoded_plain_crc_nak: osdp_NAK with error 1 (check character)', () => {
    const p = one('FF 53 E5 09 00 05 41 01 0E 8F');
    expect(decodeReply(p.code, p.data)).toEqual({ ok: true, value: { kind: 'NAK', error: 1, detail: Buffer.alloc(0) } });
  });

  it('test-cp-phy.c test_phy_parse_hardcoded_sc_scs12_checksum_ccrypt: osdp_CCRYPT under security block 0x12', () => {
    const p = one('FF 53 E5 2A 00 09 03 12 01 76 101112131415161718191A1B1C1D1E1F202122232425262728292A2B2C2D2E2F 19');
    expect(p.security).toEqual({ type: ScbType.Ccrypt, data: hex('01') });
    expect(decodeReply(p.code, p.data)).toEqual({
      ok: true,
      value: { kind: 'CCRYPT', clientUid: hex('1011121314151617'), rndB: hex('18191A1B1C1D1E1F'), cryptogram: hex('202122232425262728292A2B2C2D2E2F') },
    });
  });

  it('test-cp-phy.c test_phy_parse_hardcoded_sc_scs14_crc_rmaci: osdp_RMAC_I under security block 0x14', () => {
    const p = one('FF 53 E5 1B 00 0D 03 14 01 78 A0A1A2A3A4A5A6A7A8A9AAABACADAEAF CA BA');
    expect(p.security).toEqual({ type: ScbType.RmacI, data: hex('01') });
    expect(decodeReply(p.code, p.data)).toEqual({ ok: true, value: { kind: 'RMAC_I', rmac: hex('A0A1A2A3A4A5A6A7A8A9AAABACADAEAF') } });
  });

  it('test-cp-phy.c test_phy_parse_hardcoded_sc_active_invalid_mac_reject: an ACK with security block 0x16 carries its 4 MAC bytes', () => {
    const p = one('FF 53 E5 0D 00 09 02 16 40 00 00 00 00 5A');
    expect(p).toMatchObject({ code: 0x40, security: { type: ScbType.ReplyMac } });
    expect(p.mac).toEqual(Buffer.alloc(4));
    expect(decodeReply(p.code, p.data)).toEqual({ ok: true, value: { kind: 'ACK' } });
  });

  it('test-cp-phy.c test_phy_parse_hardcoded_sc_invalid_type_reject: security block type 0x19 is framed and carried for the caller to NAK', () => {
    const p = one('FF 53 E5 09 00 09 02 19 40 5B');
    expect(p.security).toEqual({ type: 0x19, data: Buffer.alloc(0) });
    expect(p.mac).toBeUndefined();
  });

  it('test-cp-phy.c test_phy_decode_packet_invalid_checksum: a bad checksum is dropped', () => {
    const { packets, drops } = frame(hex('FF 53 E5 08 00 04 40 00 00'));
    expect(packets).toEqual([]);
    expect(drops[0]).toMatchObject({ kind: 'bad-checksum', check: 'crc' });
  });

  it('test-cp-fsm.c test_cp_fsm_receive: osdp_PDID, osdp_PDCAP and osdp_ACK replies', () => {
    const { packets, drops } = frame(
      Buffer.concat([
        hex('FF 53 E5 14 00 04 45 A1 A2 A3 B1 C1 D1 D2 D3 D4 E1 E2 E3 F8 D9'),
        hex('FF 53 E5 0B 00 05 46 04 04 01 B3 EC'),
        hex('FF 53 E5 08 00 06 40 B0 F0'),
      ]),
    );
    expect(drops).toEqual([]);
    expect(packets.map((p) => decodeReply(p.code, p.data))).toEqual([
      { ok: true, value: { kind: 'PDID', vendorCode: hex('A1A2A3'), model: 0xb1, version: 0xc1, serialNumber: 0xd4d3d2d1, firmware: [0xe1, 0xe2, 0xe3] } },
      { ok: true, value: { kind: 'PDCAP', capabilities: [{ function: 4, compliance: 4, count: 1 }] } },
      { ok: true, value: { kind: 'ACK' } },
    ]);
    expect(packets.map((p) => p.sequence)).toEqual([0, 1, 2]);
  });

  it('test-sc-sia-vectors.c (OSDP v2.2 Annex E CRC example 1): broadcast osdp_COMSET to address 0 at 9600 baud', () => {
    const p = one('53 7F 0D 00 04 6E 00 80 25 00 00 6E 38');
    expect(p).toMatchObject({ direction: 'command', address: 0x7f });
    expect(decodeCommand(p.code, p.data)).toEqual({ ok: true, value: { kind: 'COMSET', address: 0, baudRate: 9600 } });
  });

  it('test-sc-sia-vectors.c (Annex E checksum example 2): osdp_ID to PD 0 with the checksum', () => {
    const p = one('53 00 08 00 00 61 00 44');
    expect(decodeCommand(p.code, p.data)).toEqual({ ok: true, value: { kind: 'ID', replyType: 0 } });
  });
});
