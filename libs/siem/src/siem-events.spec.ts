import { describe, expect, it } from '@jest/globals';
import type { AccessEvent } from '@acs/access-log';
import type { AuditEntry } from '@acs/audit';
import { auditRule, fromAccessEvent, fromAuditEntry, fromDoorAlarm } from './siem-events.js';

describe(auditRule.name, () => {
  it.each([
    ['auth.sign_in', 'failure', 'auth-failure', 4],
    ['auth.sign_in', 'denied', 'auth-failure', 4],
    ['auth.sign_in', 'success', undefined, undefined],
    ['auth.oidc_sign_in', 'failure', 'auth-failure', 4],
    ['auth.passkey_sign_in', 'failure', 'auth-failure', 4],
    ['auth.account_locked', 'denied', 'auth-failure', 4],
    ['auth.password_change', 'success', 'staff-change', 5],
    ['auth.totp_disable', 'success', 'staff-change', 5],
    ['auth.sign_out', 'success', undefined, undefined],
    ['access.denied', 'denied', 'authz-denied', 4],
    ['staff.create', 'success', 'staff-change', 5],
    ['staff.disable', 'success', 'staff-change', 5],
    ['staff.create', 'failure', undefined, undefined],
    ['customer_admin.create', 'success', 'staff-change', 5],
    ['token.issue', 'success', 'staff-change', 5],
    ['token.revoke', 'success', 'staff-change', 5],
    ['site.lockdown', 'success', 'lockdown', 4],
    ['zone.lockdown', 'success', 'lockdown', 4],
    ['door.hold_locked', 'success', 'lockdown', 4],
    ['site.lockdown', 'failure', undefined, undefined],
    ['site.emergency_release', 'success', 'emergency-release', 4],
    ['zone.emergency_release', 'success', 'emergency-release', 4],
    ['mqtt.security_event', 'denied', 'mqtt-security', 4],
    ['mqtt.security_alarm', 'denied', 'mqtt-alarm', 2],
    ['alarm.acknowledge', 'success', 'alarm-ack', 6],
    ['security_alarm.acknowledge', 'success', 'alarm-ack', 6],
    ['compliance.person.erase', 'success', 'erasure', 5],
    ['compliance.purge.start', 'failure', 'erasure', 5],
    ['compliance.erasure.certified', 'success', 'erasure', 5],
    ['fingerprint.delete', 'success', 'erasure', 5],
    ['person.read', 'success', undefined, undefined],
    ['person.update', 'success', undefined, undefined],
    ['access_event.list', 'success', undefined, undefined],
    ['site.update', 'failure', undefined, undefined],
  ] as const)('%s (%s) → %s, severity %s', (action, outcome, category, severity) => {
    const rule = auditRule(action, outcome);
    expect(rule && { category: rule.category, severity: rule.severity }).toEqual(category === undefined ? undefined : { category, severity });
  });
});

const entry: AuditEntry = {
  seq: 7,
  id: '0193a000-0000-7000-8000-0000000000a1',
  at: Date.parse('2026-11-26T09:00:00Z'),
  actorType: 'anonymous',
  actorId: null,
  role: null,
  action: 'auth.sign_in',
  targetType: 'staff',
  targetId: null,
  outcome: 'failure',
  requestId: 'req-1',
  details: JSON.stringify({ code: 'auth.bad_credentials', count: 3, 'bad key': 'x', action: 'spoofed' }),
  prevHash: '0'.repeat(64),
  hash: '1'.repeat(64),
};

describe(fromAuditEntry.name, () => {
  it('keeps ids and codes, with a stable event id, and never lets a detail overwrite a field', () => {
    expect(fromAuditEntry(entry)).toEqual({
      eventId: 'audit:0193a000-0000-7000-8000-0000000000a1',
      source: 'audit',
      category: 'auth-failure',
      severity: 4,
      at: entry.at,
      summary: 'auth.sign_in failure',
      fields: [
        ['eid', 'audit:0193a000-0000-7000-8000-0000000000a1'],
        ['src', 'audit'],
        ['auditSeq', '7'],
        ['action', 'auth.sign_in'],
        ['outcome', 'failure'],
        ['actorType', 'anonymous'],
        ['targetType', 'staff'],
        ['requestId', 'req-1'],
        ['code', 'auth.bad_credentials'],
        ['count', '3'],
      ],
    });
  });

  it('is null for entries that are not security events, and survives broken details', () => {
    expect(fromAuditEntry({ ...entry, action: 'person.read', outcome: 'success' })).toBeNull();
    expect(fromAuditEntry({ ...entry, details: '{not json' })?.fields.map(([k]) => k)).not.toContain('code');
  });
});

const event: AccessEvent = {
  id: '0193a000-0000-7000-8000-0000000000e1',
  chainId: 'site:s1',
  seq: 12,
  customerId: null,
  personId: null,
  siteId: 's1',
  zoneId: 'z1',
  doorId: 'd1',
  readerId: 'r1',
  direction: 'entry',
  result: 'denied',
  reason: 'unknown_finger',
  kind: 'attempt',
  attemptId: 'a1',
  occurredAt: Date.parse('2026-11-26T09:00:01Z'),
  recordedAt: Date.parse('2026-11-26T09:00:01Z'),
  prevHash: '0'.repeat(64),
  hash: '2'.repeat(64),
  credential: 'fingerprint',
  degraded: false,
};

describe(fromAccessEvent.name, () => {
  it('reports denied attempts with door, reader and site ids', () => {
    expect(fromAccessEvent(event)).toMatchObject({
      eventId: 'access:0193a000-0000-7000-8000-0000000000e1',
      category: 'access-denied',
      severity: 5,
      summary: 'access denied unknown_finger',
      fields: expect.arrayContaining([
        ['doorId', 'd1'],
        ['readerId', 'r1'],
        ['reason', 'unknown_finger'],
        ['chainSeq', '12'],
      ]) as unknown,
    });
  });

  it('leaves granted ones out', () => {
    expect(fromAccessEvent({ ...event, result: 'granted', reason: 'granted' })).toBeNull();
  });

  it('marks events decided in degraded mode', () => {
    expect(fromAccessEvent({ ...event, degraded: true })?.fields).toContainEqual(['degraded', 'true']);
  });
});

describe(fromDoorAlarm.name, () => {
  const alarm = {
    id: 'al1',
    kind: 'forced_open' as const,
    state: 'open' as const,
    siteId: 's1',
    zoneId: null,
    doorId: 'd1',
    controllerId: 'c1',
    attemptId: null,
    detail: 'free text the desk may read',
    raisedAt: '2026-11-26T09:00:02.000Z',
    acknowledgedBy: null,
    acknowledgedAt: null,
    ackNote: null,
  };

  it.each([
    ['forced_open', 2],
    ['tamper', 2],
    ['held_open', 4],
    ['door_unreachable', 4],
  ] as const)('%s → severity %d', (kind, severity) => {
    expect(fromDoorAlarm({ ...alarm, kind }).severity).toBe(severity);
  });

  it('never carries the free-text detail', () => {
    const e = fromDoorAlarm(alarm);
    expect(JSON.stringify(e)).not.toContain('free text');
    expect(e.at).toBe(Date.parse(alarm.raisedAt));
  });
});
