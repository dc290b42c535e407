import { describe, expect, it } from '@jest/globals';
import { deriveSessionKeys, scbkDefault } from './keys.js';
import { computeMac, MacChain, padForMac } from './mac.js';
import { ANNEX_E } from './testing/annex-e.js';
import { hex, opensslAes, opensslAvailable, warnIfOpensslMissing } from './testing/openssl.js';

// NIST SP 800-38A F.2.1 (AES-128-CBC). With S-MAC1 = S-MAC2 the OSDP MAC of whole blocks is the
// last CBC ciphertext block, so NIST's published ciphertexts are MAC vectors (libosdp's
// tests/unit-tests/test-sc.c uses them the same way).
const NIST = {
  key: hex('2B7E151628AED2A6ABF7158809CF4F3C'),
  iv: hex('000102030405060708090A0B0C0D0E0F'),
  plaintext: hex(`6BC1BEE22E409F96E93D7E117393172A AE2D8A571E03AC9C9EB76FAC45AF8E51
                  30C81C46A35CE411E5FBC1191A0A52EF F69F2445DF4F9B17AD2B417BE66C3710`),
  firstBlock: hex('7649ABAC8119B246CEE98E9B12E9197D'),
  lastBlock: hex('3FF1CAA1681FAC09120ECA307586E1A7'),
};
const nistKeys = { sMac1: NIST.key, sMac2: NIST.key };

describe(padForMac.name, () => {
  it.each([
    ['empty: one block of padding', '', '80000000000000000000000000000000'],
    ['15 bytes: the marker fills the block', '000102030405060708090A0B0C0D0E', '000102030405060708090A0B0C0D0E80'],
    ['a whole block: no padding', '000102030405060708090A0B0C0D0E0F', '000102030405060708090A0B0C0D0E0F'],
    ['17 bytes: padded to two blocks', '000102030405060708090A0B0C0D0E0F10', '000102030405060708090A0B0C0D0E0F' + '1080' + '00'.repeat(14)],
  ])('%s', (_name, message, padded) => {
    expect(padForMac(hex(message))).toEqual(hex(padded));
  });
});

describe(computeMac.name, () => {
  it('one whole block (NIST SP 800-38A F.2.1)', () => {
    const { mac, carried } = computeMac(nistKeys, NIST.iv, NIST.plaintext.subarray(0, 16));
    expect(mac).toEqual(NIST.firstBlock);
    expect(carried).toEqual(NIST.firstBlock.subarray(0, 4));
  });

  it('four whole blocks (NIST SP 800-38A F.2.1)', () => {
    expect(computeMac(nistKeys, NIST.iv, NIST.plaintext).mac).toEqual(NIST.lastBlock);
  });

  it('a partial block is padded with 0x80 (libosdp test-sc.c vector)', () => {
    expect(computeMac(nistKeys, NIST.iv, hex('000102030405060708090A0B0C0D0E')).mac).toEqual(hex('C5311F3D23D086EA86F5EE7F85247B40'));
  });

  // A secured osdp_POLL to PD 1 right after the Annex E handshake, and the PD's osdp_ACK: SOM, ADDR,
  // LEN 14 (SCB 2 + code + MAC 4 + CRC 2), CTRL (SQN 1, CRC, SCB), SCB 02 15|16, code. Computed with
  //   e(){ printf $2 | xxd -r -p | openssl enc -aes-128-ecb -K $1 -nopad | xxd -p; }
  //   C-MAC = e S-MAC2 (53010E000D021560 80 00×7 XOR RMAC_I); R-MAC = e S-MAC2 (53810E000D021640 80 00×7 XOR C-MAC)
  it('chains a POLL and its ACK from the Annex E session (pasted OpenSSL values)', () => {
    const keys = deriveSessionKeys(scbkDefault(), ANNEX_E.rndA);
    const poll = hex('53010E000D021560');
    const ack = hex('53810E000D021640');
    const cMac = computeMac(keys, ANNEX_E.rmacI, poll).mac;
    expect(cMac).toEqual(hex('0767C2C3127BC92DEFF946B3130E627E'));
    expect(computeMac(keys, cMac, ack).mac).toEqual(hex('AB5E451C296885AE55D6AF73DD432F32'));
  });
});

