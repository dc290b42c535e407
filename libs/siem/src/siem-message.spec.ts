import { describe, expect, it } from '@jest/globals';
import { cefRecord, type QueuedSiemEvent, siemMessage } from './siem-message.js';

const queued: QueuedSiemEvent = {
  seq: 41,
  eventId: 'audit:e1',
  category: 'mqtt-security',
  severity: 4,
  at: Date.parse('2026-11-26T09:00:00Z'),
  instance: 'edge-1',
  summary: 'mqtt.security_event denied',
  fields: [
    ['eid', 'audit:e1'],
    ['src', 'audit'],
    ['action', 'mqtt.security_event'],
    ['outcome', 'denied'],
    ['actorType', 'device'],
    ['actorId', 'ctl-a'],
    ['kind', 'forged-event'],
    ['count', '3568'],
    ['reason', 'bad "mac" ]\\'],
  ],
};
const settings = { format: 'rfc5424' as const, facility: 10, hostname: 'acs-host', procId: '99', sdId: 'acs@32473' };

describe(siemMessage.name, () => {
  it('is an RFC 5424 message with every field, the instance and the outbox sequence in our SD element', () => {
    expect(siemMessage(queued, settings)).toBe(
      '<84>1 2026-11-26T09:00:00.000Z acs-host acs 99 mqtt-security [acs@32473 eid="audit:e1" src="audit" action="mqtt.security_event" outcome="denied" actorType="device" actorId="ctl-a" kind="forged-event" count="3568" reason="bad \\"mac\\" \\]\\\\" instance="edge-1" outboxSeq="41"] mqtt.security_event denied',
    );
  });

  it('carries the CEF record as MSG with SIEM_FORMAT=cef, structured data still there', () => {
    const m = siemMessage(queued, { ...settings, format: 'cef' });
    expect(m).toContain('[acs@32473 eid="audit:e1"');
    expect(m.endsWith(` ${cefRecord(queued)}`)).toBe(true);
  });
});

describe(cefRecord.name, () => {
  it('maps the fields to CEF dictionary keys (docs/siem.md "CEF mapping")', () => {
    expect(cefRecord(queued)).toBe(
      'CEF:0|acs|access-control|1|audit:mqtt.security_event|mqtt.security_event denied|5|rt=1795683600000 cat=mqtt-security dvchost=edge-1 externalId=audit:e1 act=mqtt.security_event outcome=denied suid=ctl-a cn1Label=count cn1=3568 cs6Label=fields cs6=actorType:device;kind:forged-event;reason:bad "mac" ]\\\\',
    );
  });

  it('a denied attempt: the reason is the act, the ids go to cs1-cs4', () => {
    const r = cefRecord({
      ...queued,
      eventId: 'access:x',
      category: 'access-denied',
      summary: 'access denied no_grant',
      fields: [
        ['eid', 'access:x'],
        ['src', 'access'],
        ['result', 'denied'],
        ['reason', 'no_grant'],
        ['customerId', 'c1'],
        ['siteId', 's1'],
        ['doorId', 'd1'],
        ['readerId', 'r1'],
      ],
    });
    expect(r).toBe(
      'CEF:0|acs|access-control|1|access:no_grant|access denied no_grant|5|rt=1795683600000 cat=access-denied dvchost=edge-1 externalId=access:x outcome=denied act=no_grant cs1Label=customerId cs1=c1 cs2Label=siteId cs2=s1 cs3Label=doorId cs3=d1 cs4Label=readerId cs4=r1',
    );
  });
});
