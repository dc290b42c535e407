import type { AccessEvent } from '@acs/access-log';
import type { AuditEntry } from '@acs/audit';
import type { AlarmView } from '@acs/badge-in';
import { isSdName, SEVERITY, type Severity } from './rfc5424.js';

/** What the SOC filters on: the MSGID of every message (RFC 5424 §6.2.7, at most 32 characters). */
export const SIEM_CATEGORIES = [
  'access-denied',
  'door-alarm',
  'lockdown',
  'emergency-release',
  'mqtt-security',
  'mqtt-alarm',
  'alarm-ack',
  'auth-failure',
  'authz-denied',
  'staff-change',
  'erasure',
] as const;
export type SiemCategory = (typeof SIEM_CATEGORIES)[number];

export type SiemSource = 'audit' | 'access' | 'alarm';

/**
 * One security event as the outbox keeps it: identifiers, codes and counts only (never a name,
 * a username, an e-mail address or a card number: the sources hold none). `fields` become the
 * SD-PARAMs of the message, in order; `eid` among them is stable across resends.
 */
export interface SiemEvent {
  eventId: string;
  source: SiemSource;
  category: SiemCategory;
  severity: Severity;
  /** When it happened (the source record's time, from the injected clock). */
  at: number;
  summary: string;
  fields: Array<[string, string]>;
}

interface AuditRule {
  category: SiemCategory;
  severity: Severity;
  /** Which outcomes count: a sign-in is interesting when it fails, a staff change when it happened. */
  outcomes: ReadonlyArray<AuditEntry['outcome']>;
}

const SUCCESS = ['success'] as const;
const NOT_SUCCESS = ['failure', 'denied'] as const;
const ANY = ['success', 'failure', 'denied'] as const;
const { critical, warning, notice, informational } = SEVERITY;

/** Audit actions (exact) that are security events, and how. Actions not here are not exported. */
const AUDIT_RULES: Record<string, AuditRule[]> = {
  'access.denied': [{ category: 'authz-denied', severity: warning, outcomes: ANY }],
  'auth.account_locked': [{ category: 'auth-failure', severity: warning, outcomes: ANY }],
  'site.lockdown': [{ category: 'lockdown', severity: warning, outcomes: SUCCESS }],
  'zone.lockdown': [{ category: 'lockdown', severity: warning, outcomes: SUCCESS }],
  'door.hold_locked': [{ category: 'lockdown', severity: warning, outcomes: SUCCESS }],
  'site.emergency_release': [{ category: 'emergency-release', severity: warning, outcomes: SUCCESS }],
  'zone.emergency_release': [{ category: 'emergency-release', severity: warning, outcomes: SUCCESS }],
  'mqtt.security_event': [{ category: 'mqtt-security', severity: warning, outcomes: ANY }],
  'mqtt.security_alarm': [{ category: 'mqtt-alarm', severity: critical, outcomes: ANY }],
  'alarm.acknowledge': [{ category: 'alarm-ack', severity: informational, outcomes: SUCCESS }],
  'security_alarm.acknowledge': [{ category: 'alarm-ack', severity: informational, outcomes: SUCCESS }],
  'customer_admin.create': [{ category: 'staff-change', severity: notice, outcomes: SUCCESS }],
  'token.issue': [{ category: 'staff-change', severity: notice, outcomes: SUCCESS }],
  'token.revoke': [{ category: 'staff-change', severity: notice, outcomes: SUCCESS }],
  'compliance.purge.start': [{ category: 'erasure', severity: notice, outcomes: ANY }],
  'compliance.purge.reapply': [{ category: 'erasure', severity: notice, outcomes: ANY }],
  'compliance.person.erase': [{ category: 'erasure', severity: notice, outcomes: ANY }],
  'compliance.person.withdraw_biometrics': [{ category: 'erasure', severity: notice, outcomes: ANY }],
  'compliance.erasure.started': [{ category: 'erasure', severity: notice, outcomes: ANY }],
  'compliance.erasure.certified': [{ category: 'erasure', severity: notice, outcomes: ANY }],
  'fingerprint.delete': [{ category: 'erasure', severity: notice, outcomes: SUCCESS }],
};

/** A person's own credential changes: staff changes too (a stolen session changing the password shows here). */
const CREDENTIAL_CHANGES = new Set([
  'auth.password_change',
  'auth.password_reset',
  'auth.totp_enrol',
  'auth.totp_disable',
  'auth.passkey_register',
  'auth.passkey_remove',
  'auth.sign_out_everywhere',
]);

