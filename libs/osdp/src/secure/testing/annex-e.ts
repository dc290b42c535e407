import { hex } from './openssl.js';

// OSDP v2.2 Annex E secure-channel example, as published in libosdp
// tests/unit-tests/test-sc-sia-vectors.c (SCBK-D, RND.A = B0..B7, RND.B = A0..A7). Re-derived with
//   K=303132333435363738393A3B3C3D3E3F
//   printf 0101B0B1B2B3B4B50000000000000000 | xxd -r -p | openssl enc -aes-128-ecb -K $K -nopad | xxd -p
// (and likewise for each value below); both sources agree byte for byte.
export const ANNEX_E = {
  rndA: hex('B0B1B2B3B4B5B6B7'),
  rndB: hex('A0A1A2A3A4A5A6A7'),
  sEnc: hex('BF8DC2A8329ACB8C67C6D0CD9A451682'),
  sMac1: hex('5E86C676603BDEE2D8BEAFE178637332'),
  sMac2: hex('6FDA86E857777E81132035758239172E'),
  clientCryptogram: hex('FDE5D2F428EC16312471EA3C02BD7796'),
  serverCryptogram: hex('26D3356E07762D262801FC8E6665A891'),
  rmacI: hex('B2A30057EB98BA2229EC1F875662B524'),
};
