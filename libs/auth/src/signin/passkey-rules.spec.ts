import { describe, expect, it } from '@jest/globals';
import { acceptedOrigins, challengeRefusal, clientDataRefusal, counterRefusal, credentialJson, knownTransports, relyingPartyId } from './passkey-rules.js';

const clientData = (o: Record<string, unknown>) => Buffer.from(JSON.stringify(o)).toString('base64url');
const GOOD = { type: 'webauthn.get', challenge: 'abc', origin: 'https://acs.example.com' };
const EXPECTED = { type: 'webauthn.get' as const, challenge: 'abc', origins: ['https://acs.example.com'] };

describe('passkey rules', () => {
  it.each<[string, string, string | undefined, string]>([
    ['a loopback address listens as localhost', '127.0.0.1', undefined, 'localhost'],
    ['a wildcard IPv6 listener', '::', undefined, 'localhost'],
    ['a bracketed IPv6 address', '[::1]', undefined, 'localhost'],
    ['a host name is its own RP ID', 'ACS.example.com', undefined, 'acs.example.com'],
    ['WEBAUTHN_RP_ID wins', '0.0.0.0', 'Example.com', 'example.com'],
  ])('RP ID: %s', (_n, host, configured, expected) => {
    expect(relyingPartyId(host, configured)).toBe(expected);
  });

  it.each<[string, string | undefined, string, { protocol: string; host: string }, string[]]>([
    [
      'configured origins are taken as they are',
      'https://a.example.com, https://b.example.com/',
      'example.com',
      { protocol: 'http', host: 'x' },
      ['https://a.example.com', 'https://b.example.com'],
    ],
    ['unset: the origin the request reached', undefined, 'localhost', { protocol: 'http', host: 'localhost:3000' }, ['http://localhost:3000']],
    ['unset: a name under the RP ID', undefined, 'example.com', { protocol: 'https', host: 'acs.example.com' }, ['https://acs.example.com']],
    ['unset: another host is no origin of ours', undefined, 'localhost', { protocol: 'http', host: '127.0.0.1:3000' }, []],
    ['unset: a look-alike suffix is not under the RP ID', undefined, 'example.com', { protocol: 'https', host: 'evilexample.com' }, []],
  ])('origins: %s', (_n, configured, rpId, request, expected) => {
    expect(acceptedOrigins(configured, rpId, request)).toEqual(expected);
  });

  it.each<[string, { expiresAt: number; usedAt: number | null } | null, number, string | null]>([
    ['a fresh challenge', { expiresAt: 2000, usedAt: null }, 1000, null],
    ['no challenge', null, 1000, 'passkey.challenge_missing'],
    ['a spent challenge (single use)', { expiresAt: 2000, usedAt: 900 }, 1000, 'passkey.challenge_missing'],
    ['at its expiry', { expiresAt: 2000, usedAt: null }, 2000, 'passkey.challenge_expired'],
  ])('challenge: %s', (_n, row, now, expected) => {
    expect(challengeRefusal(row, now)).toBe(expected);
  });

  it.each<[string, string, string | null]>([
    ['the expected client data', clientData(GOOD), null],
    ['a registration answered to a sign-in', clientData({ ...GOOD, type: 'webauthn.create' }), 'passkey.wrong_ceremony'],
    ['another challenge', clientData({ ...GOOD, challenge: 'abd' }), 'passkey.challenge_mismatch'],
    ['another origin', clientData({ ...GOOD, origin: 'https://acs.example.com.evil.test' }), 'passkey.origin_mismatch'],
    ['not JSON', Buffer.from('{type').toString('base64url'), 'passkey.invalid_response'],
    ['JSON without the members', clientData({ type: 'webauthn.get' }), 'passkey.invalid_response'],
    ['JSON that is not an object', clientData(null as unknown as Record<string, unknown>), 'passkey.invalid_response'],
  ])('client data: %s', (_n, json, expected) => {
    expect(clientDataRefusal(json, EXPECTED)).toBe(expected);
  });

  it.each<[number, number, string | null]>([
    [0, 0, null],
    [0, 1, null],
    [5, 6, null],
    [5, 5, 'passkey.counter_regression'],
    [5, 4, 'passkey.counter_regression'],
    [5, 0, 'passkey.counter_regression'],
  ])('signature counter stored %i, received %i', (stored, received, expected) => {
    expect(counterRefusal(stored, received)).toBe(expected);
  });

  const assertion = { id: 'AAAA', rawId: 'AAAA', type: 'public-key', response: { clientDataJSON: 'eyJ9', authenticatorData: 'AAAA', signature: 'AAAA' } };
  it.each<[string, unknown, 'registration' | 'authentication', boolean]>([
    ['an assertion', assertion, 'authentication', true],
    ['an assertion where an attestation is expected', assertion, 'registration', false],
    ['an attestation', { ...assertion, response: { clientDataJSON: 'eyJ9', attestationObject: 'o2Nm', transports: ['internal'] } }, 'registration', true],
    ['rawId other than id', { ...assertion, rawId: 'BBBB' }, 'authentication', false],
    ['a credential id over 1023 bytes', { ...assertion, id: 'A'.repeat(1365), rawId: 'A'.repeat(1365) }, 'authentication', false],
    ['a non-base64url signature', { ...assertion, response: { ...assertion.response, signature: 'a+b/' } }, 'authentication', false],
    ['transports that are not strings', { ...assertion, response: { ...assertion.response, transports: [1] } }, 'authentication', false],
    ['a string', 'credential', 'authentication', false],
  ])('credential JSON: %s', (_n, value, ceremony, ok) => {
    expect(credentialJson(value, ceremony) !== null).toBe(ok);
  });

  it('keeps only the transports WebAuthn defines, once each', () => {
    expect(knownTransports(['internal', 'usb', 'internal', 'carrier-pigeon', 3])).toEqual(['internal', 'usb']);
    expect(knownTransports('usb')).toEqual([]);
  });
});