/** The rule for an audit action, or undefined when it is not a security event. */
export function auditRule(action: string, outcome: AuditEntry['outcome']): AuditRule | undefined {
  const exact = AUDIT_RULES[action]?.find((r) => r.outcomes.includes(outcome));
  if (exact) return exact;
  // Every failed or refused sign-in, password, second-factor or single sign-on step.
  if (action.startsWith('auth.') && (NOT_SUCCESS as readonly string[]).includes(outcome))
    return { category: 'auth-failure', severity: warning, outcomes: NOT_SUCCESS };
  if (outcome !== 'success') return undefined;
  if (action.startsWith('staff.') || CREDENTIAL_CHANGES.has(action)) return { category: 'staff-change', severity: notice, outcomes: SUCCESS };
  return undefined;
}

const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' || typeof v === 'boolean' ? String(v) : '');

/** [name, value] pairs without the empty ones. */
function present(pairs: Array<[string, unknown]>): Array<[string, string]> {
  return pairs.filter(([, v]) => v !== null && v !== undefined && v !== '').map(([k, v]) => [k, str(v)]);
}

/** An audit entry as a SIEM event, or null when it is not one (most entries are not). */
export function fromAuditEntry(e: AuditEntry): SiemEvent | null {
  const rule = auditRule(e.action, e.outcome);
  if (!rule) return null;
  const eventId = `audit:${e.id}`;
  const fields = present([
    ['eid', eventId],
    ['src', 'audit'],
    ['auditSeq', e.seq],
    ['action', e.action],
    ['outcome', e.outcome],
    ['actorType', e.actorType],
    ['actorId', e.actorId],
    ['role', e.role],
    ['targetType', e.targetType],
    ['targetId', e.targetId],
    ['requestId', e.requestId],
  ]);
  // The details are identifiers, codes and counts already (the audit lib refuses anything else).
  const taken = new Set(fields.map(([k]) => k));
  for (const [k, v] of Object.entries(parseDetails(e.details))) {
    if (isSdName(k) && !taken.has(k) && v !== null) fields.push([k, str(v)]);
  }
  return { eventId, source: 'audit', category: rule.category, severity: rule.severity, at: e.at, summary: `${e.action} ${e.outcome}`, fields };
}

function parseDetails(details: string | null): Record<string, unknown> {
  if (!details) return {};
  try {
    const parsed = JSON.parse(details) as unknown;
    return parsed && typeof parsed === 'object' && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** A denied attempt (or denied follow-up) at a door; granted ones are not security events. */
export function fromAccessEvent(e: AccessEvent): SiemEvent | null {
  if (e.result !== 'denied') return null;
  const eventId = `access:${e.id}`;
  const fields = present([
    ['eid', eventId],
    ['src', 'access'],
    ['chain', e.chainId],
    ['chainSeq', e.seq],
    ['result', e.result],
    ['reason', e.reason],
    ['kind', e.kind],
    ['direction', e.direction],
    ['customerId', e.customerId],
    // A person's id is a pseudonymous key, not a name: the SOC correlates repeated refusals by it.
    ['personId', e.personId],
    ['siteId', e.siteId],
    ['zoneId', e.zoneId],
    ['doorId', e.doorId],
    ['readerId', e.readerId],
    ['attemptId', e.attemptId],
    ['credential', e.credential],
    ['degraded', e.degraded ? 'true' : null],
  ]);
  return { eventId, source: 'access', category: 'access-denied', severity: notice, at: e.occurredAt, summary: `access ${e.result} ${e.reason}`, fields };
}

/** A door alarm when raised: forced doors and tampering are critical, the others warnings. */
export function fromDoorAlarm(a: AlarmView): SiemEvent {
  const eventId = `alarm:${a.id}`;
  const fields = present([
    ['eid', eventId],
    ['src', 'alarm'],
    ['kind', a.kind],
    ['siteId', a.siteId],
    ['zoneId', a.zoneId],
    ['doorId', a.doorId],
    ['controllerId', a.controllerId],
    ['attemptId', a.attemptId],
  ]);
  const severity = a.kind === 'forced_open' || a.kind === 'tamper' ? critical : warning;
  return { eventId, source: 'alarm', category: 'door-alarm', severity, at: Date.parse(a.raisedAt), summary: `door alarm ${a.kind}`, fields };
}
