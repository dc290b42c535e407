import { describe, expect, it } from '@jest/globals';
import { BOM, escapeParamValue, formatSyslog, headerField, isSdName, msgPart, octetFrame, SEVERITY, structuredData, type SyslogMessage } from './rfc5424.js';

const base: SyslogMessage = {
  facility: 10,
  severity: SEVERITY.warning,
  timestamp: Date.parse('2026-11-26T09:00:00.123Z'),
  hostname: 'acs-1.example.net',
  appName: 'acs',
  procId: '4242',
  msgId: 'lockdown',
  structuredData: [
    {
      id: 'acs@32473',
      params: [
        ['eid', 'audit:1'],
        ['action', 'site.lockdown'],
      ],
    },
  ],
  msg: 'site.lockdown success',
};

describe('RFC 5424 messages', () => {
  it.each([
    [
      'the whole message (§6)',
      base,
      'is',
      '<84>1 2026-11-26T09:00:00.123Z acs-1.example.net acs 4242 lockdown [acs@32473 eid="audit:1" action="site.lockdown"] site.lockdown success',
    ],
    ['PRI = facility × 8 + severity (§6.2.1): kern.emerg', { ...base, facility: 0, severity: SEVERITY.emergency }, 'startsWith', '<0>1 2026-'],
    ['PRI: local7.debug', { ...base, facility: 23, severity: SEVERITY.debug }, 'startsWith', '<191>1 2026-'],
    ['no MSG: nothing after the structured data', { ...base, msg: '' }, 'endsWith', 'lockdown [acs@32473 eid="audit:1" action="site.lockdown"]'],
    ['no structured data: NILVALUE (§6.3)', { ...base, structuredData: [] }, 'endsWith', ' lockdown - site.lockdown success'],
    ['an empty header field is NILVALUE (§6.2)', { ...base, hostname: '', procId: '' }, 'startsWith', '<84>1 2026-11-26T09:00:00.123Z - acs - lockdown ['],
  ] as const)('%s', (_what, m, how, expected) => {
    const out = formatSyslog(m);
    const part = how === 'is' ? out : how === 'startsWith' ? out.slice(0, expected.length) : out.slice(-expected.length);
    expect(part).toBe(expected);
  });

  it('refuses a facility outside 0-23', () => {
    expect(() => formatSyslog({ ...base, facility: 24 })).toThrow(/facility/);
  });
});

describe('PARAM-VALUE escaping (§6.3.3)', () => {
  it.each([
    ['plain', 'plain'],
    ['a "quoted" word', 'a \\"quoted\\" word'],
    ['back\\slash', 'back\\\\slash'],
    ['close]bracket', 'close\\]bracket'],
    ['all "\\]', 'all \\"\\\\\\]'],
    ['open [ and = stay', 'open [ and = stay'],
    ['UTF-8 stays as it is: Zürich', 'UTF-8 stays as it is: Zürich'],
  ])('%j → %j', (value, escaped) => {
    expect(escapeParamValue(value)).toBe(escaped);
  });

  it('puts escaped values into the element', () => {
    expect(structuredData([{ id: 'acs@32473', params: [['reason', 'x"]\\y']] }])).toBe('[acs@32473 reason="x\\"\\]\\\\y"]');
  });

  it.each([
    ['acs@32473', true],
    ['origin', true],
    ['a'.repeat(32), true],
    ['a'.repeat(33), false],
    ['', false],
    ['has space', false],
    ['eq=ual', false],
    ['br]acket', false],
    ['quo"te', false],
    ['ünï', false],
  ])('SD-NAME %j → %j', (name, ok) => {
    expect(isSdName(name)).toBe(ok);
  });

  it('refuses a bad SD-ID or SD-NAME instead of sending a broken message', () => {
    expect(() => structuredData([{ id: 'bad id', params: [] }])).toThrow(/SD-ID/);
    expect(() => structuredData([{ id: 'acs@32473', params: [['bad=name', 'v']] }])).toThrow(/SD-NAME/);
  });
});

describe('header fields (§6: PRINTUSASCII, length limits)', () => {
  it.each([
    ['host.example', 255, 'host.example'],
    ['with space', 255, 'with_space'],
    ['ümlaut', 48, '_mlaut'],
    ['x'.repeat(40), 32, 'x'.repeat(32)],
    ['', 32, '-'],
  ])('%j (max %d) → %j', (value, max, out) => {
    expect(headerField(value, max)).toBe(out);
  });
});

describe('MSG and the UTF-8 BOM (§6.4)', () => {
  it.each([
    ['ASCII: MSG-ANY, no BOM', 'access denied unknown_finger', 'access denied unknown_finger'],
    ['non-ASCII: MSG-UTF8, BOM first', 'Tür aufgebrochen', `${BOM}Tür aufgebrochen`],
    ['empty: no MSG', '', ''],
  ])('%s', (_what, msg, out) => {
    expect(msgPart(msg)).toBe(out);
  });

  it('the BOM is the three octets EF BB BF on the wire', () => {
    const wire = Buffer.from(formatSyslog({ ...base, msg: 'Tür' }), 'utf8');
    const at = wire.indexOf(Buffer.from([0xef, 0xbb, 0xbf]));
    expect(at).toBeGreaterThan(0);
    expect(wire.subarray(at + 3).toString('utf8')).toBe('Tür');
  });
});

describe('octet-counting frames (RFC 5425 §4.3, RFC 6587 §3.4.1)', () => {
  it.each([
    ['<84>1 - - - - - -', '17 <84>1 - - - - - -'],
    ['ü', '2 ü'],
    [`${BOM}x`, `4 ${BOM}x`],
    ['two\nlines', '9 two\nlines'],
  ])('%j → %j (length in octets, not characters)', (msg, frame) => {
    expect(octetFrame(msg).toString('utf8')).toBe(frame);
  });

  it('frames follow each other without a separator', () => {
    const stream = Buffer.concat([octetFrame('a'), octetFrame('bc')]).toString();
    expect(stream).toBe('1 a2 bc');
  });
});