describe(MacChain.name, () => {
  const keys = deriveSessionKeys(scbkDefault(), ANNEX_E.rndA);
  const packet = (code: number, length: number): Buffer => Buffer.from([0x53, 0x01, 0, 0, 0x0d, 0x02, 0x15, code, ...Array.from({ length }, (_, i) => i)]);

  it('ACU and PD chains agree over several packets both ways, on one- and multi-block messages', () => {
    const acu = new MacChain(keys, ANNEX_E.rmacI);
    const pd = new MacChain(keys, ANNEX_E.rmacI);
    const seen = new Set<string>();
    for (const [i, length] of [0, 8, 9, 24, 40, 0].entries()) {
      const command = packet(0x60 + i, length);
      const sent = acu.sign('command', command);
      expect(pd.verify('command', command, sent.carried)).toBe(true);
      const reply = packet(0x40 + i, length);
      const answered = pd.sign('reply', reply);
      expect(acu.verify('reply', reply, answered.carried)).toBe(true);
      seen.add(sent.mac.toString('hex')).add(answered.mac.toString('hex'));
    }
    // Every MAC is new: the chain, not only the message, feeds it.
    expect(seen.size).toBe(12);
    expect(acu.macIv('command')).toEqual(pd.macIv('command'));
    expect(acu.macIv('reply')).toEqual(pd.macIv('reply'));
  });

  it('the same message MACs differently at different points of the chain', () => {
    const acu = new MacChain(keys, ANNEX_E.rmacI);
    const pd = new MacChain(keys, ANNEX_E.rmacI);
    const poll = packet(0x60, 0);
    const first = acu.sign('command', poll);
    pd.verify('command', poll, first.carried);
    acu.verify('reply', packet(0x40, 0), pd.sign('reply', packet(0x40, 0)).carried);
    expect(acu.sign('command', poll).carried).not.toEqual(first.carried);
  });

  it('refuses a flipped bit in the MAC or in the message, and a replayed packet, without advancing', () => {
    const acu = new MacChain(keys, ANNEX_E.rmacI);
    const pd = new MacChain(keys, ANNEX_E.rmacI);
    const command = packet(0x69, 20);
    const { carried } = acu.sign('command', command);
    const badMac = Buffer.from(carried);
    badMac[3] ^= 0x01;
    expect(pd.verify('command', command, badMac)).toBe(false);
    const badMessage = Buffer.from(command);
    badMessage[10] ^= 0x80;
    expect(pd.verify('command', badMessage, carried)).toBe(false);
    expect(pd.verify('command', command, carried.subarray(0, 3))).toBe(false);
    // No C-MAC was recorded by the refused attempts.
    expect(() => pd.macIv('reply')).toThrow(/before the first command/);
    // The genuine packet still verifies: failures did not move the chain.
    expect(pd.verify('command', command, carried)).toBe(true);
    const reply = packet(0x40, 0);
    expect(acu.verify('reply', reply, pd.sign('reply', reply).carried)).toBe(true);
    // Replaying the first command after the exchange: its MAC was made from an old R-MAC.
    expect(pd.verify('command', command, carried)).toBe(false);
  });

  it('a reply cannot be signed before the first command', () => {
    expect(() => new MacChain(keys, ANNEX_E.rmacI).sign('reply', packet(0x40, 0))).toThrow(/before the first command/);
  });
});

warnIfOpensslMissing('mac.spec');
const describeWithOpenssl = opensslAvailable ? describe : describe.skip;

describeWithOpenssl('MAC against the OpenSSL command line', () => {
  // Independent two-key CBC-MAC: OpenSSL AES-128-CBC under S-MAC1 over all blocks but the last,
  // then AES-128-ECB under S-MAC2 of the last block XOR the last CBC output.
  function opensslMac(sMac1: Buffer, sMac2: Buffer, iv: Buffer, padded: Buffer): Buffer {
    let chained = iv;
    if (padded.length > 16) chained = opensslAes('cbc', sMac1, padded.subarray(0, padded.length - 16), { iv }).subarray(-16);
    const last = Buffer.from(padded.subarray(-16).map((byte, i) => byte ^ chained[i]));
    return opensslAes('ecb', sMac2, last);
  }

  it.each([
    ['one partial block', 9, hex('53010E000D021560AA80000000000000')],
    ['two whole blocks', 32, null],
    ['three blocks, last partial', 41, null],
  ])('%s', (_name, length, expectedPadded) => {
    const keys = deriveSessionKeys(hex('8A1F3C5D7E902B4C6D8E0F1A2B3C4D5E'), hex('0123456789ABCDEF'));
    const iv = hex('F0E1D2C3B4A5968778695A4B3C2D1E0F');
    const message = length === 9 ? hex('53010E000D021560AA') : Buffer.from(Array.from({ length }, (_, i) => (i * 37 + 11) & 0xff));
    const padded = expectedPadded ?? Buffer.concat([message, length % 16 ? Buffer.from([0x80, ...new Array(15 - (length % 16)).fill(0)]) : Buffer.alloc(0)]);
    expect(computeMac(keys, iv, message).mac).toEqual(opensslMac(keys.sMac1, keys.sMac2, iv, padded));
  });
});
